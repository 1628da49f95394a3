//! The dashboard document: now (kept current by the aggregator) or as of a past revision
//! (recomputed from the append-only log).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{AppState, Query};
use crate::analytics::document::Dashboard;
use crate::analytics::history::Refused;
use crate::domain::{CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR, Year};
use crate::error::{Detail, Error, ErrorBody, ErrorPayload, Result};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_dashboard))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct DashboardQuery {
    /// Cycle year (2026–2028); default: this year, clamped into the cycle.
    #[param(minimum = 2026, maximum = 2028)]
    period: Option<i64>,
    /// Revision to show the dashboard as of (0 or more; 404 for one not yet reached); default:
    /// now.
    #[param(minimum = 0)]
    rev: Option<i64>,
}

/// The period shown when none is asked for: the current year, clamped into the cycle.
pub fn default_period() -> i64 {
    i64::from(OffsetDateTime::now_utc().year()).clamp(CYCLE_FIRST_YEAR, CYCLE_LAST_YEAR)
}

/// A `period` query parameter: a cycle year (422 naming `period` otherwise), or the default.
pub fn period_param(period: Option<i64>) -> Result<i64> {
    match period {
        Some(p) => Ok(Year::new(p)
            .map_err(|e| Error::invalid(vec![Detail::field("period", e.0)]))?
            .get()),
        None => Ok(default_period()),
    }
}

/// The dashboard document for a cycle year (METRICS.md §1–2), now or as of revision `rev`.
///
/// A past revision is recomputed from the log, a few at a time; when too many wait, the answer
/// is 503 with `Retry-After`.
#[utoipa::path(get, path = "/dashboard", tag = "dashboard", params(DashboardQuery),
    responses((status = 200, body = Dashboard),
              (status = 404, description = "A revision not yet reached", body = ErrorBody),
              (status = 503, description = "Too many past revisions asked for at once (try again after `Retry-After` seconds), or the database is unavailable", body = ErrorBody),
              (status = 422, description = "Period outside the cycle, or a negative revision", body = ErrorBody)))]
async fn get_dashboard(
    State(app): State<AppState>,
    Query(q): Query<DashboardQuery>,
) -> Result<Response> {
    let period = period_param(q.period)?;
    let live_rev = app.aggregator.rev();
    let json = match q.rev {
        None => None,
        Some(r) if r == live_rev => None,
        Some(r) if r < 0 => {
            return Err(Error::invalid(vec![Detail::field(
                "rev",
                "a revision is 0 or more",
            )]));
        }
        Some(r) => {
            let current = app.store.current_rev().await?;
            if r > current {
                // The dashboard as of a revision to come does not exist (yet): a 404, as for a
                // path that names nothing.
                return Err(Error::NotFound(format!(
                    "revision {r} does not exist yet; the latest is {current}"
                )));
            }
            match app.history.document(r, period).await {
                Ok(doc) => Some(doc),
                Err(Refused::Failed(e)) => return Err(e),
                Err(Refused::Busy { retry_after }) => return Ok(busy(retry_after)),
            }
        }
    };
    let body = match json {
        Some(b) => b,
        None => app
            .aggregator
            .document(period)
            .map(|(_, raw)| raw.to_bytes())
            .ok_or_else(|| anyhow::anyhow!("no document for period {period}"))?,
    };
    let answer = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    Ok(super::health::mark_stale(&app, answer))
}

/// 503: too many past revisions are being recomputed and waited for; the body says when to try
/// again, as `Retry-After` does.
fn busy(retry_after: u64) -> Response {
    let body = ErrorBody {
        error: ErrorPayload {
            code: "busy".into(),
            message: format!(
                "too many dashboards of past revisions are being computed; try again in {retry_after} s"
            ),
            details: Vec::new(),
            request_id: crate::error::request_id(),
        },
    };
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, retry_after.to_string())],
        axum::Json(body),
    )
        .into_response()
}
