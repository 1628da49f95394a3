//! The `apo-dashboard` command line: `serve`, `migrate`, `import`, `token`, `workshop`,
//! `backup`, `restore`. (The live endpoint's load generator is a binary of its own,
//! `apo-loadgen`, under `benches/`.)

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use tokio_util::sync::CancellationToken;

use crate::access::{Access, Role};
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
    Serve(Box<ServeConfig>),
    /// Create or upgrade the database schema, then exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Import a primer workbook (an .xlsx, a folder of CSV files or a .zip of them, or single
    /// CSV tables) or a series file (long form iso3,series,year,value or Penn World Table's wide
    /// form). All-or-nothing; every problem is listed at once, at the row Excel shows.
    Import {
        #[command(flatten)]
        database: DatabaseConfig,
        /// Check everything, against the database too, and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Whom the audit log credits with the change.
        #[arg(long, env = "USER", default_value = "import")]
        actor: String,
        /// .xlsx workbooks, folders of CSV files, .zip archives of them, or CSV files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Export the dashboard's tables and the raw data, as an .xlsx workbook or CSV files.
    Export(Box<crate::export::ExportArgs>),
    /// Create, list and revoke tokens (for people and scripts).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Open, list and close workshops: a join code for the room, a card per delegation.
    #[command(subcommand)]
    Workshop(WorkshopCommand),
    /// Copy the SQLite database to a file while it serves: one revision, checked before it
    /// takes the name. (PostgreSQL: the command names pg_dump.)
    Backup {
        #[command(flatten)]
        database: DatabaseConfig,
        /// The backup file to write.
        #[arg(long)]
        out: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace the SQLite database, with its server stopped, by a backup; then apply the
    /// migrations the backup lacks. (PostgreSQL: the command names pg_restore.)
    Restore {
        #[command(flatten)]
        database: DatabaseConfig,
        /// A file written by `apo-dashboard backup`.
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token and print it, once, as the last word of the output. Only its hash is kept.
    Create {
        #[command(flatten)]
        database: DatabaseConfig,
        #[arg(long, value_enum)]
        role: Role,
        /// The member an editor may edit (ISO3).
        #[arg(long)]
        member: Option<String>,
        /// How long it lasts: 30d, 12h, 90m (default: until revoked).
        #[arg(long, value_parser = crate::access::parse_duration)]
        expires: Option<time::Duration>,
        /// Whose it is, or what it is for ("ops script", "Jane at the Secretariat").
        #[arg(long)]
        label: Option<String>,
    },
    /// List the tokens (never their secrets).
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Revoke a token, named by its id or given whole: its sessions end and its live sockets
    /// close within a second, on every replica.
    Revoke {
        #[command(flatten)]
        database: DatabaseConfig,
        token: String,
    },
}

#[derive(Subcommand)]
enum WorkshopCommand {
    /// Open a workshop; print its join code and one delegation card per member (shown once).
    Open {
        #[command(flatten)]
        database: DatabaseConfig,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, default_value_t = crate::access::WORKSHOP_HOURS)]
        hours: i64,
        /// The address the cards' links use (as `serve --public-url`).
        #[arg(long, env = "APO_PUBLIC_URL", value_parser = crate::config::parse_public_url)]
        public_url: Option<String>,
    },
    /// List the workshops.
    List {
        #[command(flatten)]
        database: DatabaseConfig,
    },
    /// Close a workshop: its codes stop working and its sessions end.
    Close {
        #[command(flatten)]
        database: DatabaseConfig,
        id: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init();
    let runtime = match crate::memory::runtime() {
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
            let bar = progress_bar();
            let on_progress = |p: import::Progress| {
                if bar.length() != Some(p.total) {
                    bar.set_length(p.total);
                }
                bar.set_message(p.stage.as_str());
                bar.set_position(p.done);
            };
            let (workbook, problems) = import::parse(&sources, &on_progress);
            drop(sources);
            let store = Store::open(&database.url).await?;
            let mode = if dry_run { Mode::DryRun } else { Mode::Apply };
            let actor = crate::records::Actor::cli(&actor);
            let result = match store.begin(&actor).await {
                Ok(write) => import::run(
                    write,
                    workbook,
                    problems,
                    mode,
                    import::today(),
                    &on_progress,
                )
                .await
                .map(|(report, _)| report),
                Err(e) => Err(e),
            };
            bar.finish_and_clear();
            store.close().await;
            match result {
                Ok(report) => {
                    println!("{report}");
                    Ok(())
                }
                Err(crate::error::Error::Invalid(_, details)) => {
                    for d in &details {
                        eprintln!("{d}");
                    }
                    anyhow::bail!(
                        "import refused, nothing written: {} problem{} (listed above)",
                        details.len(),
                        if details.len() == 1 { "" } else { "s" }
                    )
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Export(args) => crate::export::command(*args).await,
        Command::Token(command) => token(command).await,
        Command::Workshop(command) => workshop(command).await,
        Command::Backup {
            database,
            out,
            force,
        } => {
            let done = crate::store::backup::backup(&database.url, &out, force).await?;
            println!("{done}");
            Ok(())
        }
        Command::Restore { database, file } => {
            let done = crate::store::backup::restore(&file, &database.url).await?;
            println!("{done}");
            Ok(())
        }
    }
}

/// The import's progress on the terminal (nothing when stderr is not one).
fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>5} [{bar:40}] {human_pos}/{human_len} {per_sec} {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// The command line acts as the Secretariat, as the machine's user.
fn user() -> String {
    std::env::var("USER").unwrap_or_else(|_| "operator".into())
}

/// The registry over `database`, for one command; its watcher stops with the command.
async fn access(database: &DatabaseConfig) -> anyhow::Result<(Store, Access, CancellationToken)> {
    let store = Store::open(&database.url).await?;
    let stop = CancellationToken::new();
    let access = Access::start(store.clone(), stop.clone()).await?;
    Ok((store, access, stop))
}

async fn token(command: TokenCommand) -> anyhow::Result<()> {
    let database = match &command {
        TokenCommand::Create { database, .. }
        | TokenCommand::List { database }
        | TokenCommand::Revoke { database, .. } => database.clone(),
    };
    let (store, access, stop) = access(&database).await?;
    let by = format!("cli:{}", user());
    let result = match command {
        TokenCommand::Create {
            role,
            member,
            expires,
            label,
            ..
        } => access
            .create_token(role, member, label, expires, &by)
            .await
            .map(|(token, info)| {
                println!(
                    "token {} \"{}\": {}{}, {}. Shown once; only its hash is kept:",
                    info.id,
                    info.label,
                    info.role.as_str(),
                    info.member.map(|m| format!(" of {m}")).unwrap_or_default(),
                    info.expires_at
                        .map_or_else(|| "until revoked".to_owned(), |e| format!("until {e}")),
                );
                println!("{token}");
            }),
        TokenCommand::List { .. } => {
            println!(
                "{:<8}  {:<11}  {:<6}  {:<27}  {:<27}  label",
                "id", "role", "member", "expires", "revoked"
            );
            for t in access.tokens() {
                println!(
                    "{:<8}  {:<11}  {:<6}  {:<27}  {:<27}  {}",
                    t.id,
                    t.role.as_str(),
                    t.member.as_deref().unwrap_or("-"),
                    t.expires_at.as_deref().unwrap_or("-"),
                    t.revoked_at.as_deref().unwrap_or("-"),
                    t.label
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { token, .. } => access
            .revoke_token(&token)
            .await
            .map(|t| println!("token {} \"{}\" revoked", t.id, t.label)),
    };
    stop.cancel();
    store.close().await;
    Ok(result?)
}

async fn workshop(command: WorkshopCommand) -> anyhow::Result<()> {
    let database = match &command {
        WorkshopCommand::Open { database, .. }
        | WorkshopCommand::List { database }
        | WorkshopCommand::Close { database, .. } => database.clone(),
    };
    let (store, access, stop) = access(&database).await?;
    let by = format!("cli:{}", user());
    let result = match command {
        WorkshopCommand::Open {
            title,
            hours,
            public_url,
            ..
        } => access
            .open_workshop(title, Some(hours), &by)
            .await
            .map(|(w, cards)| {
                let link = |code: &str| {
                    public_url
                        .as_ref()
                        .map(|u| format!("  {u}/join/{}", code.replace('-', "")))
                        .unwrap_or_default()
                };
                println!(
                    "workshop {} \"{}\" open until {}",
                    w.id, w.title, w.expires_at
                );
                println!("join code (viewers): {}{}", w.join_code, link(&w.join_code));
                println!("delegation cards (one-time; shown once):");
                for c in cards {
                    println!(
                        "  {}  {:<40}  {}{}",
                        c.iso3,
                        c.member,
                        c.code,
                        link(&c.code)
                    );
                }
            }),
        WorkshopCommand::List { .. } => {
            for w in access.workshops() {
                println!(
                    "{}  {:<6}  {}  {}  {}",
                    w.id,
                    if w.open { "open" } else { "closed" },
                    w.join_code,
                    w.expires_at,
                    w.title
                );
            }
            Ok(())
        }
        WorkshopCommand::Close { id, .. } => access
            .close_workshop(&id)
            .await
            .map(|w| println!("workshop {} \"{}\" closed", w.id, w.title)),
    };
    stop.cancel();
    store.close().await;
    Ok(result?)
}
