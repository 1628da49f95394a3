//! Centers of Excellence: the registry (each entry with its assessments, written and logged
//! whole, so that its phase at any revision can be told again), and the proposals and
//! applications filed under a COE notification; read now or as of a past revision.

use std::collections::BTreeMap;

use sqlx::AnyConnection;
use time::Date;

use super::log::logged_edits;
use super::reads::{decoded, format_date, parse_date};
use super::{Store, Write};
use crate::domain::{Iso3, ProjectCode};
use crate::error::{Detail, Error, Result};
use crate::model::{
    Assessment, AssessmentInput, CoeId, CoeInput, CoeProposal, CoeProposalInput, CoeRecord,
    Decision,
};
use crate::records::{Action, Edit, Entity};

/// Registry entries (all, or the one `id`) with their assessments, by id.
async fn read(conn: &mut AnyConnection, id: Option<&str>) -> Result<Vec<CoeRecord>> {
    let id = id.map(str::to_owned);
    let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, iso3, institution, area, designated FROM coes
         WHERE ($1 IS NULL OR id = $1) ORDER BY id",
    )
    .bind(id.clone())
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, CoeRecord> = BTreeMap::new();
    for (cid, iso3, institution, area, designated) in rows {
        out.insert(
            cid.clone(),
            CoeRecord {
                id: decoded(CoeId::parse(&cid))?,
                iso3: decoded(Iso3::parse(&iso3))?,
                institution,
                area,
                designated: parse_date(&designated)?,
                assessments: Vec::new(),
            },
        );
    }
    let assessments: Vec<(String, String, String, String, i64)> = sqlx::query_as(
        "SELECT coe, date, decision, note, rev FROM coe_assessments
         WHERE ($1 IS NULL OR coe = $1) ORDER BY coe, position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for (cid, date, decision, note, rev) in assessments {
        if let Some(c) = out.get_mut(&cid) {
            c.assessments.push(Assessment {
                date: parse_date(&date)?,
                decision: match decision.as_str() {
                    "hold" => Decision::Hold,
                    _ => Decision::Advance,
                },
                note,
                rev,
            });
        }
    }
    Ok(out.into_values().collect())
}

fn invalid(problems: Vec<(String, String)>) -> Error {
    Error::invalid(
        problems
            .into_iter()
            .map(|(f, m)| Detail::field(f, m))
            .collect(),
    )
}

impl Write {
    /// Registers or changes a COE (which must have passed [`CoeInput::check`]); its
    /// assessments stay. Returns whether anything changed.
    pub async fn put_coe(&mut self, c: &CoeInput) -> Result<bool> {
        let old = read(&mut self.tx, Some(c.id.as_str())).await?.pop();
        let new = CoeRecord {
            id: c.id.clone(),
            iso3: c.iso3.clone(),
            institution: c.institution.clone(),
            area: c.area.clone(),
            designated: c.designated,
            assessments: old
                .as_ref()
                .map(|o| o.assessments.clone())
                .unwrap_or_default(),
        };
        if old.as_ref() == Some(&new) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO coes (id, iso3, institution, area, designated) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (id) DO UPDATE SET iso3 = excluded.iso3,
                 institution = excluded.institution, area = excluded.area,
                 designated = excluded.designated",
        )
        .bind(c.id.as_str().to_owned())
        .bind(c.iso3.as_str().to_owned())
        .bind(c.institution.clone())
        .bind(c.area.clone())
        .bind(format_date(c.designated))
        .execute(&mut *self.tx)
        .await?;
        let edit = Edit::Coe {
            action: if old.is_none() {
                Action::Create
            } else {
                Action::Update
            },
            coe: Box::new(new),
        };
        self.audit(edit, old.as_ref()).await?;
        Ok(true)
    }

    /// Records an assessment of COE `id` on `today` (UTC): 404 if there is no such COE, 422
    /// naming the field when [`CoeRecord::assessment_problems`] finds any.
    pub async fn assess_coe(
        &mut self,
        id: &str,
        a: &AssessmentInput,
        today: Date,
    ) -> Result<CoeRecord> {
        let Some(old) = read(&mut self.tx, Some(id)).await?.pop() else {
            return Err(Error::NotFound(format!("no COE {id}")));
        };
        let problems = old.assessment_problems(a, today);
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let note = a.note.trim().to_owned();
        sqlx::query(
            "INSERT INTO coe_assessments (coe, position, date, decision, note, rev)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_owned())
        .bind(old.assessments.len() as i64)
        .bind(format_date(a.date))
        .bind(match a.decision {
            Decision::Hold => "hold",
            Decision::Advance => "advance",
        })
        .bind(note.clone())
        .bind(self.rev)
        .execute(&mut *self.tx)
        .await?;
        let mut new = old.clone();
        new.assessments.push(Assessment {
            date: a.date,
            decision: a.decision,
            note,
            rev: self.rev,
        });
        let edit = Edit::Coe {
            action: Action::Assess,
            coe: Box::new(new.clone()),
        };
        self.audit(edit, Some(&old)).await?;
        Ok(new)
    }

    /// Files a proposal by an existing COE, or an application for a new one, under its COE
    /// notification as stored now, on `today` (UTC). The input must have passed
    /// [`CoeProposalInput::check`].
    pub async fn file_proposal(
        &mut self,
        input: &CoeProposalInput,
        today: Date,
    ) -> Result<CoeProposal> {
        let code = input.project.as_str();
        let Some(project) = self.project(code).await? else {
            return Err(invalid(vec![(
                "project".into(),
                format!("there is no notification {code}"),
            )]));
        };
        let coe = match &input.coe {
            Some(id) => read(&mut self.tx, Some(id.as_str())).await?.pop(),
            None => None,
        };
        let closing_date = input
            .against(&project, coe.as_ref(), today)
            .map_err(invalid)?;
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO coe_proposals (coe, iso3, project, title, closing_date, filed_on, rev)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(input.coe.as_ref().map(|c| c.as_str().to_owned()))
        .bind(input.iso3.as_str().to_owned())
        .bind(code.to_owned())
        .bind(input.title.clone())
        .bind(closing_date.map(format_date))
        .bind(format_date(today))
        .bind(self.rev)
        .fetch_one(&mut *self.tx)
        .await?;
        let proposal = CoeProposal {
            id,
            coe: input.coe.clone(),
            iso3: input.iso3.clone(),
            project: input.project.clone(),
            title: input.title.clone(),
            closing_date,
            filed_on: today,
            rev: self.rev,
        };
        self.audit(
            Edit::CoeProposal(Box::new(proposal.clone())),
            None::<&CoeProposal>,
        )
        .await?;
        Ok(proposal)
    }
}

impl Store {
    /// The registry, by id: now, or as of revision `as_of` (from the log).
    pub async fn coes(&self, as_of: Option<i64>) -> Result<Vec<CoeRecord>> {
        let mut conn = self.pool().acquire().await?;
        match as_of {
            None => read(&mut conn, None).await,
            Some(rev) => {
                let mut state: BTreeMap<String, CoeRecord> = BTreeMap::new();
                for edit in logged_edits(&mut conn, &[Entity::Coe], rev).await? {
                    if let Edit::Coe { coe, .. } = edit {
                        state.insert(coe.id.as_str().to_owned(), *coe);
                    }
                }
                Ok(state.into_values().collect())
            }
        }
    }

    /// One registry entry, now.
    pub async fn coe(&self, id: &str) -> Result<Option<CoeRecord>> {
        let mut conn = self.pool().acquire().await?;
        Ok(read(&mut conn, Some(id)).await?.pop())
    }

    /// Proposals and applications for new COEs, oldest first: now, or as of revision `as_of`.
    pub async fn coe_proposals(&self, as_of: Option<i64>) -> Result<Vec<CoeProposal>> {
        let mut conn = self.pool().acquire().await?;
        if let Some(rev) = as_of {
            return Ok(logged_edits(&mut conn, &[Entity::CoeProposal], rev)
                .await?
                .into_iter()
                .filter_map(|e| match e {
                    Edit::CoeProposal(p) => Some(*p),
                    _ => None,
                })
                .collect());
        }
        type Row = (
            i64,
            Option<String>,
            String,
            String,
            String,
            Option<String>,
            String,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, coe, iso3, project, title, closing_date, filed_on, rev
             FROM coe_proposals ORDER BY id",
        )
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(
                |(id, coe, iso3, project, title, closing_date, filed_on, rev)| {
                    Ok(CoeProposal {
                        id,
                        coe: coe
                            .as_deref()
                            .map(|c| decoded(CoeId::parse(c)))
                            .transpose()?,
                        iso3: decoded(Iso3::parse(&iso3))?,
                        project: decoded(ProjectCode::parse(&project))?,
                        title,
                        closing_date: closing_date.as_deref().map(parse_date).transpose()?,
                        filed_on: parse_date(&filed_on)?,
                        rev,
                    })
                },
            )
            .collect()
    }
}
