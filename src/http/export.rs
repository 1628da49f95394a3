//! `GET /export`: the dashboard's tables and the raw data as a workbook (see [`crate::export`]).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Caller;
use super::{AppState, Query};
use crate::access::Role;
use crate::error::{ErrorBody, Result};
use crate::export::{Format, Options};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_export))
}

/// A file's bytes, as the OpenAPI document describes a response body (a string of format
/// binary).
struct File;

impl utoipa::PartialSchema for File {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for File {
    fn name() -> std::borrow::Cow<'static, str> {
        "ExportFile".into()
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ExportQuery {
    /// `xlsx`: one workbook; `csv`: a `.zip` of CSV files, one per sheet.
    #[param(inline)]
    format: Format,
    /// Only this member's rows (ISO3), with the views narrowed to it.
    #[param(value_type = Option<crate::domain::Iso3>)]
    iso3: Option<String>,
    /// The cycle year the views show (2026–2028); default: this year, clamped into the cycle.
    #[param(minimum = 2026, maximum = 2028)]
    period: Option<i64>,
}

/// The dashboard and its raw data as a workbook, or as a `.zip` of CSV files.
///
/// The dashboard as people read it (a sheet per view, names and percentages, a README saying
/// what each column means and at which revision it was taken) and the raw data in the import
/// format (primers, key results, targets, every report with its history, budgets, projects,
/// series and their catalogue; the audit log for the Secretariat only), all of one revision.
/// The file's name is `apo-dashboard-r<rev>[-<ISO3>].xlsx|zip`; `X-Revision` is its revision.
#[utoipa::path(get, path = "/export", tag = "export", params(ExportQuery),
    responses((status = 200, description = "The workbook (`format=xlsx`) or a `.zip` of CSV files (`format=csv`), as an attachment",
                  headers(("X-Revision" = i64, description = "The revision everything in the file is of"),
                          ("Content-Disposition" = String, description = "attachment; filename=\"apo-dashboard-r<rev>[-<ISO3>].xlsx|zip\"")),
                  content(
                      (File = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                      (File = "application/zip"))),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 422, description = "A missing or unknown format, a period outside the cycle, or an iso3 that is not a member", body = ErrorBody)))]
async fn get_export(
    State(app): State<AppState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> Result<Response> {
    let options = Options {
        format: q.format,
        iso3: q.iso3,
        period: q.period,
        audit_log: caller
            .principal
            .as_ref()
            .is_some_and(|p| p.role == Role::Secretariat),
    };
    // The aggregator's document, when it is of the revision the export reads (else the export
    // computes that revision's).
    let current = q
        .period
        .or(Some(crate::export::default_period()))
        .and_then(|p| app.aggregator.document(p))
        .map(|(_, raw)| raw);
    let export = crate::export::export(
        &app.store,
        current.as_ref().map(|raw| raw.as_bytes()),
        &options,
    )
    .await?;
    let disposition = format!("attachment; filename=\"{}\"", export.file_name());
    let answer = (
        [
            (header::CONTENT_TYPE, export.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::HeaderName::from_static("x-revision"),
                export.rev.to_string(),
            ),
        ],
        export.bytes,
    )
        .into_response();
    Ok(super::health::mark_stale(&app, answer))
}
