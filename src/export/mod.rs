//! Exports: the dashboard's tables as people read them, and the raw data in the import format,
//! as an `.xlsx` workbook or as CSV files (a folder, or a `.zip`).
//!
//! One export holds, in this order, the sheets `README`, the views of [`views`] (`Overview`,
//! `Pillars`, `Members`, `Focus areas`, `Key result progress`) and the raw tables of [`raw`]
//! (`primers` … `series_catalogue`, and `audit_log` for the Secretariat). Everything in it is of
//! one revision: the raw tables are read in one transaction ([`Store::dump`]), and the views
//! are made from the dashboard document of that same revision (the one given, when it is of
//! that revision, else computed from the store as the server does at start).
//!
//! [`export`] builds the file in memory (the HTTP answer); [`write_export`] writes it to a path
//! as the command does (a workbook, a `.zip`, or a folder of CSV files).

mod platforms;
mod raw;
pub mod sheet;
mod views;

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::analytics::current::CurrentDashboard;
use crate::domain::{CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR, Iso3, Year};
use crate::error::{Detail, Error, Result};
use crate::store::dump::Dump;
use crate::store::{Store, timestamp};
use sheet::{Cell, Kind, Sheet, col};
use views::Doc;

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
    /// The cycle year the views show (default: this year, within the cycle).
    #[arg(long)]
    pub period: Option<i64>,
    /// Leave the audit log out (it is in by default: whoever runs the command holds the
    /// database).
    #[arg(long)]
    pub no_audit_log: bool,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Xlsx,
    Csv,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: Format,
    /// Only this member's rows (ISO3); checked by [`export`].
    pub iso3: Option<String>,
    /// The cycle year of the views; default: this year, within the cycle.
    pub period: Option<i64>,
    /// With the audit log (the Secretariat's).
    pub audit_log: bool,
}

/// A built export: the `.xlsx` workbook, or the `.zip` of CSV files.
#[derive(Debug, Clone)]
pub struct Export {
    /// The revision everything in it is of.
    pub rev: i64,
    pub period: i64,
    pub format: Format,
    pub iso3: Option<String>,
    pub bytes: Vec<u8>,
}

impl Export {
    /// `apo-dashboard-r<rev>[-<ISO3>].xlsx|zip`.
    pub fn file_name(&self) -> String {
        file_name(self.rev, self.iso3.as_deref(), self.format)
    }

    pub fn content_type(&self) -> &'static str {
        match self.format {
            Format::Xlsx => XLSX_TYPE,
            Format::Csv => "application/zip",
        }
    }
}

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn file_name(rev: i64, iso3: Option<&str>, format: Format) -> String {
    let member = iso3.map(|i| format!("-{i}")).unwrap_or_default();
    let ext = match format {
        Format::Xlsx => "xlsx",
        Format::Csv => "zip",
    };
    format!("apo-dashboard-r{rev}{member}.{ext}")
}

/// Everything an export shows, of one revision.
struct Snapshot {
    dump: Dump,
    doc: Doc,
    iso3: Option<String>,
    taken_at: String,
}

/// The period asked for, or this year within the cycle; 422 naming `period` outside it.
fn period(p: Option<i64>) -> Result<i64> {
    match p {
        Some(p) => Ok(Year::new(p)
            .map_err(|e| Error::invalid(vec![Detail::field("period", e.0)]))?
            .get()),
        None => Ok(default_period()),
    }
}

/// The period shown when none is asked for: this year, clamped into the cycle (as the
/// dashboard's).
pub fn default_period() -> i64 {
    i64::from(OffsetDateTime::now_utc().year()).clamp(CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR)
}

/// The member asked for: an ISO3 code of a member (422 naming `iso3` otherwise).
async fn member(store: &Store, iso3: Option<&str>) -> Result<Option<String>> {
    let Some(raw) = iso3 else { return Ok(None) };
    let code = Iso3::parse(raw).map_err(|e| Error::invalid(vec![Detail::field("iso3", e.0)]))?;
    if !store.member_exists(code.as_str()).await? {
        return Err(Error::invalid(vec![Detail::field(
            "iso3",
            format!("{code} is not an APO member"),
        )]));
    }
    Ok(Some(code.as_str().to_owned()))
}

/// Reads the raw tables and the dashboard document of the same revision. `document` is the
/// JSON of a current document (the aggregator's), used when it is of the dump's revision.
async fn snapshot(store: &Store, document: Option<&[u8]>, options: &Options) -> Result<Snapshot> {
    let period = period(options.period)?;
    let iso3 = member(store, options.iso3.as_deref()).await?;
    let dump = store.dump(iso3.as_deref(), options.audit_log).await?;
    let given = match document {
        Some(json) => Some(parse_doc(json)?),
        None => None,
    };
    let doc = match given {
        Some(doc) if doc.rev == dump.rev && doc.period == period => doc,
        _ => parse_doc(&document_at(store, dump.rev, period).await?)?,
    };
    Ok(Snapshot {
        dump,
        doc,
        iso3,
        taken_at: timestamp(OffsetDateTime::now_utc()),
    })
}

fn parse_doc(json: &[u8]) -> Result<Doc> {
    serde_json::from_slice(json).map_err(|e| {
        anyhow::anyhow!("the dashboard document does not read as expected: {e}").into()
    })
}

/// The dashboard document of `period` at revision `rev`, computed as the server does at start
/// (from the current facts when they are of `rev`, else from the log as of `rev`), as JSON.
async fn document_at(store: &Store, rev: i64, period: i64) -> Result<Vec<u8>> {
    let facts = store.facts(None).await?;
    let facts = if facts.rev == rev {
        facts
    } else {
        store.facts(Some(rev)).await?
    };
    let generated_at = timestamp(OffsetDateTime::now_utc());
    tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
        let current = CurrentDashboard::new(facts, period, generated_at)?;
        Ok(serde_json::to_vec(current.document())?)
    })
    .await
    .map_err(anyhow::Error::from)?
    .map_err(Error::from)
}

impl Snapshot {
    /// Every sheet in order: the README, the views, the raw tables.
    fn sheets(&self) -> Vec<Sheet<'_>> {
        let only = self.iso3.as_deref();
        let mut sheets = self.doc.sheets(&self.dump, only);
        sheets.extend(raw::sheets(&self.dump));
        let mut all = vec![self.readme(&sheets)];
        all.extend(sheets);
        all
    }

    /// What the workbook is, of which revision and period, and what every column means.
    fn readme<'a>(&'a self, sheets: &[Sheet<'a>]) -> Sheet<'a> {
        let member = match &self.iso3 {
            Some(iso3) => format!(
                "{} ({iso3}) only: its rows of the raw tables, the views narrowed to it",
                self.doc.member(iso3).unwrap_or(iso3.as_str())
            ),
            None => "all members".to_owned(),
        };
        let preamble = vec![
            vec![Cell::text("APO Productivity Dashboard export")],
            vec![
                Cell::text("What"),
                Cell::text(
                    "The dashboard as people read it (sheets Overview to Key result progress) \
                     and the raw data in the import format (sheets primers onwards, which \
                     apo-dashboard import takes back; it skips this sheet and the views).",
                ),
            ],
            vec![Cell::text("Revision"), Cell::Int(self.dump.rev)],
            vec![Cell::text("Taken at"), Cell::text(&self.taken_at)],
            vec![Cell::text("Period"), Cell::Int(self.doc.period)],
            vec![Cell::text("Members"), Cell::owned(member)],
            vec![],
        ];
        let rows: Vec<Vec<Cell<'a>>> = sheets
            .iter()
            .flat_map(|s| {
                s.columns.iter().map(move |c| {
                    vec![
                        Cell::text(s.name),
                        Cell::owned(c.name.clone()),
                        Cell::owned(c.meaning.clone()),
                    ]
                })
            })
            .collect();
        Sheet {
            name: "README",
            kind: Kind::Readme,
            preamble,
            columns: vec![
                col("sheet", "the sheet (or CSV file) the column is in"),
                col("column", "the column's header"),
                col("meaning", "what the column holds"),
            ],
            rows: Box::new(rows.into_iter()),
        }
    }

    fn xlsx(&self) -> anyhow::Result<Vec<u8>> {
        sheet::xlsx(self.sheets())
    }

    fn zip(&self) -> anyhow::Result<Vec<u8>> {
        sheet::zip(self.sheets())
    }

    /// Writes one CSV file per sheet into `dir` (made if missing).
    fn csv_folder(&self, dir: &Path) -> anyhow::Result<usize> {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
        let mut n = 0;
        for s in self.sheets() {
            let path = dir.join(sheet::csv_name(s.name));
            let bytes = sheet::csv(s)?;
            std::fs::write(&path, bytes)
                .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
            n += 1;
        }
        Ok(n)
    }
}

/// Builds an export in memory: the `.xlsx` workbook, or for CSV a `.zip` of the files.
/// `document` is the JSON of the current dashboard document if the caller holds one (the
/// server's aggregator); it is used when it is of the revision read, else the document is
/// computed. The file is made on the blocking pool, off the async runtime.
pub async fn export(store: &Store, document: Option<&[u8]>, options: &Options) -> Result<Export> {
    let started = std::time::Instant::now();
    let snap = snapshot(store, document, options).await?;
    let read = started.elapsed();
    let format = options.format;
    let (rev, period, iso3) = (snap.dump.rev, snap.doc.period, snap.iso3.clone());
    let bytes = tokio::task::spawn_blocking(move || match format {
        Format::Xlsx => snap.xlsx(),
        Format::Csv => snap.zip(),
    })
    .await
    .map_err(anyhow::Error::from)??;
    tracing::debug!(
        rev,
        ?format,
        bytes = bytes.len(),
        read_ms = read.as_secs_f64() * 1e3,
        write_ms = (started.elapsed() - read).as_secs_f64() * 1e3,
        "export built"
    );
    Ok(Export {
        rev,
        period,
        format,
        iso3,
        bytes,
    })
}

/// What [`write_export`] wrote.
#[derive(Debug, Clone)]
pub struct Written {
    pub rev: i64,
    pub period: i64,
    /// The file, or the folder of CSV files.
    pub path: PathBuf,
    /// Sheets (or CSV files) written.
    pub sheets: usize,
    pub bytes: u64,
}

/// Writes an export to `out` as `apo-dashboard export` does: `xlsx` writes one workbook at
/// `out`; `csv` writes a `.zip` when `out` ends in `.zip`, else a folder of CSV files at `out`
/// (made if missing; files of the same names are replaced). The dashboard views are computed
/// from the store at the revision read.
pub async fn write_export(store: &Store, options: &Options, out: &Path) -> Result<Written> {
    let started = std::time::Instant::now();
    let snap = snapshot(store, None, options).await?;
    tracing::debug!(
        rev = snap.dump.rev,
        read_ms = started.elapsed().as_secs_f64() * 1e3,
        "export read"
    );
    let format = options.format;
    let out = out.to_owned();
    let (rev, period) = (snap.dump.rev, snap.doc.period);
    let written = tokio::task::spawn_blocking(move || -> anyhow::Result<Written> {
        let zip = out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        let (sheets, bytes) = match format {
            Format::Csv if !zip => {
                let n = snap.csv_folder(&out)?;
                (n, folder_size(&out))
            }
            _ => {
                let bytes = match format {
                    Format::Xlsx => snap.xlsx()?,
                    Format::Csv => snap.zip()?,
                };
                std::fs::write(&out, &bytes)
                    .map_err(|e| anyhow::anyhow!("writing {}: {e}", out.display()))?;
                (snap.sheets().len(), bytes.len() as u64)
            }
        };
        tracing::debug!(
            sheets,
            bytes,
            ms = started.elapsed().as_secs_f64() * 1e3,
            "export written"
        );
        Ok(Written {
            rev,
            period,
            path: out,
            sheets,
            bytes,
        })
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(written)
}

fn folder_size(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Runs `apo-dashboard export`.
pub async fn command(args: ExportArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.database.url).await?;
    let options = Options {
        format: args.format,
        iso3: args.iso3.clone(),
        period: args.period,
        audit_log: !args.no_audit_log,
    };
    let result = write_export(&store, &options, &args.out).await;
    store.close().await;
    let w = match result {
        Ok(w) => w,
        Err(Error::Invalid(_, details)) => anyhow::bail!(
            "export refused, nothing written: {}",
            details
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Err(e) => {
            return Err(anyhow::Error::from(e).context(format!("export to {}", args.out.display())));
        }
    };
    println!(
        "exported revision {} (period {}): {} sheets, {} bytes, to {}",
        w.rev,
        w.period,
        w.sheets,
        w.bytes,
        w.path.display()
    );
    Ok(())
}
