//! Budgets planned and spent per pillar and year.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Secretariat;
use super::{AppState, OneOrMany, Query, WriteResult};
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::model::{Budget, PillarBudget};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_budgets, put_budgets))
        .routes(routes!(pillar_budgets))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct BudgetFilter {
    year: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct PillarBudgetQuery {
    /// The budget year (2026–2028).
    #[param(minimum = 2026, maximum = 2028)]
    year: i64,
}

/// Per pillar, the year's budget (METRICS.md "Budget": its regional and member-level parts
/// and their total) beside how much of each part is assigned to projects (Σ the project
/// budget rows of the pillar and year), the unassigned rest, and the projects. Project budgets
/// break the pillar budgets down: adding one never changes `planned` or `spent`.
#[utoipa::path(get, path = "/budgets/pillars", tag = "budgets", params(PillarBudgetQuery),
    responses((status = 200, body = Vec<PillarBudget>),
              (status = 422, description = "A year outside the cycle", body = ErrorBody)))]
async fn pillar_budgets(
    State(app): State<AppState>,
    Query(q): Query<PillarBudgetQuery>,
) -> Result<Json<Vec<PillarBudget>>> {
    let year = crate::domain::Year::new(q.year)
        .map_err(|e| Error::invalid(vec![Detail::field("year", e.0)]))?;
    Ok(Json(app.store.pillar_budgets(year.get()).await?))
}

/// The schema of `PUT /budgets`' body: one row, or an array of them.
struct Rows;

impl utoipa::PartialSchema for Rows {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        super::one_or_many_schema::<Budget>(0, None)
    }
}

impl utoipa::ToSchema for Rows {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((Budget::name().into(), Budget::schema()));
        Budget::schemas(schemas);
    }
}

/// Budget rows: APO-wide (no `iso3`) and per member.
#[utoipa::path(get, path = "/budgets", tag = "budgets", params(BudgetFilter),
    responses((status = 200, body = Vec<Budget>)))]
async fn list_budgets(
    State(app): State<AppState>,
    Query(f): Query<BudgetFilter>,
) -> Result<Json<Vec<Budget>>> {
    Ok(Json(app.store.budgets(f.year).await?))
}

/// Sets one budget row or several, all-or-nothing.
#[utoipa::path(put, path = "/budgets", tag = "budgets",
    request_body(content = inline(Rows), description = "One row, or an array of them"),
    responses((status = 200, body = WriteResult),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 422, description = "Invalid rows, each named", body = ErrorBody)))]
async fn put_budgets(
    State(app): State<AppState>,
    Secretariat(writer): Secretariat,
    OneOrMany { rows, batch }: OneOrMany<Budget>,
) -> Result<WriteResult> {
    let problems: Vec<Detail> = rows
        .iter()
        .enumerate()
        .flat_map(|(i, b)| {
            b.check()
                .into_iter()
                .map(move |(f, m)| super::row_detail(batch, i, &f, m))
        })
        .collect();
    if !problems.is_empty() {
        return Err(Error::invalid(problems));
    }
    let ((), change) = app
        .feed
        .write(&writer.actor, move |w| {
            Box::pin(async move {
                for b in &rows {
                    w.put_budget(b).await?;
                }
                super::keep_write_result(w);
                Ok(())
            })
        })
        .await?;
    WriteResult::new(&app.store, change.as_deref()).await
}
