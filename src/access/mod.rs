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

pub mod secrets;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::error::{Detail, Error, Result};
use crate::store::access::{AccessWrite, CredentialRow, SessionRow, WorkshopRow};
use crate::store::{Store, timestamp};
use secrets::{CARD_CODE_LEN, CODE_ID_LEN, JOIN_CODE_LEN, LINK_CODE_LEN};

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
        }
    }
}

/// A token as `token list` and `GET /tokens` show it: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: String,
    pub label: String,
    pub role: Role,
    pub member: Option<String>,
    pub created_at: String,
    pub created_by: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A workshop as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkshopInfo {
    pub id: String,
    pub title: String,
    /// What viewers type (or scan) to join; shown on the wall.
    pub join_code: String,
    pub opened_at: String,
    pub opened_by: String,
    pub expires_at: String,
    pub closed_at: Option<String>,
    /// Open: neither closed nor expired.
    pub open: bool,
}

/// A delegation card's content: shown once, when it is issued.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Card {
    pub iso3: String,
    pub member: String,
    /// The one-time code, grouped by four (`ACEF-HJKM-NPRT`).
    pub code: String,
}

/// A new session's cookie value and how long it lasts.
pub struct NewSession {
    pub cookie: String,
    pub principal: Arc<Principal>,
    pub max_age: time::Duration,
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
                    tracing::warn!(error = %e, "reading the access tables failed");
                }
                watcher.sweep();
            }
        });
        Ok(access)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner.state.read().expect("not poisoned")
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
        *self.inner.state.write().expect("not poisoned") = next;
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

    /// The principal of a bearer token; 401 naming why not.
    pub async fn bearer(&self, token: &str) -> Result<Arc<Principal>> {
        let Some((id, secret)) = secrets::parse_token(token) else {
            return Err(Error::Unauthorized(
                "the bearer token is not a token of this service (apo_…)".into(),
            ));
        };
        if !self.read().creds.contains_key(id) {
            self.look_for_unknown().await?;
        }
        let state = self.read();
        let cred = state
            .creds
            .get(id)
            .filter(|c| c.kind == Kind::Token && secrets::matches(secret, &c.row.secret_hash))
            .ok_or_else(|| Error::Unauthorized("unknown token".into()))?;
        if let Some(why) = state.ended(cred, now()) {
            return Err(Error::Unauthorized(why.into()));
        }
        Ok(cred.principal.clone())
    }

    /// The principal of a session cookie's value, if it is a live session.
    pub async fn session(&self, value: &str) -> Option<Arc<Principal>> {
        let (id, secret) = secrets::parse_session(value)?;
        if !self.read().sessions.contains_key(id) {
            self.look_for_unknown().await.ok()?;
        }
        let state = self.read();
        let s = state.sessions.get(id)?;
        let now = now();
        let live = secrets::matches(secret, &s.hash)
            && s.expires > now
            && state
                .creds
                .get(&s.cred)
                .is_some_and(|c| state.ended(c, now).is_none());
        live.then(|| s.principal.clone())
    }

    /// Opens a browser session with a token.
    pub async fn sign_in(&self, token: &str) -> Result<NewSession> {
        let principal = self.bearer(token).await?;
        self.open_session(&principal.credential).await
    }

    /// Opens a session with a typed or scanned code: a workshop's join code, a delegation card
    /// (once) or a link.
    pub async fn join(&self, typed: &str) -> Result<NewSession> {
        let unknown = || Error::Unauthorized("no open workshop has this code".into());
        let code = secrets::parse_code(typed).ok_or_else(unknown)?;
        if code.len() == JOIN_CODE_LEN {
            self.reload_if_changed().await?;
            let cred = {
                let state = self.read();
                let now = now();
                let workshop = state
                    .workshops
                    .iter()
                    .find(|w| secrets::same_code(&w.row.join_code, &code))
                    .ok_or_else(unknown)?;
                if !workshop.open(now) {
                    return Err(Error::Gone("this workshop has ended".into()));
                }
                state
                    .creds
                    .values()
                    .find(|c| {
                        c.row.workshop.as_deref() == Some(&workshop.row.id)
                            && c.principal.role == Role::Viewer
                    })
                    .map(|c| c.row.id.clone())
                    .ok_or_else(|| anyhow::anyhow!("workshop without its viewers' credential"))?
            };
            return self.open_session(&cred).await;
        }
        let (id, secret) = code.split_at(CODE_ID_LEN);
        if !self.read().creds.contains_key(id) {
            self.reload_if_changed().await?;
        }
        let (one_time, used) = {
            let state = self.read();
            let cred = state
                .creds
                .get(id)
                .filter(|c| c.kind != Kind::Token && secrets::matches(secret, &c.row.secret_hash))
                .ok_or_else(|| Error::Unauthorized("this code is not valid".into()))?;
            if let Some(why) = state.ended(cred, now()) {
                return Err(Error::Gone(why.into()));
            }
            (cred.row.one_time == 1, cred.row.used_at.is_some())
        };
        let already =
            || Error::Gone("this code was already used; ask the Secretariat for a new card".into());
        if one_time && used {
            return Err(already());
        }
        if one_time {
            let session = self.session_row(id)?;
            if !self
                .write(&[AccessWrite::Use { id }, AccessWrite::Session(&session.0)])
                .await?
            {
                return Err(already());
            }
            return self.opened(session);
        }
        self.open_session(id).await
    }

    /// A new session row for credential `id`, and the cookie's value.
    fn session_row(&self, id: &str) -> Result<(SessionRow, String, time::Duration)> {
        let state = self.read();
        let cred = state
            .creds
            .get(id)
            .ok_or_else(|| anyhow::anyhow!("credential {id} vanished"))?;
        let now = now();
        let longest = match cred.principal.role {
            Role::Secretariat => SECRETARIAT_SESSION,
            _ => OTHER_SESSION,
        };
        let mut ends = now + longest;
        if let Some(e) = cred.expires {
            ends = ends.min(e);
        }
        if let Some(w) = cred
            .row
            .workshop
            .as_ref()
            .and_then(|w| state.workshops.iter().find(|x| &x.row.id == w))
        {
            ends = ends.min(w.expires);
        }
        let minted = secrets::mint_session();
        Ok((
            SessionRow {
                id: minted.id,
                secret_hash: minted.hash,
                credential: id.to_owned(),
                created_at: timestamp(now),
                expires_at: timestamp(ends),
            },
            minted.given,
            ends - now,
        ))
    }

    async fn open_session(&self, credential: &str) -> Result<NewSession> {
        let session = self.session_row(credential)?;
        self.write(&[AccessWrite::Session(&session.0)]).await?;
        self.opened(session)
    }

    fn opened(
        &self,
        (row, cookie, max_age): (SessionRow, String, time::Duration),
    ) -> Result<NewSession> {
        let principal = self
            .read()
            .sessions
            .get(&row.id)
            .map(|s| s.principal.clone())
            .ok_or_else(|| anyhow::anyhow!("session {} vanished", row.id))?;
        Ok(NewSession {
            cookie,
            principal,
            max_age,
        })
    }

    /// Ends a browser session (sign-out); its live sockets close.
    pub async fn sign_out(&self, session: &str) -> Result<()> {
        self.write(&[AccessWrite::EndSession { id: session }])
            .await?;
        Ok(())
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

    /// Creates a token; returns it (shown once) and what `token list` will show.
    pub async fn create_token(
        &self,
        role: Role,
        member: Option<String>,
        label: Option<String>,
        expires_in: Option<time::Duration>,
        by: &str,
    ) -> Result<(String, TokenInfo)> {
        let member = self.check_scope(role, member).await?;
        if expires_in.is_some_and(|d| d <= time::Duration::ZERO) {
            return Err(Error::invalid(vec![Detail::field(
                "expires",
                "a token must expire in the future",
            )]));
        }
        let minted = self.fresh_id(secrets::mint_token);
        let label = check_label(label.unwrap_or_else(|| match &member {
            Some(m) => format!("{m} editor token {}", minted.id),
            None => format!("{} token {}", role.as_str(), minted.id),
        }))?;
        let now = now();
        let row = CredentialRow {
            id: minted.id.clone(),
            kind: Kind::Token.as_str().into(),
            secret_hash: minted.hash,
            role: role.as_str().into(),
            member,
            label,
            workshop: None,
            one_time: 0,
            created_at: timestamp(now),
            created_by: by.into(),
            expires_at: expires_in.map(|d| timestamp(now + d)),
            used_at: None,
            revoked_at: None,
        };
        self.write(&[AccessWrite::Credential(&row)]).await?;
        Ok((minted.given, token_info(&row)))
    }

    /// An editor needs a member that exists; no other role has one.
    async fn check_scope(&self, role: Role, member: Option<String>) -> Result<Option<String>> {
        match (role, member) {
            (Role::Editor, Some(m)) => {
                let iso3 = crate::domain::Iso3::parse(&m)
                    .map_err(|e| Error::invalid(vec![Detail::field("member", e.0)]))?;
                if !self.inner.store.member_exists(iso3.as_str()).await? {
                    return Err(Error::invalid(vec![Detail::field(
                        "member",
                        format!("{m} is not an APO member"),
                    )]));
                }
                Ok(Some(iso3.as_str().to_owned()))
            }
            (Role::Editor, None) => Err(Error::invalid(vec![Detail::field(
                "member",
                "an editor's token needs the member it may edit",
            )])),
            (_, Some(_)) => Err(Error::invalid(vec![Detail::field(
                "member",
                "only an editor has a member",
            )])),
            (_, None) => Ok(None),
        }
    }

    /// The tokens, newest first.
    pub fn tokens(&self) -> Vec<TokenInfo> {
        let state = self.read();
        let mut list: Vec<TokenInfo> = state
            .creds
            .values()
            .filter(|c| c.kind == Kind::Token)
            .map(|c| token_info(&c.row))
            .collect();
        list.sort_by(|a, b| (&b.created_at, &b.id).cmp(&(&a.created_at, &a.id)));
        list
    }

    /// Revokes a token, named by its id or given whole; its sessions and sockets end.
    pub async fn revoke_token(&self, id_or_token: &str) -> Result<TokenInfo> {
        self.reload_if_changed().await?;
        let id = secrets::parse_token(id_or_token).map_or(id_or_token, |(id, _)| id);
        let known = self
            .read()
            .creds
            .get(id)
            .filter(|c| c.kind == Kind::Token)
            .is_some();
        if !known {
            return Err(Error::NotFound(format!("no token {id}")));
        }
        self.write(&[AccessWrite::Revoke { id }]).await?;
        let state = self.read();
        Ok(token_info(&state.creds[id].row))
    }

    /// A link: a code (of [`LINK_CODE_LEN`]) that opens a session as `role`, once if
    /// `one_time`. The demo prints two.
    pub async fn create_link(
        &self,
        role: Role,
        label: &str,
        one_time: bool,
        expires_in: time::Duration,
        by: &str,
    ) -> Result<String> {
        let minted = self.fresh_id(|| secrets::mint_code(LINK_CODE_LEN));
        let now = now();
        let row = CredentialRow {
            id: minted.id.clone(),
            kind: Kind::Link.as_str().into(),
            secret_hash: minted.hash,
            role: role.as_str().into(),
            member: None,
            label: check_label(label.to_owned())?,
            workshop: None,
            one_time: one_time.into(),
            created_at: timestamp(now),
            created_by: by.into(),
            expires_at: Some(timestamp(now + expires_in)),
            used_at: None,
            revoked_at: None,
        };
        self.write(&[AccessWrite::Credential(&row)]).await?;
        Ok(minted.given)
    }

    /// The workshop open now, if any.
    pub fn current_workshop(&self) -> Option<WorkshopInfo> {
        let now = now();
        self.read().open_workshop(now).map(|w| w.info(now))
    }

    /// Every workshop, newest first.
    pub fn workshops(&self) -> Vec<WorkshopInfo> {
        let now = now();
        self.read()
            .workshops
            .iter()
            .rev()
            .map(|w| w.info(now))
            .collect()
    }

    /// Opens a workshop: its join code for viewers, and one delegation card per member.
    /// Refused (409) while another is open.
    pub async fn open_workshop(
        &self,
        title: Option<String>,
        hours: Option<i64>,
        by: &str,
    ) -> Result<(WorkshopInfo, Vec<Card>)> {
        let hours = hours.unwrap_or(WORKSHOP_HOURS);
        if !(1..=WORKSHOP_MAX_HOURS).contains(&hours) {
            return Err(Error::invalid(vec![Detail::field(
                "hours",
                format!("a workshop lasts 1 to {WORKSHOP_MAX_HOURS} hours"),
            )]));
        }
        self.reload_if_changed().await?;
        let now = now();
        if let Some(open) = self.read().open_workshop(now) {
            return Err(Error::Conflict(
                format!(
                    "workshop \"{}\" is open until {}; close it first",
                    open.row.title, open.row.expires_at
                ),
                vec![],
            ));
        }
        let title = check_label(title.unwrap_or_else(|| format!("SPP workshop {}", now.date())))?;
        let expires = now + time::Duration::hours(hours);
        let join_code = loop {
            let c = secrets::random_code(JOIN_CODE_LEN);
            if !self.read().workshops.iter().any(|w| w.row.join_code == c) {
                break c;
            }
        };
        let workshop = WorkshopRow {
            id: secrets::mint_session().id[..8].to_owned(),
            title: title.clone(),
            join_code,
            opened_at: timestamp(now),
            opened_by: by.into(),
            expires_at: timestamp(expires),
            closed_at: None,
        };
        let viewers = CredentialRow {
            id: self.fresh_id(secrets::mint_token).id,
            kind: Kind::Link.as_str().into(),
            // Join codes are checked against the workshop, not a hash: this one opens nothing.
            secret_hash: String::new(),
            role: Role::Viewer.as_str().into(),
            member: None,
            label: format!("{title}: join code"),
            workshop: Some(workshop.id.clone()),
            one_time: 0,
            created_at: timestamp(now),
            created_by: by.into(),
            expires_at: Some(workshop.expires_at.clone()),
            used_at: None,
            revoked_at: None,
        };
        let members = self.inner.store.members().await?;
        let (rows, cards) = self.cards(&workshop, members.iter().map(|m| (&m.iso3, &m.name)), by);
        let mut writes = vec![
            AccessWrite::Workshop(&workshop),
            AccessWrite::Credential(&viewers),
        ];
        writes.extend(rows.iter().map(AccessWrite::Credential));
        self.write(&writes).await?;
        Ok((
            self.read()
                .workshops
                .last()
                .map(|w| w.info(now))
                .ok_or_else(|| anyhow::anyhow!("workshop vanished"))?,
            cards,
        ))
    }

    /// New cards for `members` in `workshop`: their rows and what is printed.
    fn cards<'a>(
        &self,
        workshop: &WorkshopRow,
        members: impl Iterator<Item = (&'a String, &'a String)>,
        by: &str,
    ) -> (Vec<CredentialRow>, Vec<Card>) {
        let now = timestamp(now());
        let mut rows: Vec<CredentialRow> = Vec::new();
        let mut cards = Vec::new();
        for (iso3, name) in members {
            let minted = loop {
                let m = self.fresh_id(|| secrets::mint_code(CARD_CODE_LEN));
                if !rows.iter().any(|r| r.id == m.id) {
                    break m;
                }
            };
            rows.push(CredentialRow {
                id: minted.id,
                kind: Kind::Card.as_str().into(),
                secret_hash: minted.hash,
                role: Role::Editor.as_str().into(),
                member: Some(iso3.clone()),
                label: format!("{name} delegation card, {}", workshop.title),
                workshop: Some(workshop.id.clone()),
                one_time: 1,
                created_at: now.clone(),
                created_by: by.into(),
                expires_at: Some(workshop.expires_at.clone()),
                used_at: None,
                revoked_at: None,
            });
            cards.push(Card {
                iso3: iso3.clone(),
                member: name.clone(),
                code: secrets::display_code(&minted.given),
            });
        }
        (rows, cards)
    }

    /// New cards for an open workshop: for `member` (its old card withdrawn, used or not, and
    /// the phone that used it signed out), or for every member whose card is still unused.
    pub async fn reissue_cards(
        &self,
        workshop: &str,
        member: Option<&str>,
        by: &str,
    ) -> Result<Vec<Card>> {
        self.reload_if_changed().await?;
        let (row, withdrawn) = {
            let state = self.read();
            let w = state
                .workshops
                .iter()
                .find(|w| w.row.id == workshop)
                .ok_or_else(|| Error::NotFound(format!("no workshop {workshop}")))?;
            if !w.open(now()) {
                return Err(Error::Conflict("the workshop has ended".into(), vec![]));
            }
            let withdrawn: Vec<(String, String)> = state
                .creds
                .values()
                .filter(|c| {
                    c.kind == Kind::Card
                        && c.row.workshop.as_deref() == Some(workshop)
                        && c.row.revoked_at.is_none()
                        && match member {
                            Some(m) => c.row.member.as_deref() == Some(m),
                            None => c.row.used_at.is_none(),
                        }
                })
                .map(|c| (c.row.id.clone(), c.row.member.clone().unwrap_or_default()))
                .collect();
            (w.row.clone(), withdrawn)
        };
        let members = self.inner.store.members().await?;
        let chosen: Vec<(&String, &String)> = members
            .iter()
            .filter(|m| match member {
                Some(x) => m.iso3 == x,
                None => withdrawn.iter().any(|(_, iso3)| iso3 == &m.iso3),
            })
            .map(|m| (&m.iso3, &m.name))
            .collect();
        if let Some(m) = member
            && chosen.is_empty()
        {
            return Err(Error::invalid(vec![Detail::field(
                "iso3",
                format!("{m} is not an APO member"),
            )]));
        }
        let (rows, cards) = self.cards(&row, chosen.into_iter(), by);
        let mut writes: Vec<AccessWrite> = withdrawn
            .iter()
            .map(|(id, _)| AccessWrite::Revoke { id })
            .collect();
        writes.extend(rows.iter().map(AccessWrite::Credential));
        if !writes.is_empty() {
            self.write(&writes).await?;
        }
        Ok(cards)
    }

    /// Closes a workshop: its sessions end and their sockets close.
    pub async fn close_workshop(&self, id: &str) -> Result<WorkshopInfo> {
        self.reload_if_changed().await?;
        if !self.read().workshops.iter().any(|w| w.row.id == id) {
            return Err(Error::NotFound(format!("no workshop {id}")));
        }
        if !self.write(&[AccessWrite::CloseWorkshop { id }]).await? {
            return Err(Error::Conflict(
                format!("workshop {id} is already closed"),
                vec![],
            ));
        }
        let now = now();
        let state = self.read();
        Ok(state
            .workshops
            .iter()
            .find(|w| w.row.id == id)
            .map(|w| w.info(now))
            .ok_or_else(|| anyhow::anyhow!("workshop vanished"))?)
    }
}

fn token_info(row: &CredentialRow) -> TokenInfo {
    TokenInfo {
        id: row.id.clone(),
        label: row.label.clone(),
        role: Role::parse(&row.role).unwrap_or(Role::Viewer),
        member: row.member.clone(),
        created_at: row.created_at.clone(),
        created_by: row.created_by.clone(),
        expires_at: row.expires_at.clone(),
        revoked_at: row.revoked_at.clone(),
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

/// A duration such as `30d`, `12h` or `90m`, at most 3650 days.
pub fn parse_duration(s: &str) -> std::result::Result<time::Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n
        .parse()
        .map_err(|_| format!("{s:?}: expected a number and a unit, e.g. 30d, 12h, 90m"))?;
    let minutes = match unit {
        "d" => 24 * 60,
        "h" => 60,
        "m" => 1,
        _ => return Err(format!("{s:?}: the unit is d, h or m")),
    };
    // At most ten years, checked before the multiplication can overflow.
    const MAX_MINUTES: i64 = 3650 * 24 * 60;
    if n <= 0 || n > MAX_MINUTES / minutes {
        return Err(format!("{s:?}: between 1 minute and 3650 days"));
    }
    Ok(time::Duration::minutes(n * minutes))
}
