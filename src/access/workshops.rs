//! Workshops: opened with a join code and a delegation card per member, cards reissued,
//! closed.

use serde::Serialize;
use utoipa::ToSchema;

use super::secrets::{self, CARD_CODE_LEN, JOIN_CODE_LEN};
use super::{Access, Kind, Role, WORKSHOP_HOURS, WORKSHOP_MAX_HOURS, check_label, now};
use crate::error::{Detail, Error, Result};
use crate::store::access::{AccessWrite, CredentialRow, WorkshopRow};
use crate::store::timestamp;

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

impl Access {
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
