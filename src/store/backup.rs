//! Backups of a SQLite database while it serves, and their restore (`apo-dashboard backup` and
//! `restore`). PostgreSQL has its own tools for both, which these commands name.
//!
//! # Backup
//! sqlx has no binding for SQLite's online backup API; `VACUUM INTO` is SQLite's documented
//! alternative: it copies the database as one read transaction sees it, so the copy holds one
//! revision and every change up to it (a write is one transaction, [`super::Write`]), and in
//! WAL mode the server's writers carry on meanwhile. The copy is written beside the file asked
//! for, fsynced, checked ([`inspect`]: integrity, this application's migrations, the revision)
//! and only then renamed to that name: a backup that fails leaves no half file under it.
//!
//! # Restore
//! The file is copied beside the target and checked the same way, so what replaces the target
//! is what was checked; a file that is not a database of this application, or whose schema is
//! newer than this binary's migrations, is refused before the target is touched. So is a target
//! that some process has open (a server: replacing the file under it would leave it serving a
//! deleted file, with a revision and caches that no longer match): SQLite's locks are POSIX
//! advisory locks, which another process can see ([`held_by`]). Then the target's log is folded
//! back into it (SQLite's own check that nobody else has it open), the copy is renamed over it,
//! and the migrations this binary has and the backup lacks are applied.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use super::{Backend, SQLITE_MIGRATIONS, Store, redact};

/// How long the copy may wait for SQLite's locks (in WAL mode a reader waits only while the
/// log is recovered or restarted, which takes milliseconds).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A backup written.
#[derive(Debug)]
pub struct Backup {
    pub path: PathBuf,
    /// The revision it holds: every change up to it, none after.
    pub rev: i64,
    pub bytes: u64,
}

impl std::fmt::Display for Backup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "backup at revision {} written to {} ({} bytes)",
            self.rev,
            self.path.display(),
            self.bytes
        )
    }
}

/// A restore done.
#[derive(Debug)]
pub struct Restored {
    pub target: PathBuf,
    /// The revision restored (the backup's).
    pub rev: i64,
    /// Migrations of this binary that the backup did not have, applied after the restore.
    pub migrated: usize,
}

impl std::fmt::Display for Restored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "restored revision {} into {}",
            self.rev,
            self.target.display()
        )?;
        if self.migrated > 0 {
            write!(
                f,
                " (then applied {} migration{} the backup did not have)",
                self.migrated,
                if self.migrated == 1 { "" } else { "s" }
            )?;
        }
        Ok(())
    }
}

/// Copies the database at `url` to `out` while it may be serving (see the module's doc).
/// An existing `out` is replaced only when `force` is given.
pub async fn backup(url: &str, out: &Path, force: bool) -> anyhow::Result<Backup> {
    if Backend::from_url(url)? == Backend::Postgres {
        bail!(
            "backup is for SQLite; {} is PostgreSQL, whose own tool takes a consistent copy while \
             the service runs:\n  pg_dump --format=custom --file={} '{}'",
            redact(url),
            out.display(),
            redact(url)
        );
    }
    let source = sqlite_file(url)?;
    if !source.is_file() {
        bail!("there is no database at {}", source.display());
    }
    if out.is_dir() {
        bail!("{} is a folder; name the backup file", out.display());
    }
    if same_file(&source, out) {
        bail!(
            "{} is the database itself; name another file for the backup",
            out.display()
        );
    }
    if out.exists() && !force {
        bail!(
            "{} exists; pass --force to replace it, or name another file",
            out.display()
        );
    }
    let temp = Temp::beside(out, "backup")?;
    let mut conn = connect(&source)
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(temp.path.to_string_lossy().into_owned())
        .execute(&mut conn)
        .await;
    conn.close().await?;
    copied.map_err(|e| not_a_database(e, &source.display().to_string()))?;
    sync(&temp.path).await?;
    let found = inspect(&temp.path)
        .await
        .with_context(|| format!("checking the copy of {}", source.display()))?;
    let bytes = tokio::fs::metadata(&temp.path).await?.len();
    temp.rename_to(out).await?;
    Ok(Backup {
        path: out.to_owned(),
        rev: found.rev,
        bytes,
    })
}

/// Replaces the database at `url` with the backup `file` (see the module's doc). Refused,
/// leaving the target as it was, when `file` is not a database of this application or is of a
/// newer schema, or when the target is open in another process.
pub async fn restore(file: &Path, url: &str) -> anyhow::Result<Restored> {
    if Backend::from_url(url)? == Backend::Postgres {
        bail!(
            "restore is for SQLite; {url} is PostgreSQL, which restores with its own tool: \
             stop the service, then\n  pg_restore --clean --if-exists --no-owner \
             --single-transaction --dbname='{url}' {file}\n  apo-dashboard migrate \
             --database-url '{url}'\n(or restore into a new database and point DATABASE_URL \
             at it)",
            url = redact(url),
            file = file.display()
        );
    }
    let target = sqlite_file(url)?;
    if !file.is_file() {
        bail!("there is no file {}", file.display());
    }
    if same_file(file, &target) {
        bail!(
            "{} is the database to restore into; name a backup",
            file.display()
        );
    }
    if non_empty(&with_suffix(file, "-wal")) {
        bail!(
            "{} has a write-ahead log beside it: it is a database in use or not closed \
             cleanly, not a backup; take one with `apo-dashboard backup`",
            file.display()
        );
    }
    let temp = Temp::beside(&target, "restore")?;
    tokio::fs::copy(file, &temp.path)
        .await
        .with_context(|| format!("copying {} beside {}", file.display(), target.display()))?;
    sync(&temp.path).await?;
    let found = inspect(&temp.path)
        .await
        .with_context(|| format!("{} cannot be restored", file.display()))?;
    if let Some(newer) = found.newer.first() {
        bail!(
            "{} cannot be restored: its schema is newer than this apo-dashboard's (it has \
             migration {newer}, this binary knows up to {}); restore it with the apo-dashboard \
             that made it, or a newer one",
            file.display(),
            SQLITE_MIGRATIONS
                .iter()
                .map(|m| m.version)
                .max()
                .unwrap_or(0)
        );
    }
    temp.remove_logs().await?;
    if target.exists() {
        if let Some(pid) = held_by(&target)?.or(held_by(&with_suffix(&target, "-shm"))?) {
            bail!(
                "{} is open in process {pid} (a server?): stop it, then restore; the database \
                 was left as it was",
                target.display()
            );
        }
        fold_log(&target).await?;
        same_owner(&target, &temp.path).await?;
    }
    for log in ["-wal", "-shm", "-journal"] {
        remove_if_present(&with_suffix(&target, log)).await?;
    }
    temp.rename_to(&target).await?;
    // The migrations the backup lacks, and the reference data, as a server's start does.
    let store = Store::open(url).await.context(
        "the backup is in place, but opening it to apply this binary's migrations failed",
    )?;
    let rev = store.current_rev().await;
    store.close().await;
    Ok(Restored {
        target,
        rev: rev?,
        migrated: found.pending,
    })
}

/// What a copy holds, once checked.
struct Found {
    rev: i64,
    /// This binary's migrations it does not have yet.
    pending: usize,
    /// Migrations it has that this binary does not know, newer than all it knows.
    newer: Vec<String>,
}

/// Checks the database file at `path`: SQLite's `integrity_check`, this application's
/// migrations (each known to this binary with the same checksum, or newer than all of them),
/// and its revision, which no audit row goes past.
async fn inspect(path: &Path) -> anyhow::Result<Found> {
    let mut conn = connect(path).await?;
    let found = inspect_on(&mut conn).await;
    conn.close().await?;
    found
}

async fn inspect_on(conn: &mut SqliteConnection) -> anyhow::Result<Found> {
    let tables: Vec<(String,)> =
        sqlx::query_as("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| not_a_database(e, "it"))?;
    let tables: Vec<String> = tables.into_iter().map(|(t,)| t).collect();
    let missing: Vec<&str> = ["_sqlx_migrations", "revision", "audit_log"]
        .into_iter()
        .filter(|t| !tables.iter().any(|have| have == t))
        .collect();
    if !missing.is_empty() {
        bail!(
            "not a database of apo-dashboard: it has no table {} (its tables: {})",
            missing.join(", "),
            if tables.is_empty() {
                "none".to_owned()
            } else {
                tables.join(", ")
            }
        );
    }
    let problems: Vec<(String,)> = sqlx::query_as("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| not_a_database(e, "it"))?;
    if problems.len() != 1 || problems[0].0 != "ok" {
        let shown: Vec<&str> = problems.iter().take(5).map(|(p,)| p.as_str()).collect();
        bail!(
            "it is a damaged SQLite database (SQLite's integrity check: {})",
            shown.join("; ")
        );
    }
    let applied: Vec<(i64, String, Vec<u8>, bool)> = sqlx::query_as(
        "SELECT version, description, checksum, success FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await?;
    let known_max = SQLITE_MIGRATIONS
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap_or(0);
    let mut newer = Vec::new();
    for (version, description, checksum, success) in &applied {
        let named = format!("{version} ({description})");
        if !success {
            bail!("its migration {named} failed part way; it is not a usable database");
        }
        match SQLITE_MIGRATIONS.iter().find(|m| m.version == *version) {
            Some(m) if *m.checksum == **checksum => {}
            Some(m) => bail!(
                "not a database of apo-dashboard: its migration {named} is not this \
                 application's {} ({})",
                m.version,
                m.description
            ),
            None if *version > known_max => newer.push(named),
            None => bail!(
                "not a database of apo-dashboard: its migration {named} is not one of this \
                 application's"
            ),
        }
    }
    if applied.is_empty() {
        bail!("not a database of apo-dashboard: no migration was ever applied to it");
    }
    let pending = SQLITE_MIGRATIONS
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .filter(|m| !applied.iter().any(|(v, ..)| *v == m.version))
        .count();
    let rev: Option<(i64,)> = sqlx::query_as("SELECT rev FROM revision WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?;
    let Some((rev,)) = rev else {
        bail!("its revision counter is missing (no row in the revision table)");
    };
    let (logged,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(rev), 0) FROM audit_log")
        .fetch_one(&mut *conn)
        .await?;
    if logged > rev {
        bail!("its audit log goes up to revision {logged}, past its revision counter ({rev})");
    }
    Ok(Found {
        rev,
        pending,
        newer,
    })
}

/// Folds the target's write-ahead log back into it and leaves it a file on its own (rollback
/// journal mode; the next server to open it turns WAL on again), so that no log of the old
/// database is left to be read against the new one. SQLite changes the journal mode only with
/// no other connection open and does not wait for one to close: busy means in use. A target
/// that is not a readable database has nothing to fold (it is being replaced).
async fn fold_log(target: &Path) -> anyhow::Result<()> {
    let options = SqliteConnectOptions::new()
        .filename(target)
        .create_if_missing(false)
        .busy_timeout(Duration::ZERO);
    let mut conn = match options.connect().await {
        Ok(c) => c,
        Err(e) if sqlite_code(&e).is_some() => return Ok(()),
        Err(e) => return Err(e).context(format!("opening {}", target.display())),
    };
    let folded = sqlx::raw_sql("PRAGMA journal_mode = DELETE")
        .execute(&mut conn)
        .await;
    conn.close().await?;
    match folded {
        Ok(_) => Ok(()),
        // SQLITE_BUSY, SQLITE_LOCKED
        Err(e) if matches!(sqlite_code(&e), Some(5 | 6)) => bail!(
            "{} is in use by another connection: stop the server, then restore; the database \
             was left as it was",
            target.display()
        ),
        // Not a database, or damaged: there is nothing in it to keep.
        Err(e) if sqlite_code(&e).is_some() => {
            tracing::warn!(target = %target.display(), error = %e, "replacing an unreadable database");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// The process (other than this one) that holds a lock on `path`, if any. SQLite's locks are
/// POSIX advisory locks: a connection holds a shared lock on the database file, and in WAL mode
/// on the `-shm` file too, while it is open, and the kernel drops them when its process ends
/// (a killed server holds none). `F_GETLK` tells who holds one without taking it.
///
/// Only locks of other processes show (POSIX locks are per process), and closing any
/// descriptor of a file drops this process's own locks on it: call it before this process
/// opens the file with SQLite.
fn held_by(path: &Path) -> anyhow::Result<Option<i32>> {
    use std::os::fd::AsRawFd;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).context(format!("opening {}", path.display())),
    };
    // SAFETY: `flock` is plain data; zeroed is a valid value, then the fields F_GETLK reads
    // are set. The descriptor is open for the duration of the call.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as _;
    lock.l_whence = libc::SEEK_SET as _;
    lock.l_start = 0;
    lock.l_len = 0; // to the end of the file, and beyond (SQLite locks bytes past it)
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETLK, &mut lock) } == -1 {
        return Err(std::io::Error::last_os_error())
            .context(format!("looking for locks on {}", path.display()));
    }
    Ok((lock.l_type != libc::F_UNLCK as libc::c_short).then_some(lock.l_pid))
}

/// Gives `copy` the permissions of `original`, and its owner when this process may (a restore
/// run as root must not leave the service's database readable by root alone).
async fn same_owner(original: &Path, copy: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let meta = tokio::fs::metadata(original).await?;
    tokio::fs::set_permissions(copy, meta.permissions()).await?;
    if let Err(e) = std::os::unix::fs::chown(copy, Some(meta.uid()), Some(meta.gid())) {
        tracing::debug!(error = %e, "the restored database keeps this user as its owner");
    }
    Ok(())
}

/// The file of a `sqlite://` URL.
fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| format!("reading the database URL {}", redact(url)))?;
    let path = options.get_filename().to_owned();
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory || path.as_os_str().is_empty() {
        bail!(
            "{} is a database in memory: there is no file to copy",
            redact(url)
        );
    }
    Ok(path)
}

/// A connection to the file at `path`, which must exist.
async fn connect(path: &Path) -> anyhow::Result<SqliteConnection> {
    Ok(SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT)
        // The copy and the integrity check take seconds on a large database (100 MB: about
        // 1 and 2 s); that is their nature, not a slow statement to warn about.
        .disable_statement_logging()
        .connect()
        .await?)
}

/// SQLite's primary result code of an error, if it is SQLite's.
fn sqlite_code(e: &sqlx::Error) -> Option<i32> {
    let code = e.as_database_error()?.code()?;
    code.parse::<i32>().ok().map(|c| c & 0xff)
}

/// A database error, said in words when SQLite found no database, or a damaged one, in the
/// file `what` names.
fn not_a_database(e: sqlx::Error, what: &str) -> anyhow::Error {
    let said = e
        .as_database_error()
        .map(|d| d.message().to_owned())
        .unwrap_or_default();
    match sqlite_code(&e) {
        // SQLITE_NOTADB
        Some(26) => anyhow::anyhow!("{what} is not an SQLite database"),
        // SQLITE_CORRUPT
        Some(11) => anyhow::anyhow!("{what} is a damaged SQLite database (SQLite: {said})"),
        _ => anyhow::Error::new(e).context(format!("reading {what}")),
    }
}

/// Whether `a` and `b` name the same file (both must exist to be the same).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn non_empty(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

async fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match tokio::fs::remove_file(path).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).context(format!("removing {}", path.display())),
    }
}

/// Flushes a file to the disk.
async fn sync(path: &Path) -> anyhow::Result<()> {
    tokio::fs::File::open(path)
        .await?
        .sync_all()
        .await
        .with_context(|| format!("writing {} to the disk", path.display()))
}

/// A file being written beside its final name, removed (with any log SQLite left beside it)
/// unless it was renamed to that name.
struct Temp {
    path: PathBuf,
    kept: bool,
}

impl Temp {
    /// `.NAME.WHAT-PID.tmp` in the folder of `path` (the same file system, for the rename),
    /// removed first if a previous run left it.
    fn beside(path: &Path, what: &str) -> anyhow::Result<Self> {
        let dir = folder(path);
        if !dir.is_dir() {
            bail!("there is no folder {}", dir.display());
        }
        let name = path
            .file_name()
            .with_context(|| format!("{} names no file", path.display()))?
            .to_string_lossy();
        let temp = Self {
            path: dir.join(format!(".{name}.{what}-{}.tmp", std::process::id())),
            kept: false,
        };
        temp.remove_all();
        Ok(temp)
    }

    async fn remove_logs(&self) -> anyhow::Result<()> {
        for log in ["-wal", "-shm", "-journal"] {
            remove_if_present(&with_suffix(&self.path, log)).await?;
        }
        Ok(())
    }

    /// Renames it to `path` (replacing what is there at once) and makes the rename durable.
    async fn rename_to(mut self, path: &Path) -> anyhow::Result<()> {
        tokio::fs::rename(&self.path, path)
            .await
            .with_context(|| format!("renaming {} to {}", self.path.display(), path.display()))?;
        self.kept = true;
        tokio::fs::File::open(folder(path))
            .await?
            .sync_all()
            .await
            .with_context(|| format!("writing the folder of {} to the disk", path.display()))
    }

    fn remove_all(&self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(with_suffix(&self.path, suffix));
        }
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.kept {
            self.remove_all();
        }
    }
}

/// The folder a file is in (`.` for a bare name).
fn folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sqlite_url_names_its_file_and_memory_has_none() {
        assert_eq!(
            sqlite_file("sqlite://data/apo.db?mode=rwc").unwrap(),
            PathBuf::from("data/apo.db")
        );
        assert!(sqlite_file("sqlite::memory:").is_err());
        assert!(sqlite_file("sqlite://apo.db?mode=memory").is_err());
    }
}
