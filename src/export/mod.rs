//! Exports: the dashboard's tables as people read them, and the raw data in the import format,
//! as an `.xlsx` workbook or as CSV files (a folder, or a `.zip`).

use std::path::PathBuf;

/// What `apo-dashboard export` was asked for.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: crate::config::DatabaseConfig,
    /// `xlsx` (one workbook) or `csv` (a folder of CSV files, or a `.zip` when PATH ends in .zip).
    #[arg(long, value_enum)]
    pub format: Format,
    /// Where to write it.
    #[arg(long)]
    pub out: PathBuf,
    /// Only this member's rows (ISO3), as its member page exports them.
    #[arg(long)]
    pub iso3: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Csv,
}

/// Runs `apo-dashboard export`.
pub async fn command(args: ExportArgs) -> anyhow::Result<()> {
    anyhow::bail!("export to {}: not built yet", args.out.display())
}
