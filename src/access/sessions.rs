//! Opening and ending sessions: a bearer token checked, a session cookie checked, a sign-in
//! with a token, a join with a workshop's code or a card (once) or a link, a sign-out.

use std::sync::Arc;

use super::secrets::{self, CODE_ID_LEN, JOIN_CODE_LEN};
use super::{Access, Kind, OTHER_SESSION, Principal, Role, SECRETARIAT_SESSION, now};
use crate::error::{Error, Result};
use crate::store::access::{AccessWrite, SessionRow};
use crate::store::timestamp;

/// A new session's cookie value and how long it lasts.
pub struct NewSession {
    pub cookie: String,
    pub principal: Arc<Principal>,
    pub max_age: time::Duration,
}

impl Access {
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
}
