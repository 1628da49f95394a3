//! GP 2.0: the themes (five built in by the migration, more added by the Secretariat) and the
//! members' initiatives with their outcomes, each written (or deleted) and logged whole, so
//! that any revision can be told again; read now or as of a past revision.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, FromRow};

use super::log::logged_edits;
use super::reads::decoded;
use super::{Store, Write};
use crate::domain::{Finite, Iso3};
use crate::error::{Detail, Error, Result};
use crate::model::{
    GpInitiativeInput, GpTheme, InitiativeStatus, InitiativeType, OutcomeInput, OutcomeMetric,
    RecordId, Sector, ThemeId, built_in_themes,
};
use crate::records::{Action, Edit, Entity};

/// The themes in the list, in their order.
pub(super) async fn read_themes(conn: &mut AnyConnection) -> Result<Vec<GpTheme>> {
    sqlx::query_as::<_, (String, String)>("SELECT id, label FROM gp_themes ORDER BY position, id")
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(|(id, label)| {
            Ok(GpTheme {
                id: decoded(ThemeId::parse(&id))?,
                label,
            })
        })
        .collect()
}

#[derive(FromRow)]
struct Row {
    id: String,
    iso3: String,
    title: String,
    theme: String,
    #[sqlx(rename = "type")]
    type_: String,
    sector: String,
    start_year: i64,
    end_year: i64,
    status: String,
}

/// Stored initiatives (all, or the one `id`, or a `member`'s) with their outcomes, by id.
pub(super) async fn read(
    conn: &mut AnyConnection,
    id: Option<&str>,
    member: Option<&str>,
) -> Result<Vec<GpInitiativeInput>> {
    let id = id.map(str::to_owned);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, iso3, title, theme, type, sector, start_year, end_year, status
         FROM gp_initiatives WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR iso3 = $2)
         ORDER BY id",
    )
    .bind(id.clone())
    .bind(member.map(str::to_owned))
    .fetch_all(&mut *conn)
    .await?;
    let mut out: BTreeMap<String, GpInitiativeInput> = BTreeMap::new();
    for r in rows {
        out.insert(
            r.id.clone(),
            GpInitiativeInput {
                id: decoded(RecordId::parse(&r.id))?,
                iso3: decoded(Iso3::parse(&r.iso3))?,
                title: r.title,
                theme: decoded(ThemeId::parse(&r.theme))?,
                type_: decoded(InitiativeType::parse(&r.type_))?,
                sector: decoded(Sector::parse(&r.sector))?,
                start_year: r.start_year,
                end_year: r.end_year,
                status: decoded(InitiativeStatus::parse(&r.status))?,
                outcomes: Vec::new(),
            },
        );
    }
    let outcomes: Vec<(String, String, i64, f64)> = sqlx::query_as(
        "SELECT initiative, metric, year, value FROM gp_outcomes
         WHERE ($1 IS NULL OR initiative = $1) ORDER BY initiative",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for (initiative, metric, year, value) in outcomes {
        if let Some(i) = out.get_mut(&initiative) {
            i.outcomes.push(OutcomeInput {
                metric: decoded(OutcomeMetric::parse(&metric))?,
                year,
                value: decoded(Finite::new(value))?,
            });
        }
    }
    let mut all: Vec<GpInitiativeInput> = out.into_values().collect();
    for i in &mut all {
        // The order validation leaves them in.
        i.outcomes.sort_by_key(|o| (o.metric, o.year));
    }
    Ok(all)
}

impl Write {
    /// The themes in the list now, in this write's transaction.
    pub async fn gp_themes(&mut self) -> Result<Vec<GpTheme>> {
        read_themes(&mut self.tx).await
    }

    /// Adds a theme to the list or relabels one (which must have passed
    /// [`GpTheme::validate`]). Returns whether anything changed.
    pub async fn put_gp_theme(&mut self, t: &GpTheme) -> Result<bool> {
        let themes = self.gp_themes().await?;
        let old = themes.iter().find(|o| o.id == t.id);
        if old == Some(t) {
            return Ok(false);
        }
        let action = if old.is_some() {
            sqlx::query("UPDATE gp_themes SET label = $1 WHERE id = $2")
                .bind(t.label.clone())
                .bind(t.id.as_str().to_owned())
                .execute(&mut *self.tx)
                .await?;
            Action::Update
        } else {
            sqlx::query(
                "INSERT INTO gp_themes (id, label, position)
                 VALUES ($1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM gp_themes))",
            )
            .bind(t.id.as_str().to_owned())
            .bind(t.label.clone())
            .execute(&mut *self.tx)
            .await?;
            Action::Create
        };
        let old = old.cloned();
        let edit = Edit::GpTheme {
            action,
            theme: t.clone(),
        };
        self.audit(edit, old.as_ref()).await?;
        Ok(true)
    }

    /// The initiative `id` as stored now, in this write's transaction.
    pub async fn gp_initiative(&mut self, id: &str) -> Result<Option<GpInitiativeInput>> {
        Ok(read(&mut self.tx, Some(id), None).await?.pop())
    }

    /// Records or replaces an initiative with its outcomes (which must have passed
    /// [`GpInitiativeInput::validate`]); its theme must be in the list (else 422 on `theme`).
    /// Returns whether anything changed.
    pub async fn put_gp_initiative(&mut self, i: &GpInitiativeInput) -> Result<bool> {
        let themes = self.gp_themes().await?;
        if let Some(p) = i.theme_problem(themes.iter().map(|t| &t.id)) {
            return Err(Error::invalid(vec![Detail::field(p.0, p.1)]));
        }
        let old = self.gp_initiative(i.id.as_str()).await?;
        if old.as_ref() == Some(i) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO gp_initiatives (id, iso3, title, theme, type, sector, start_year,
                 end_year, status)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET iso3 = excluded.iso3, title = excluded.title,
                 theme = excluded.theme, type = excluded.type, sector = excluded.sector,
                 start_year = excluded.start_year, end_year = excluded.end_year,
                 status = excluded.status",
        )
        .bind(i.id.as_str().to_owned())
        .bind(i.iso3.as_str().to_owned())
        .bind(i.title.clone())
        .bind(i.theme.as_str().to_owned())
        .bind(i.type_.as_str())
        .bind(i.sector.as_str())
        .bind(i.start_year)
        .bind(i.end_year)
        .bind(i.status.as_str())
        .execute(&mut *self.tx)
        .await?;
        self.delete_outcomes(i.id.as_str()).await?;
        for o in &i.outcomes {
            sqlx::query(
                "INSERT INTO gp_outcomes (initiative, metric, year, value) VALUES ($1, $2, $3, $4)",
            )
            .bind(i.id.as_str().to_owned())
            .bind(o.metric.as_str())
            .bind(o.year)
            .bind(o.value.get())
            .execute(&mut *self.tx)
            .await?;
        }
        let edit = Edit::GpInitiative {
            action: if old.is_none() {
                Action::Create
            } else {
                Action::Update
            },
            initiative: Box::new(i.clone()),
        };
        self.audit(edit, old.as_ref()).await?;
        Ok(true)
    }

    async fn delete_outcomes(&mut self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM gp_outcomes WHERE initiative = $1")
            .bind(id.to_owned())
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Deletes the initiative `old` (as read in this write) with its outcomes, logging it as
    /// it was.
    pub async fn delete_gp_initiative(&mut self, old: GpInitiativeInput) -> Result<()> {
        self.delete_outcomes(old.id.as_str()).await?;
        let done = sqlx::query("DELETE FROM gp_initiatives WHERE id = $1")
            .bind(old.id.as_str().to_owned())
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("no GP initiative {}", old.id)));
        }
        let edit = Edit::GpInitiative {
            action: Action::Delete,
            initiative: Box::new(old.clone()),
        };
        self.audit(edit, Some(&old)).await?;
        Ok(())
    }
}

impl Store {
    /// The GP themes in their order: now, or as of revision `as_of` (the built-in ones, then
    /// those logged up to it).
    pub async fn gp_themes(&self, as_of: Option<i64>) -> Result<Vec<GpTheme>> {
        let mut conn = self.pool().acquire().await?;
        match as_of {
            None => read_themes(&mut conn).await,
            Some(rev) => {
                let mut themes = built_in_themes();
                for edit in logged_edits(&mut conn, &[Entity::GpTheme], rev).await? {
                    if let Edit::GpTheme { theme, .. } = edit {
                        match themes.iter_mut().find(|t| t.id == theme.id) {
                            Some(t) => *t = theme,
                            None => themes.push(theme),
                        }
                    }
                }
                Ok(themes)
            }
        }
    }

    /// The GP initiatives, by id: now, or as of revision `as_of` (from the log).
    pub async fn gp_initiatives(&self, as_of: Option<i64>) -> Result<Vec<GpInitiativeInput>> {
        let mut conn = self.pool().acquire().await?;
        match as_of {
            None => read(&mut conn, None, None).await,
            Some(rev) => {
                let mut state: BTreeMap<String, GpInitiativeInput> = BTreeMap::new();
                for edit in logged_edits(&mut conn, &[Entity::GpInitiative], rev).await? {
                    if let Edit::GpInitiative { action, initiative } = edit {
                        if action == Action::Delete {
                            state.remove(initiative.id.as_str());
                        } else {
                            state.insert(initiative.id.to_string(), *initiative);
                        }
                    }
                }
                Ok(state.into_values().collect())
            }
        }
    }
}
