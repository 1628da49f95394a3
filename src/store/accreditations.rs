//! Accreditations: each record written and logged whole (so that any revision can be told
//! again), moved only along its workflow; read now or as of a past revision.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, FromRow};

use super::log::logged_edits;
use super::reads::{decoded, format_date, parse_date};
use super::{Store, Write};
use crate::domain::{Finite, Iso3};
use crate::error::{Detail, Error, Result};
use crate::model::{AccreditationInput, AccreditationStatus, BodyKind, RecordId};
use crate::records::{Action, Edit, Entity};

#[derive(FromRow)]
struct Row {
    id: String,
    iso3: String,
    body: String,
    body_kind: String,
    scheme: String,
    status: String,
    applied_on: Option<String>,
    assessment_date: Option<String>,
    criteria_scores: String,
    certificate: Option<String>,
    conferred_on: Option<String>,
    occasion: Option<String>,
    valid_until: Option<String>,
    note: String,
}

fn date(d: Option<String>) -> Result<Option<time::Date>> {
    d.as_deref().map(parse_date).transpose()
}

impl Row {
    fn record(self) -> Result<AccreditationInput> {
        let scores: BTreeMap<String, f64> = serde_json::from_str(&self.criteria_scores)
            .map_err(|e| anyhow::anyhow!("accreditation {}: criteria_scores: {e}", self.id))?;
        Ok(AccreditationInput {
            id: decoded(RecordId::parse(&self.id))?,
            iso3: decoded(Iso3::parse(&self.iso3))?,
            body: self.body,
            body_kind: decoded(BodyKind::parse(&self.body_kind))?,
            scheme: self.scheme,
            status: decoded(AccreditationStatus::parse(&self.status))?,
            applied_on: date(self.applied_on)?,
            assessment_date: date(self.assessment_date)?,
            criteria_scores: scores
                .into_iter()
                .map(|(k, v)| Ok((k, decoded(Finite::new(v))?)))
                .collect::<Result<_>>()?,
            certificate: self.certificate,
            conferred_on: date(self.conferred_on)?,
            occasion: self.occasion,
            valid_until: date(self.valid_until)?,
            note: self.note,
        })
    }
}

/// Stored accreditations (all, or the one `id`, or a `member`'s), by id.
pub(super) async fn read(
    conn: &mut AnyConnection,
    id: Option<&str>,
    member: Option<&str>,
) -> Result<Vec<AccreditationInput>> {
    sqlx::query_as::<_, Row>(
        "SELECT id, iso3, body, body_kind, scheme, status, applied_on, assessment_date,
                criteria_scores, certificate, conferred_on, occasion, valid_until, note
         FROM accreditations WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR iso3 = $2)
         ORDER BY id",
    )
    .bind(id.map(str::to_owned))
    .bind(member.map(str::to_owned))
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(Row::record)
    .collect()
}

impl Write {
    /// The accreditation `id` as stored now, in this write's transaction.
    pub async fn accreditation(&mut self, id: &str) -> Result<Option<AccreditationInput>> {
        Ok(read(&mut self.tx, Some(id), None).await?.pop())
    }

    /// Records or changes an accreditation (which must have passed
    /// [`AccreditationInput::validate`]): a 409 `invalid_transition` when its workflow does not
    /// allow the move from the stored status. Returns whether anything changed.
    pub async fn put_accreditation(&mut self, a: &AccreditationInput) -> Result<bool> {
        let old = self.accreditation(a.id.as_str()).await?;
        if let Some((field, message)) = a.transition_problem(old.as_ref()) {
            return Err(Error::InvalidTransition(
                message.clone(),
                vec![Detail::field(field, message)],
            ));
        }
        if old.as_ref() == Some(a) {
            return Ok(false);
        }
        let scores: BTreeMap<&str, f64> = a
            .criteria_scores
            .iter()
            .map(|(k, v)| (k.as_str(), v.get()))
            .collect();
        sqlx::query(
            "INSERT INTO accreditations (id, iso3, body, body_kind, scheme, status, applied_on,
                 assessment_date, criteria_scores, certificate, conferred_on, occasion,
                 valid_until, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (id) DO UPDATE SET iso3 = excluded.iso3, body = excluded.body,
                 body_kind = excluded.body_kind, scheme = excluded.scheme,
                 status = excluded.status, applied_on = excluded.applied_on,
                 assessment_date = excluded.assessment_date,
                 criteria_scores = excluded.criteria_scores,
                 certificate = excluded.certificate, conferred_on = excluded.conferred_on,
                 occasion = excluded.occasion, valid_until = excluded.valid_until,
                 note = excluded.note",
        )
        .bind(a.id.as_str().to_owned())
        .bind(a.iso3.as_str().to_owned())
        .bind(a.body.clone())
        .bind(a.body_kind.as_str())
        .bind(a.scheme.clone())
        .bind(a.status.as_str())
        .bind(a.applied_on.map(format_date))
        .bind(a.assessment_date.map(format_date))
        .bind(serde_json::to_string(&scores).expect("scores serialize"))
        .bind(a.certificate.clone())
        .bind(a.conferred_on.map(format_date))
        .bind(a.occasion.clone())
        .bind(a.valid_until.map(format_date))
        .bind(a.note.clone())
        .execute(&mut *self.tx)
        .await?;
        let edit = Edit::Accreditation {
            action: if old.is_none() {
                Action::Create
            } else {
                Action::Update
            },
            accreditation: Box::new(a.clone()),
        };
        self.audit(edit, old.as_ref()).await?;
        Ok(true)
    }
}

impl Store {
    /// The accreditations, by id: now, or as of revision `as_of` (from the log).
    pub async fn accreditations(&self, as_of: Option<i64>) -> Result<Vec<AccreditationInput>> {
        let mut conn = self.pool().acquire().await?;
        match as_of {
            None => read(&mut conn, None, None).await,
            Some(rev) => {
                let mut state: BTreeMap<String, AccreditationInput> = BTreeMap::new();
                for edit in logged_edits(&mut conn, &[Entity::Accreditation], rev).await? {
                    if let Edit::Accreditation { accreditation, .. } = edit {
                        state.insert(accreditation.id.to_string(), *accreditation);
                    }
                }
                Ok(state.into_values().collect())
            }
        }
    }
}
