//! Trainings: each written (or deleted) and logged whole, so that any revision can be told
//! again; read now or as of a past revision.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, FromRow};

use super::log::logged_edits;
use super::reads::{decoded, format_date, parse_date};
use super::{Store, Write};
use crate::domain::{Finite, Iso3};
use crate::error::{Error, Result};
use crate::model::{BySex, Participants, RecordId, Sector, TrainingInput, TrainingMode};
use crate::records::{Action, Edit, Entity};

#[derive(FromRow)]
struct Row {
    id: String,
    iso3: String,
    title: String,
    provider: String,
    sector: String,
    topic: String,
    start_date: String,
    end_date: String,
    mode: String,
    hours: f64,
    government: i64,
    enterprises: i64,
    universities: i64,
    female: i64,
    male: i64,
    unspecified: i64,
    smes: i64,
    certified_specialists: i64,
}

impl Row {
    fn record(self) -> Result<TrainingInput> {
        Ok(TrainingInput {
            id: decoded(RecordId::parse(&self.id))?,
            iso3: decoded(Iso3::parse(&self.iso3))?,
            title: self.title,
            provider: self.provider,
            sector: decoded(Sector::parse(&self.sector))?,
            topic: self.topic,
            start_date: parse_date(&self.start_date)?,
            end_date: parse_date(&self.end_date)?,
            mode: decoded(TrainingMode::parse(&self.mode))?,
            hours: decoded(Finite::new(self.hours))?,
            participants: Participants {
                government: self.government,
                enterprises: self.enterprises,
                universities: self.universities,
            },
            by_sex: BySex {
                female: self.female,
                male: self.male,
                unspecified: self.unspecified,
            },
            smes: self.smes,
            certified_specialists: self.certified_specialists,
        })
    }
}

/// Stored trainings (all, or the one `id`, or a `member`'s), by id.
pub(super) async fn read(
    conn: &mut AnyConnection,
    id: Option<&str>,
    member: Option<&str>,
) -> Result<Vec<TrainingInput>> {
    sqlx::query_as::<_, Row>(
        "SELECT id, iso3, title, provider, sector, topic, start_date, end_date, mode, hours,
                government, enterprises, universities, female, male, unspecified, smes,
                certified_specialists
         FROM trainings WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR iso3 = $2)
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
    /// The training `id` as stored now, in this write's transaction.
    pub async fn training(&mut self, id: &str) -> Result<Option<TrainingInput>> {
        Ok(read(&mut self.tx, Some(id), None).await?.pop())
    }

    /// Records or replaces a training (which must have passed [`TrainingInput::validate`]).
    /// Returns whether anything changed.
    pub async fn put_training(&mut self, t: &TrainingInput) -> Result<bool> {
        let old = self.training(t.id.as_str()).await?;
        if old.as_ref() == Some(t) {
            return Ok(false);
        }
        let (p, s) = (t.participants, t.by_sex);
        sqlx::query(
            "INSERT INTO trainings (id, iso3, title, provider, sector, topic, start_date,
                 end_date, mode, hours, government, enterprises, universities, female, male,
                 unspecified, smes, certified_specialists)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                 $17, $18)
             ON CONFLICT (id) DO UPDATE SET iso3 = excluded.iso3, title = excluded.title,
                 provider = excluded.provider, sector = excluded.sector,
                 topic = excluded.topic, start_date = excluded.start_date,
                 end_date = excluded.end_date, mode = excluded.mode, hours = excluded.hours,
                 government = excluded.government, enterprises = excluded.enterprises,
                 universities = excluded.universities, female = excluded.female,
                 male = excluded.male, unspecified = excluded.unspecified,
                 smes = excluded.smes, certified_specialists = excluded.certified_specialists",
        )
        .bind(t.id.as_str().to_owned())
        .bind(t.iso3.as_str().to_owned())
        .bind(t.title.clone())
        .bind(t.provider.clone())
        .bind(t.sector.as_str())
        .bind(t.topic.clone())
        .bind(format_date(t.start_date))
        .bind(format_date(t.end_date))
        .bind(t.mode.as_str())
        .bind(t.hours.get())
        .bind(p.government)
        .bind(p.enterprises)
        .bind(p.universities)
        .bind(s.female)
        .bind(s.male)
        .bind(s.unspecified)
        .bind(t.smes)
        .bind(t.certified_specialists)
        .execute(&mut *self.tx)
        .await?;
        let edit = Edit::Training {
            action: if old.is_none() {
                Action::Create
            } else {
                Action::Update
            },
            training: Box::new(t.clone()),
        };
        self.audit(edit, old.as_ref()).await?;
        Ok(true)
    }

    /// Deletes the training `old` (as read in this write), logging it as it was.
    pub async fn delete_training(&mut self, old: TrainingInput) -> Result<()> {
        let done = sqlx::query("DELETE FROM trainings WHERE id = $1")
            .bind(old.id.as_str().to_owned())
            .execute(&mut *self.tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(Error::NotFound(format!("no training {}", old.id)));
        }
        let edit = Edit::Training {
            action: Action::Delete,
            training: Box::new(old.clone()),
        };
        self.audit(edit, Some(&old)).await?;
        Ok(())
    }
}

impl Store {
    /// The trainings, by id: now, or as of revision `as_of` (from the log).
    pub async fn trainings(&self, as_of: Option<i64>) -> Result<Vec<TrainingInput>> {
        let mut conn = self.pool().acquire().await?;
        match as_of {
            None => read(&mut conn, None, None).await,
            Some(rev) => {
                let mut state: BTreeMap<String, TrainingInput> = BTreeMap::new();
                for edit in logged_edits(&mut conn, &[Entity::Training], rev).await? {
                    if let Edit::Training { action, training } = edit {
                        if action == Action::Delete {
                            state.remove(training.id.as_str());
                        } else {
                            state.insert(training.id.to_string(), *training);
                        }
                    }
                }
                Ok(state.into_values().collect())
            }
        }
    }
}
