//! Primers with their focus areas, key results and targets: read as one document, written as
//! one document (the unit a delegate edits and the unit the audit log keeps).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use sqlx::{AnyConnection, FromRow};

use super::reads::{KeyResultRow, decoded, format_date, parse_date};
use super::{Store, Val, Write, insert_rows};
use crate::domain::{Direction, Finite, KrCode, Pillar, PrimerStatus, Year};
use crate::error::{Detail, Error, Result};
use crate::model::{KeyResult, Primer, PrimerInput};
use crate::records::{Action, Edit, PrimerEdit};

/// How a primer write treats the status workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workflow {
    /// An edit through the API: only the documented status moves, content only in draft.
    Enforce,
    /// A Secretariat import: the file is authoritative.
    Bypass,
}

/// A move of the Secretariat's review desk, or a delegation's amendment.
#[derive(Debug, Clone)]
pub enum Review {
    Return {
        comment: String,
    },
    Endorse {
        on: time::Date,
        comment: Option<String>,
    },
    Amend {
        reason: String,
    },
}

/// A primer summary for listings.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema, FromRow)]
pub struct PrimerSummary {
    pub iso3: String,
    pub status: String,
    pub endorsed_on: Option<String>,
    pub key_results: i64,
    /// 1, and one more for each amendment of an endorsed primer.
    pub version: i64,
    pub updated_rev: i64,
    pub updated_at: String,
}

impl Store {
    pub async fn primer(&self, iso3: &str) -> Result<Option<Primer>> {
        let mut conn = self.pool().acquire().await?;
        load_primer(&mut conn, iso3).await
    }

    pub async fn primers(&self) -> Result<Vec<PrimerSummary>> {
        Ok(sqlx::query_as(
            "SELECT p.iso3, p.status, p.endorsed_on,
                    (SELECT COUNT(*) FROM key_results k WHERE k.iso3 = p.iso3) AS key_results,
                    p.version, p.updated_rev, p.updated_at
             FROM primers p ORDER BY p.iso3",
        )
        .fetch_all(self.pool())
        .await?)
    }
}

/// A stored primer's own row.
#[derive(FromRow)]
struct PrimerRow {
    cycle: String,
    status: String,
    national_context: String,
    endorsed_on: Option<String>,
    updated_rev: i64,
    updated_at: String,
    version: i64,
    review_action: Option<String>,
    review_note: Option<String>,
    review_by: Option<String>,
    review_at: Option<String>,
    review_rev: Option<i64>,
}

pub(super) async fn load_primer(conn: &mut AnyConnection, iso3: &str) -> Result<Option<Primer>> {
    let head: Option<PrimerRow> = sqlx::query_as(
        "SELECT cycle, status, national_context, endorsed_on, updated_rev, updated_at, version,
                review_action, review_note, review_by, review_at, review_rev
         FROM primers WHERE iso3 = $1",
    )
    .bind(iso3.to_owned())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(head) = head else {
        return Ok(None);
    };
    let focus_areas: Vec<(String,)> =
        sqlx::query_as("SELECT label FROM focus_areas WHERE iso3 = $1 ORDER BY position")
            .bind(iso3.to_owned())
            .fetch_all(&mut *conn)
            .await?;
    let krs: Vec<KeyResultRow> = sqlx::query_as(
        "SELECT iso3, code, pillar, focus_area, title, unit, direction, baseline_year,
                baseline_value, weight, min_value, max_value
         FROM key_results WHERE iso3 = $1 ORDER BY position",
    )
    .bind(iso3.to_owned())
    .fetch_all(&mut *conn)
    .await?;
    let targets: Vec<(String, i64, f64)> =
        sqlx::query_as("SELECT kr_code, year, target FROM targets WHERE iso3 = $1")
            .bind(iso3.to_owned())
            .fetch_all(&mut *conn)
            .await?;
    let mut sources = super::kr_sources::sources(&mut *conn, Some(iso3)).await?;
    let mut by_kr: BTreeMap<String, BTreeMap<Year, Finite>> = BTreeMap::new();
    for (code, year, target) in targets {
        by_kr
            .entry(code)
            .or_default()
            .insert(decoded(Year::new(year))?, decoded(Finite::new(target))?);
    }
    let key_results =
        krs.into_iter()
            .map(|k| {
                Ok(KeyResult {
                    targets: by_kr.remove(&k.code).unwrap_or_default(),
                    source: sources
                        .remove(&(k.iso3.clone(), k.code.clone()))
                        .map(|s| s.source),
                    code: decoded(KrCode::parse(&k.code))?,
                    pillar: decoded(Pillar::new(k.pillar))?,
                    focus_area: k.focus_area,
                    title: k.title,
                    unit: k.unit,
                    direction: decoded(Direction::parse(&k.direction))?,
                    baseline_year: k.baseline_year,
                    baseline_value: k
                        .baseline_value
                        .map(Finite::new)
                        .transpose()
                        .map_err(|e| Error::Internal(anyhow::anyhow!("stored baseline: {e}")))?,
                    weight: decoded(Finite::new(k.weight))?,
                    min_value: k
                        .min_value
                        .map(Finite::new)
                        .transpose()
                        .map_err(|e| Error::Internal(anyhow::anyhow!("stored least value: {e}")))?,
                    max_value: k.max_value.map(Finite::new).transpose().map_err(|e| {
                        Error::Internal(anyhow::anyhow!("stored greatest value: {e}"))
                    })?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
    Ok(Some(Primer {
        iso3: iso3.to_owned(),
        cycle: head.cycle,
        status: decoded(PrimerStatus::parse(&head.status))?,
        national_context: head.national_context,
        endorsed_on: head.endorsed_on.map(|d| parse_date(&d)).transpose()?,
        focus_areas: focus_areas.into_iter().map(|(l,)| l).collect(),
        key_results,
        updated_rev: head.updated_rev,
        updated_at: head.updated_at,
        version: head.version,
        review: match (head.review_action, head.review_at, head.review_rev) {
            (Some(action), Some(at), Some(rev)) => Some(crate::model::LastReview {
                action: Action::parse(&action)
                    .ok_or_else(|| anyhow::anyhow!("stored review action {action:?}"))?,
                note: head.review_note,
                by: head.review_by.unwrap_or_default(),
                at,
                rev,
            }),
            _ => None,
        },
    }))
}

impl Write {
    /// A member's primer as this write sees it.
    pub async fn primer(&mut self, iso3: &str) -> Result<Option<Primer>> {
        load_primer(&mut self.tx, iso3).await
    }

    /// Replaces a member's primer (focus areas, key results, targets) with `new`, which must
    /// have passed [`PrimerInput::check`]. Returns whether anything changed.
    ///
    /// Refuses (409) a status move the workflow does not allow and the removal of a key result
    /// that has reports: reports are history and are never deleted.
    pub async fn put_primer(
        &mut self,
        iso3: &str,
        new: &PrimerInput,
        workflow: Workflow,
    ) -> Result<bool> {
        self.write_primer(iso3, new, workflow, None).await
    }

    /// A review of a submitted primer (return it to its delegation with a comment, or endorse
    /// it), or the amendment of an endorsed one (reopened as a draft of its next version; the
    /// endorsed version stays in the log, `GET /primers/{iso3}/history`). Refuses (409) a move
    /// from the wrong status.
    pub async fn review_primer(&mut self, iso3: &str, review: Review) -> Result<()> {
        let Some(current) = load_primer(&mut self.tx, iso3).await? else {
            return Err(Error::NotFound(format!("{iso3} has no primer yet")));
        };
        let mut new = current.input();
        let (needs, action, note) = match review {
            Review::Return { comment } => {
                new.status = PrimerStatus::Draft;
                (PrimerStatus::Submitted, Action::Return, Some(comment))
            }
            Review::Endorse { on, comment } => {
                new.status = PrimerStatus::Endorsed;
                new.endorsed_on = Some(on);
                (PrimerStatus::Submitted, Action::Endorse, comment)
            }
            Review::Amend { reason } => {
                new.status = PrimerStatus::Draft;
                new.endorsed_on = None;
                (PrimerStatus::Endorsed, Action::Amend, Some(reason))
            }
        };
        if current.status != needs {
            let what = match action {
                Action::Return => "returned",
                Action::Endorse => "endorsed",
                _ => "amended",
            };
            let message = format!(
                "{iso3}'s primer is {}: only a {} primer can be {what}",
                current.status.as_str(),
                needs.as_str()
            );
            return Err(Error::Conflict(
                message.clone(),
                vec![Detail::field("status", message)],
            ));
        }
        self.write_primer(iso3, &new, Workflow::Bypass, Some((action, note)))
            .await?;
        Ok(())
    }

    async fn write_primer(
        &mut self,
        iso3: &str,
        new: &PrimerInput,
        workflow: Workflow,
        review: Option<(Action, Option<String>)>,
    ) -> Result<bool> {
        if !super::reads::member_exists(&mut self.tx, iso3).await? {
            return Err(Error::NotFound(format!("unknown member {iso3}")));
        }
        let old = load_primer(&mut self.tx, iso3).await?.map(|p| p.input());
        if old.as_ref() == Some(new) {
            return Ok(false);
        }
        if workflow == Workflow::Enforce {
            let content_changed = old.as_ref().is_none_or(|o| {
                o.national_context != new.national_context
                    || o.focus_areas != new.focus_areas
                    || o.key_results != new.key_results
            });
            new.status
                .transition_from(old.as_ref().map(|o| o.status), content_changed)
                .map_err(|e| Error::Conflict(e.0.clone(), vec![Detail::field("status", e.0)]))?;
        }
        let keep: HashSet<&str> = new.key_results.iter().map(|k| k.code.as_str()).collect();
        let reported: Vec<(String,)> =
            sqlx::query_as("SELECT DISTINCT kr_code FROM actuals WHERE iso3 = $1 ORDER BY kr_code")
                .bind(iso3.to_owned())
                .fetch_all(&mut *self.tx)
                .await?;
        let lost: Vec<String> = reported
            .into_iter()
            .map(|(c,)| c)
            .filter(|c| !keep.contains(c.as_str()))
            .collect();
        if !lost.is_empty() {
            return Err(Error::Conflict(
                format!(
                    "key results {} have reported actuals and cannot be removed from the primer",
                    lost.join(", ")
                ),
                lost.iter()
                    .map(|c| Detail::field("key_results", format!("{c} has reports")))
                    .collect(),
            ));
        }

        super::kr_sources::check_themes(&mut self.tx, new).await?;
        // Read before the key results are rewritten: a kept source keeps its stamp.
        let old_sources = super::kr_sources::sources(&mut self.tx, Some(iso3)).await?;
        let (rev, at) = (self.rev, self.at.to_string());
        let conn = &mut *self.tx;
        sqlx::query(
            "INSERT INTO primers (iso3, cycle, status, national_context, endorsed_on,
                                  updated_rev, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (iso3) DO UPDATE SET status = excluded.status,
                 national_context = excluded.national_context, endorsed_on = excluded.endorsed_on,
                 updated_rev = excluded.updated_rev, updated_at = excluded.updated_at",
        )
        .bind(iso3.to_owned())
        .bind(crate::domain::CYCLE)
        .bind(new.status.as_str())
        .bind(new.national_context.clone())
        .bind(new.endorsed_on.map(format_date))
        .bind(rev)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        for sql in [
            "DELETE FROM focus_areas WHERE iso3 = $1",
            "DELETE FROM targets WHERE iso3 = $1",
        ] {
            sqlx::query(sql)
                .bind(iso3.to_owned())
                .execute(&mut *conn)
                .await?;
        }
        // Key results with reports stay (checked above that they are all kept); the others go.
        sqlx::query(
            "DELETE FROM key_results WHERE iso3 = $1
             AND code NOT IN (SELECT kr_code FROM actuals WHERE iso3 = $1)",
        )
        .bind(iso3.to_owned())
        .execute(&mut *conn)
        .await?;
        insert_rows(
            conn,
            "INSERT INTO focus_areas (iso3, position, label)",
            "",
            new.focus_areas
                .iter()
                .enumerate()
                .map(|(i, l)| {
                    vec![
                        Val::Text(Some(iso3.to_owned())),
                        Val::Int(Some(i as i64)),
                        Val::Text(Some(l.clone())),
                    ]
                })
                .collect(),
        )
        .await?;
        insert_rows(
            conn,
            "INSERT INTO key_results (iso3, code, position, pillar, focus_area, title, unit,
                                      direction, baseline_year, baseline_value, weight,
                                      min_value, max_value)",
            "ON CONFLICT (iso3, code) DO UPDATE SET position = excluded.position,
                 pillar = excluded.pillar, focus_area = excluded.focus_area,
                 title = excluded.title, unit = excluded.unit, direction = excluded.direction,
                 baseline_year = excluded.baseline_year,
                 baseline_value = excluded.baseline_value, weight = excluded.weight,
                 min_value = excluded.min_value, max_value = excluded.max_value",
            new.key_results
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    vec![
                        Val::Text(Some(iso3.to_owned())),
                        Val::Text(Some(k.code.as_str().to_owned())),
                        Val::Int(Some(i as i64)),
                        Val::Int(Some(k.pillar.get())),
                        Val::Text(Some(k.focus_area.clone())),
                        Val::Text(Some(k.title.clone())),
                        Val::Text(Some(k.unit.clone())),
                        Val::Text(Some(k.direction.as_str().to_owned())),
                        Val::Int(k.baseline_year),
                        Val::Real(k.baseline_value.map(Finite::get)),
                        Val::Real(Some(k.weight.get())),
                        Val::Real(k.min_value.map(Finite::get)),
                        Val::Real(k.max_value.map(Finite::get)),
                    ]
                })
                .collect(),
        )
        .await?;
        insert_rows(
            conn,
            "INSERT INTO targets (iso3, kr_code, year, target)",
            "",
            new.key_results
                .iter()
                .flat_map(|k| {
                    k.targets.iter().map(|(y, t)| {
                        vec![
                            Val::Text(Some(iso3.to_owned())),
                            Val::Text(Some(k.code.as_str().to_owned())),
                            Val::Int(Some(y.get())),
                            Val::Real(Some(t.get())),
                        ]
                    })
                })
                .collect(),
        )
        .await?;
        let now = crate::records::Stamp {
            rev,
            at: self.at.clone(),
        };
        super::kr_sources::write_sources(&mut self.tx, iso3, new, &old_sources, &now).await?;
        let (action, note) = match review {
            Some(r) => r,
            None => (
                match (&old, new.status) {
                    (None, _) => Action::Create,
                    (Some(o), s) if o.status != s => match (o.status, s) {
                        (PrimerStatus::Endorsed, PrimerStatus::Draft) => Action::Amend,
                        (_, PrimerStatus::Draft) => Action::Return,
                        (_, PrimerStatus::Submitted) => Action::Submit,
                        (_, PrimerStatus::Endorsed) => Action::Endorse,
                    },
                    _ => Action::Update,
                },
                None,
            ),
        };
        if matches!(action, Action::Return | Action::Endorse | Action::Amend) {
            sqlx::query(
                "UPDATE primers SET review_action = $1, review_note = $2, review_by = $3,
                     review_at = $4, review_rev = $5,
                     version = version + (CASE WHEN $1 = 'amend' THEN 1 ELSE 0 END)
                 WHERE iso3 = $6",
            )
            .bind(action.as_str())
            .bind(note.clone())
            .bind(self.actor.to_string())
            .bind(self.at.to_string())
            .bind(self.rev)
            .bind(iso3.to_owned())
            .execute(&mut *self.tx)
            .await?;
        }
        let edit = Edit::Primer(PrimerEdit {
            iso3: iso3.into(),
            action,
            added: super::log::added_key_results(old.as_ref(), new),
            primer: Arc::new(new.clone()),
            note: note.map(Into::into),
        });
        self.audit(edit, old.as_ref()).await?;
        Ok(true)
    }
}
