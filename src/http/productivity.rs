//! Productivity measures (METRICS.md §3): every member in one year, or one measure over the
//! years. Both read the stored series and compute in [`crate::analytics::productivity`], off
//! the async runtime.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{AppState, Query};
use crate::analytics::productivity::{
    self as measures, APO21, APO21_MEASURES, DEFAULT_BASE_YEAR, MEASURES, Names, SeriesReport,
    YearReport,
};
use crate::error::{Detail, Error, ErrorBody, Result};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(year_report))
        .routes(routes!(series))
}

/// The years a request may name (as the series files may hold).
const YEARS: std::ops::RangeInclusive<i64> = 1950..=2100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct YearQuery {
    /// Year, 1950–2100; default: the latest year with data (2017 in Penn World Table 9.1).
    /// A year without data gives null measures.
    #[param(value_type = Option<i64>, minimum = 1950, maximum = 2100)]
    year: Option<String>,
    /// Base year of `lp_index` (= 100), 1950–2100; default 2011.
    #[param(value_type = Option<i64>, minimum = 1950, maximum = 2100)]
    base_year: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct SeriesQuery {
    /// A member (e.g. JPN), or APO21 for the aggregate line (`lp_worker` and `lp_hour` only:
    /// ratios of sums over the members with data in each year).
    #[param(required = true, value_type = Subject, inline)]
    iso3: Option<String>,
    /// One of lp_worker, lp_hour, lp_growth, lp_index, tfp_growth, cpi.
    #[param(required = true, value_type = Measure, inline)]
    measure: Option<String>,
    /// Base year of `lp_index` (= 100), 1950–2100; default 2011.
    #[param(value_type = Option<i64>, minimum = 1950, maximum = 2100)]
    base_year: Option<String>,
}

/// The schema of a series' `iso3`: a member's code or APO21.
struct Subject;

impl utoipa::PartialSchema for Subject {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(crate::domain::member_pattern(&[APO21])))
            .into()
    }
}

impl utoipa::ToSchema for Subject {}

/// The schema of a series' `measure`: one of [`MEASURES`].
struct Measure;

impl utoipa::PartialSchema for Measure {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(MEASURES))
            .into()
    }
}

impl utoipa::ToSchema for Measure {}

/// Labour productivity, TFP growth, ranks and the composite productivity index of every
/// member in one year, with the APO21 level (METRICS.md §3).
#[utoipa::path(get, path = "/productivity", tag = "productivity", params(YearQuery),
    responses((status = 200, body = YearReport),
              (status = 422, description = "A year that is not a whole number in 1950–2100", body = ErrorBody)))]
async fn year_report(
    State(app): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Json<YearReport>> {
    let mut problems = Vec::new();
    let year = year_param("year", q.year.as_deref(), &mut problems);
    let base_year = year_param("base_year", q.base_year.as_deref(), &mut problems);
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    let members = member_names(&app).await?;
    let points = app.store.series_named(&measures::INPUTS).await?;
    let year = year
        .or_else(|| measures::latest_year(&points, &members))
        .unwrap_or_else(|| i64::from(OffsetDateTime::now_utc().year()));
    let base_year = base_year.unwrap_or(DEFAULT_BASE_YEAR);
    let report = off_runtime(move || measures::year_report(&points, &members, year, base_year));
    Ok(Json(report.await?))
}

/// One productivity measure of one member, or of APO21, in every year with data.
#[utoipa::path(get, path = "/productivity/series", tag = "productivity", params(SeriesQuery),
    responses((status = 200, body = SeriesReport),
              (status = 422, description = "Unknown member or measure, a measure APO21 lacks, or a bad base year", body = ErrorBody)))]
async fn series(
    State(app): State<AppState>,
    Query(q): Query<SeriesQuery>,
) -> Result<Json<SeriesReport>> {
    let members = member_names(&app).await?;
    let mut problems = Vec::new();
    let iso3 = member_param(q.iso3.as_deref(), &members, &mut problems);
    let measure = measure_param(q.measure.as_deref(), iso3.as_deref(), &mut problems);
    let base_year = year_param("base_year", q.base_year.as_deref(), &mut problems);
    let (Some(iso3), Some(measure), true) = (iso3, measure, problems.is_empty()) else {
        return Err(Error::invalid(problems));
    };
    let base_year = base_year.unwrap_or(DEFAULT_BASE_YEAR);
    let points = app.store.series_named(&measures::INPUTS).await?;
    let report =
        off_runtime(move || measures::series(&points, &members, &iso3, measure, base_year));
    Ok(Json(report.await?))
}

/// A year of the query: absent, or a whole number in [`YEARS`]; otherwise a problem naming
/// `field`.
fn year_param(field: &str, raw: Option<&str>, problems: &mut Vec<Detail>) -> Option<i64> {
    let raw = raw?;
    match raw.trim().parse::<i64>() {
        Ok(y) if YEARS.contains(&y) => Some(y),
        _ => {
            let (first, last) = (YEARS.start(), YEARS.end());
            let message = format!("{raw:?} is not a year: give a whole number in {first}–{last}");
            problems.push(Detail::field(field, message));
            None
        }
    }
}

/// The `iso3` of a series: a member or APO21 (case-insensitive).
fn member_param(raw: Option<&str>, members: &Names, problems: &mut Vec<Detail>) -> Option<String> {
    let code = raw.map(|s| s.trim().to_ascii_uppercase());
    let problem = match code {
        Some(c) if c == APO21 || members.contains_key(&c) => return Some(c),
        Some(c) => format!("{c:?} is not a member; give an ISO3 code (e.g. JPN) or {APO21}"),
        None => format!("required: a member's ISO3 code (e.g. JPN) or {APO21}"),
    };
    problems.push(Detail::field("iso3", problem));
    None
}

/// The `measure` of a series: one of [`MEASURES`], and for APO21 one of [`APO21_MEASURES`].
fn measure_param(
    raw: Option<&str>,
    iso3: Option<&str>,
    problems: &mut Vec<Detail>,
) -> Option<&'static str> {
    let raw = raw.map(str::trim);
    let problem = match raw.and_then(|m| MEASURES.into_iter().find(|v| *v == m)) {
        Some(m) if iso3 == Some(APO21) && !APO21_MEASURES.contains(&m) => format!(
            "{APO21} has {} only (ratios of sums over members); {m} is a member's measure",
            APO21_MEASURES.join(" and ")
        ),
        Some(m) => return Some(m),
        None => {
            let what = raw.map_or("required".into(), |m| format!("unknown measure {m:?}"));
            format!("{what}; valid: {}", MEASURES.join(", "))
        }
    };
    problems.push(Detail::field("measure", problem));
    None
}

/// The members' APO names by ISO3.
async fn member_names(app: &AppState) -> Result<Names> {
    let members = app.store.members().await?;
    Ok(members.into_iter().map(|m| (m.iso3, m.name)).collect())
}

/// Runs polars work on the blocking pool: its `collect()` is CPU-bound and must not hold an
/// async worker thread.
async fn off_runtime<T, E>(work: impl FnOnce() -> Result<T, E> + Send + 'static) -> Result<T>
where
    T: Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let done = tokio::task::spawn_blocking(work)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(done.map_err(anyhow::Error::from)?)
}
