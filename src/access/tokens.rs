//! Tokens for people and scripts, and links (the demo's): created, listed, revoked.

use serde::Serialize;
use utoipa::ToSchema;

use super::secrets::{self, LINK_CODE_LEN};
use super::{Access, Kind, Role, check_label, now};
use crate::error::{Detail, Error, Result};
use crate::store::access::{AccessWrite, CredentialRow};
use crate::store::timestamp;

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

impl Access {
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
