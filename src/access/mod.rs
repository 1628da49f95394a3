//! Who may do what: roles, the credentials that carry them (tokens, delegation cards, links),
//! browser sessions, and workshops.
//!
//! # Roles
//! - `secretariat`: everything: endorse or return primers, budgets, projects, the audit log,
//!   tokens, workshops;
//! - `editor`, scoped to one member: that member's primer, key results, targets and reports,
//!   never a primer status beyond `submitted`;
//! - `viewer`: reads;
//! - `metrics`: reads `/metrics` only (a monitoring system's token).
//!
//! # The registry
//! [`Access`] keeps every credential, open session and workshop in memory (a room's worth is a
//! few hundred rows), so that a request is authenticated without a query. Every change to them
//! is written to the database with a bump of the access revision, and the registry reloads; a
//! watcher looks at that revision four times a second, so that a token revoked by the command
//! line or another replica takes effect here too, and ends what has expired.
//!
//! Each credential has a cancellation token, and each session a child of its credential's: a
//! live socket opened with either closes when it is cancelled (revoked, expired, workshop
//! closed, signed out).
//!
//! This module holds the roles, the principal and the registry itself (loading, watching,
//! writing); its operations are in `sessions` (bearer tokens, cookies, sign-in, joins,
//! sign-out), `tokens` (tokens and links) and `workshops` (workshops and their cards), and the
//! shapes of the secrets in [`secrets`].

pub mod secrets;
mod sessions;
mod tokens;
mod workshops;

pub use sessions::NewSession;
pub use tokens::{TokenInfo, parse_duration};
pub use workshops::{Card, WorkshopInfo};

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::error::{Detail, Error, Result};
use crate::store::Store;
use crate::store::access::{AccessWrite, CredentialRow, WorkshopRow};

/// How often the watcher looks for changes made elsewhere and for what has expired.
pub const WATCH_EVERY: Duration = Duration::from_millis(250);
/// Unknown credentials make this process look at the access revision at most this often.
pub const LOOK_EVERY: Duration = Duration::from_millis(50);
/// A Secretariat's browser session lasts at most this long (a working day).
pub const SECRETARIAT_SESSION: time::Duration = time::Duration::hours(12);
/// Other sessions without an end of their own (a viewer's link) last at most this long.
pub const OTHER_SESSION: time::Duration = time::Duration::days(7);
/// A workshop's default and longest length.
pub const WORKSHOP_HOURS: i64 = 8;
pub const WORKSHOP_MAX_HOURS: i64 = 24 * 7;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Secretariat,
    Editor,
    Viewer,
    Metrics,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Secretariat => "secretariat",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Metrics => "metrics",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Role::Secretariat, Role::Editor, Role::Viewer, Role::Metrics]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// What a credential is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A bearer token, for people and scripts.
    Token,
    /// A workshop's delegation card: a one-time code that makes a phone a member's editor.
    Card,
    /// A code or link that opens a session: a workshop's join code, a viewer's link, a
    /// one-time sign-in.
    Link,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Token => "token",
            Kind::Card => "card",
            Kind::Link => "link",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Kind::Token, Kind::Card, Kind::Link]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Who is asking: a credential (through a bearer token or a session it opened).
#[derive(Debug)]
pub struct Principal {
    /// The credential's id (public: what the audit log and `token list` show).
    pub credential: String,
    /// Its label: a token's, or a card's ("Viet Nam delegation card, SPP workshop").
    pub label: String,
    pub kind: Kind,
    pub role: Role,
    /// An editor's member.
    pub member: Option<String>,
    /// The browser session, if the request came with one.
    pub session: Option<String>,
    /// Cancelled when the credential or session ends: revoked, expired, closed, signed out.
    pub ended: CancellationToken,
}

impl Principal {
    /// Whether this principal may change `iso3`'s primer and reports.
    pub fn may_edit(&self, iso3: &str) -> bool {
        match self.role {
            Role::Secretariat => true,
            Role::Editor => self.member.as_deref() == Some(iso3),
            Role::Viewer | Role::Metrics => false,
        }
    }

    /// The identity the audit log records for a write made by this principal.
    pub fn actor(&self, request_id: &str) -> crate::records::Actor {
        crate::records::Actor {
            name: self.label.clone(),
            role: self.role.as_str().into(),
            scope: self.member.clone(),
            credential: Some(self.credential.clone()),
            request_id: Some(request_id.into()),
            idempotency: None,
        }
    }
}

#[derive(Clone)]
pub struct Access {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    state: RwLock<State>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// When (milliseconds since `started`) an unknown credential last made it look at the
    /// access revision.
    last_look: std::sync::atomic::AtomicU64,
    started: std::time::Instant,
}

#[derive(Default)]
struct State {
    rev: i64,
    creds: HashMap<String, Arc<Cred>>,
    sessions: HashMap<String, Arc<Sess>>,
    workshops: Vec<Workshop>,
}

struct Cred {
    row: CredentialRow,
    kind: Kind,
    expires: Option<OffsetDateTime>,
    principal: Arc<Principal>,
}

struct Sess {
    hash: String,
    cred: String,
    expires: OffsetDateTime,
    principal: Arc<Principal>,
}

#[derive(Clone)]
struct Workshop {
    row: WorkshopRow,
    expires: OffsetDateTime,
}

impl Workshop {
    fn open(&self, now: OffsetDateTime) -> bool {
        self.row.closed_at.is_none() && self.expires > now
    }

    fn info(&self, now: OffsetDateTime) -> WorkshopInfo {
        let r = &self.row;
        WorkshopInfo {
            id: r.id.clone(),
            title: r.title.clone(),
            join_code: r.join_code.clone(),
            opened_at: r.opened_at.clone(),
            opened_by: r.opened_by.clone(),
            expires_at: r.expires_at.clone(),
            closed_at: r.closed_at.clone(),
            open: self.open(now),
        }
    }
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl State {
    /// Why `cred` no longer admits anyone, if it does not.
    fn ended(&self, cred: &Cred, now: OffsetDateTime) -> Option<&'static str> {
        if cred.row.revoked_at.is_some() {
            return Some(match cred.kind {
                Kind::Token => "this token was revoked",
                _ => "this access was withdrawn",
            });
        }
        if cred.expires.is_some_and(|e| e <= now) {
            return Some(match cred.kind {
                Kind::Token => "this token has expired",
                _ => "this access has expired",
            });
        }
        if let Some(w) = &cred.row.workshop {
            match self.workshops.iter().find(|x| &x.row.id == w) {
                Some(w) if w.open(now) => {}
                _ => return Some("the workshop has ended"),
            }
        }
        None
    }

    fn open_workshop(&self, now: OffsetDateTime) -> Option<&Workshop> {
        self.workshops.iter().rev().find(|w| w.open(now))
    }
}

impl Access {
    /// Loads the registry and starts its watcher, which stops with `shutdown`.
    pub async fn start(store: Store, shutdown: CancellationToken) -> Result<Self> {
        let access = Self {
            inner: Arc::new(Inner {
                store,
                state: RwLock::new(State::default()),
                reloading: tokio::sync::Mutex::new(()),
                last_look: std::sync::atomic::AtomicU64::new(0),
                started: std::time::Instant::now(),
            }),
        };
        access.reload().await?;
        let watcher = access.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(WATCH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tick.tick() => {}
                }
                if let Err(e) = watcher.reload_if_changed().await {
                    // The database closed as the server stops (before this task hears of the
                    // shutdown): nothing to warn about.
                    if watcher.inner.store.pool().is_closed() {
                        return;
                    }
                    tracing::warn!(error = %e, "reading the access tables failed");
                }
                watcher.sweep();
            }
        });
        Ok(access)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reloads if the access revision moved (another process or the command line wrote).
    pub async fn reload_if_changed(&self) -> Result<()> {
        let rev = self.inner.store.access_rev().await?;
        if rev != self.read().rev {
            self.reload().await?;
        }
        Ok(())
    }

    /// For a credential this process does not know (perhaps made a moment ago by the command
    /// line or another replica): a look at the access revision, at most once per
    /// [`LOOK_EVERY`], so that a stream of made-up tokens costs the database no more than that.
    async fn look_for_unknown(&self) -> Result<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let now = self.inner.started.elapsed().as_millis() as u64;
        let last = self.inner.last_look.load(Relaxed);
        let due = last == 0 || now.saturating_sub(last) >= LOOK_EVERY.as_millis() as u64;
        if due
            && self
                .inner
                .last_look
                .compare_exchange(last, now.max(1), Relaxed, Relaxed)
                .is_ok()
        {
            self.reload_if_changed().await?;
        }
        Ok(())
    }

    /// Reads the access tables into memory, keeping the cancellation tokens of what is still
    /// there, and cancels what has ended.
    async fn reload(&self) -> Result<()> {
        let _one = self.inner.reloading.lock().await;
        let rows = self.inner.store.access_rows().await?;
        let mut next = State {
            rev: rows.rev,
            ..State::default()
        };
        next.workshops = rows
            .workshops
            .into_iter()
            .filter_map(|row| {
                Some(Workshop {
                    expires: parse_time(&row.expires_at)?,
                    row,
                })
            })
            .collect();
        let vanished: Vec<CancellationToken>;
        {
            let old = self.read();
            for row in rows.credentials {
                let (Some(kind), Some(role)) = (Kind::parse(&row.kind), Role::parse(&row.role))
                else {
                    continue;
                };
                let ended = old
                    .creds
                    .get(&row.id)
                    .map_or_else(CancellationToken::new, |c| c.principal.ended.clone());
                let principal = Arc::new(Principal {
                    credential: row.id.clone(),
                    label: row.label.clone(),
                    kind,
                    role,
                    member: row.member.clone(),
                    session: None,
                    ended,
                });
                let cred = Cred {
                    expires: row.expires_at.as_deref().and_then(parse_time),
                    kind,
                    row,
                    principal,
                };
                next.creds.insert(cred.row.id.clone(), Arc::new(cred));
            }
            for row in rows.sessions {
                let Some(cred) = next.creds.get(&row.credential) else {
                    continue;
                };
                let Some(expires) = parse_time(&row.expires_at) else {
                    continue;
                };
                let ended = old.sessions.get(&row.id).map_or_else(
                    || cred.principal.ended.child_token(),
                    |s| s.principal.ended.clone(),
                );
                let p = &cred.principal;
                let principal = Arc::new(Principal {
                    credential: p.credential.clone(),
                    label: p.label.clone(),
                    kind: p.kind,
                    role: p.role,
                    member: p.member.clone(),
                    session: Some(row.id.clone()),
                    ended,
                });
                next.sessions.insert(
                    row.id.clone(),
                    Arc::new(Sess {
                        hash: row.secret_hash,
                        cred: row.credential,
                        expires,
                        principal,
                    }),
                );
            }
            vanished = old
                .sessions
                .iter()
                .filter(|(id, _)| !next.sessions.contains_key(*id))
                .map(|(_, s)| s.principal.ended.clone())
                .chain(
                    old.creds
                        .iter()
                        .filter(|(id, _)| !next.creds.contains_key(*id))
                        .map(|(_, c)| c.principal.ended.clone()),
                )
                .collect();
        }
        *self
            .inner
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = next;
        for token in vanished {
            token.cancel();
        }
        self.sweep();
        Ok(())
    }

    /// Cancels the tokens of credentials and sessions that have ended, so that their live
    /// sockets close.
    fn sweep(&self) {
        let now = now();
        let state = self.read();
        for cred in state.creds.values() {
            if !cred.principal.ended.is_cancelled() && state.ended(cred, now).is_some() {
                tracing::info!(credential = %cred.row.id, "access ended");
                cred.principal.ended.cancel();
            }
        }
        for s in state.sessions.values() {
            if s.expires <= now {
                s.principal.ended.cancel();
            }
        }
    }

    /// Applies a change to the access tables and reloads.
    async fn write(&self, writes: &[AccessWrite<'_>]) -> Result<bool> {
        let done = self.inner.store.access_write(writes).await?;
        self.reload().await?;
        Ok(done)
    }

    /// An id for a new credential: unused here (and, by the primary key, anywhere).
    fn fresh_id(&self, mint: impl Fn() -> secrets::Minted) -> secrets::Minted {
        let state = self.read();
        loop {
            let m = mint();
            if !state.creds.contains_key(&m.id) {
                return m;
            }
        }
    }
}

/// A label or title: 1–100 printable characters.
fn check_label(label: String) -> Result<String> {
    let label = label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 100 || label.chars().any(char::is_control) {
        return Err(Error::invalid(vec![Detail::field(
            "label",
            "a label is 1–100 printable characters",
        )]));
    }
    Ok(label)
}
