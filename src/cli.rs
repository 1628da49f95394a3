//! The `apo-dashboard` command line: `serve`, `migrate`, `import`. (The live endpoint's load
//! generator is a binary of its own, `apo-loadgen`, under `benches/`.)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{DatabaseConfig, ServeConfig};
use crate::import::{self, Mode, Source};
use crate::startup::{Application, shutdown_on_signals};
use crate::store::Store;

#[derive(Parser)]
#[command(
    name = "apo-dashboard",
    version,
    about = "The APO Productivity Dashboard service"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the dashboard until SIGINT or SIGTERM.
    Serve(ServeConfig),
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Import a primer workbook (a folder of CSV files, or single CSV tables) or a series file
    /// (long form iso3,series,year,value or Penn World Table's wide form). All-or-nothing.
    Import {
        #[command(flatten)]
        database: DatabaseConfig,
        /// Check everything, against the database too, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Whom the audit log credits with the change.
        #[arg(long, env = "USER", default_value = "import")]
        actor: String,
        /// Folders of CSV files, or CSV files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(config) => {
            let app = Application::build(&config).await?;
            println!("{}", app.urls());
            app.run_until_stopped(shutdown_on_signals()).await
        }
        Command::Migrate { database } => {
            let store = Store::open(&database.url).await?;
            println!("database at revision {}", store.current_rev().await?);
            store.close().await;
            Ok(())
        }
        Command::Import {
            database,
            dry_run,
            actor,
            paths,
        } => {
            let mut sources = Vec::new();
            for p in &paths {
                sources.extend(Source::read(p)?);
            }
            let store = Store::open(&database.url).await?;
            let mode = if dry_run { Mode::DryRun } else { Mode::Apply };
            let result = import::import(&store, &sources, &actor, mode).await;
            store.close().await;
            match result {
                Ok(report) => {
                    println!("{report}");
                    Ok(())
                }
                Err(crate::error::Error::Invalid(message, details)) => {
                    for d in &details {
                        eprintln!("{d}");
                    }
                    anyhow::bail!("import refused, nothing written: {message}")
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}
