//! The export's reads of issue 23's platforms: accreditations, GP themes, GP initiatives with
//! their outcomes, trainings, every stored row as the record the API takes (so that the
//! workbook's sheets read back into the same records), in the dump's transaction.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, FromRow};

use super::dump::Dump;
use super::reads::{decoded, parse_date};
use crate::domain::{Finite, Iso3};
use crate::error::Result;
use crate::model::{
    AccreditationInput, AccreditationStatus, BodyKind, BySex, GpInitiativeInput, GpTheme,
    InitiativeStatus, InitiativeType, OutcomeInput, OutcomeMetric, Participants, RecordId, Sector,
    ThemeId, TrainingInput, TrainingMode,
};

#[derive(FromRow)]
struct AccreditationRow {
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

#[derive(FromRow)]
struct InitiativeRow {
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

#[derive(FromRow)]
struct TrainingRow {
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

fn date(s: Option<String>) -> Result<Option<time::Date>> {
    s.as_deref().map(parse_date).transpose()
}

fn finite(v: f64) -> Result<Finite> {
    decoded(Finite::new(v))
}

/// Reads the platforms' records into `dump` (those of the member `only`, when given; the
/// themes are everyone's).
pub(super) async fn read(
    conn: &mut AnyConnection,
    only: Option<&str>,
    dump: &mut Dump,
) -> Result<()> {
    let only = only.map(str::to_owned);
    let sources: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT iso3, code, source FROM key_results
         WHERE source IS NOT NULL AND ($1 IS NULL OR iso3 = $1)",
    )
    .bind(only.clone())
    .fetch_all(&mut *conn)
    .await?;
    for (iso3, code, json) in sources {
        let source = super::kr_sources::parse(&iso3, &code, &json)?;
        dump.kr_sources.insert((iso3, code), source);
    }
    let rows: Vec<AccreditationRow> = sqlx::query_as(
        "SELECT id, iso3, body, body_kind, scheme, status, applied_on, assessment_date,
                criteria_scores, certificate, conferred_on, occasion, valid_until, note
         FROM accreditations WHERE ($1 IS NULL OR iso3 = $1) ORDER BY id",
    )
    .bind(only.clone())
    .fetch_all(&mut *conn)
    .await?;
    for r in rows {
        let scores: BTreeMap<String, f64> = serde_json::from_str(&r.criteria_scores)
            .map_err(|e| anyhow::anyhow!("stored criteria_scores of {}: {e}", r.id))?;
        dump.accreditations.push(AccreditationInput {
            id: decoded(RecordId::parse(&r.id))?,
            iso3: decoded(Iso3::parse(&r.iso3))?,
            body: r.body,
            body_kind: decoded(BodyKind::parse(&r.body_kind))?,
            scheme: r.scheme,
            status: decoded(AccreditationStatus::parse(&r.status))?,
            applied_on: date(r.applied_on)?,
            assessment_date: date(r.assessment_date)?,
            criteria_scores: scores
                .into_iter()
                .map(|(k, v)| Ok((k, finite(v)?)))
                .collect::<Result<_>>()?,
            certificate: r.certificate,
            conferred_on: date(r.conferred_on)?,
            occasion: r.occasion,
            valid_until: date(r.valid_until)?,
            note: r.note,
        });
    }

    let themes: Vec<(String, String)> =
        sqlx::query_as("SELECT id, label FROM gp_themes ORDER BY position, id")
            .fetch_all(&mut *conn)
            .await?;
    for (id, label) in themes {
        dump.gp_themes.push(GpTheme {
            id: decoded(ThemeId::parse(&id))?,
            label,
        });
    }

    let initiatives: Vec<InitiativeRow> = sqlx::query_as(
        "SELECT id, iso3, title, theme, type, sector, start_year, end_year, status
         FROM gp_initiatives WHERE ($1 IS NULL OR iso3 = $1) ORDER BY id",
    )
    .bind(only.clone())
    .fetch_all(&mut *conn)
    .await?;
    let outcomes: Vec<(String, String, i64, f64)> = sqlx::query_as(
        "SELECT o.initiative, o.metric, o.year, o.value
         FROM gp_outcomes o JOIN gp_initiatives i ON i.id = o.initiative
         WHERE ($1 IS NULL OR i.iso3 = $1) ORDER BY o.initiative, o.metric, o.year",
    )
    .bind(only.clone())
    .fetch_all(&mut *conn)
    .await?;
    let mut by_initiative: BTreeMap<String, Vec<OutcomeInput>> = BTreeMap::new();
    for (initiative, metric, year, value) in outcomes {
        by_initiative
            .entry(initiative)
            .or_default()
            .push(OutcomeInput {
                metric: decoded(OutcomeMetric::parse(&metric))?,
                year,
                value: finite(value)?,
            });
    }
    for r in initiatives {
        let mut outcomes = by_initiative.remove(&r.id).unwrap_or_default();
        outcomes.sort_by_key(|o| (o.metric, o.year));
        dump.gp_initiatives.push(GpInitiativeInput {
            id: decoded(RecordId::parse(&r.id))?,
            iso3: decoded(Iso3::parse(&r.iso3))?,
            title: r.title,
            theme: decoded(ThemeId::parse(&r.theme))?,
            type_: decoded(InitiativeType::parse(&r.type_))?,
            sector: decoded(Sector::parse(&r.sector))?,
            start_year: r.start_year,
            end_year: r.end_year,
            status: decoded(InitiativeStatus::parse(&r.status))?,
            outcomes,
        });
    }

    let trainings: Vec<TrainingRow> = sqlx::query_as(
        "SELECT id, iso3, title, provider, sector, topic, start_date, end_date, mode, hours,
                government, enterprises, universities, female, male, unspecified, smes,
                certified_specialists
         FROM trainings WHERE ($1 IS NULL OR iso3 = $1) ORDER BY iso3, end_date, id",
    )
    .bind(only)
    .fetch_all(&mut *conn)
    .await?;
    for r in trainings {
        dump.trainings.push(TrainingInput {
            id: decoded(RecordId::parse(&r.id))?,
            iso3: decoded(Iso3::parse(&r.iso3))?,
            title: r.title,
            provider: r.provider,
            sector: decoded(Sector::parse(&r.sector))?,
            topic: r.topic,
            start_date: parse_date(&r.start_date)?,
            end_date: parse_date(&r.end_date)?,
            mode: decoded(TrainingMode::parse(&r.mode))?,
            hours: finite(r.hours)?,
            participants: Participants {
                government: r.government,
                enterprises: r.enterprises,
                universities: r.universities,
            },
            by_sex: BySex {
                female: r.female,
                male: r.male,
                unspecified: r.unspecified,
            },
            smes: r.smes,
            certified_specialists: r.certified_specialists,
        });
    }
    Ok(())
}
