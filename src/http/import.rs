//! `POST /import`: a workbook, CSV files or a `.zip` uploaded by the Secretariat (see
//! [`crate::import`]).
//!
//! The import runs in a task of its own, so that it finishes (or rolls back) as one piece even
//! when the client goes away or the request times out. Asked with
//! `Accept: application/x-ndjson`, the answer starts at once and tells the import's progress,
//! one JSON object per line, then its result: what a browser's progress bar needs, and what
//! keeps a long import of a big file inside the request timeout.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::auth::Secretariat;
use super::{AppState, Query};
use crate::error::{Detail, Error, ErrorBody, Result};
use crate::import::{self, Mode, Progress, Report, Source};
use crate::records::Actor;

/// The largest upload `POST /import` takes: a 1,000,000-row series file is about 25 MB.
pub const MAX_IMPORT: usize = 256 * 1024 * 1024;

/// The media type of the progress answer.
const NDJSON: &str = "application/x-ndjson";

/// How often progress is told at most (the last step of each stage is always told).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_import))
        .layer(DefaultBodyLimit::max(MAX_IMPORT))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct ImportQuery {
    /// `true`: check everything, against the database too, and write nothing.
    #[param(value_type = Option<bool>)]
    dry_run: Option<String>,
}

/// The upload: one part per file, each with its file name (`.xlsx`, `.csv` or `.zip`).
#[derive(ToSchema)]
#[allow(dead_code)]
struct Upload {
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Imports a primer workbook (`.xlsx`, or CSV tables, or a `.zip` of them) or series files,
/// all-or-nothing. Every problem of the files is reported at once, each with its file, sheet,
/// the row Excel shows and the column. With `Accept: application/x-ndjson` the answer is a
/// stream of lines: `{"progress":{"stage","done","total"}}`… then `{"result": Report}` or
/// `{"error": {...}, "status": 422}`.
#[utoipa::path(post, path = "/import", tag = "import", params(ImportQuery),
    request_body(content = inline(Upload), content_type = "multipart/form-data"),
    responses((status = 200, description = "Imported (or, in a dry run, checked)", content(
                  (Report = "application/json"),
                  (String = "application/x-ndjson"))),
              (status = 400, description = "Not a multipart upload", body = ErrorBody),
              (status = 401, description = "No credential, or one that has ended", body = ErrorBody),
              (status = 403, description = "Not the Secretariat", body = ErrorBody),
              (status = 413, description = "Larger than 256 MB", body = ErrorBody),
              (status = 422, description = "Problems in the files, each named; nothing written", body = ErrorBody)))]
async fn post_import(
    State(app): State<AppState>,
    Secretariat(writer): Secretariat,
    Query(q): Query<ImportQuery>,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<Response> {
    let mode = match q.dry_run.as_deref() {
        None | Some("false") => Mode::Apply,
        Some("true") => Mode::DryRun,
        Some(other) => {
            return Err(Error::invalid(vec![Detail::field(
                "dry_run",
                format!("{other:?} is not true or false"),
            )]));
        }
    };
    let sources = files(multipart).await?;
    let streaming = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(NDJSON));
    let (lines, rx) = mpsc::channel::<String>(64);
    let progress = Throttled::new(streaming.then(|| lines.clone()));
    let actor = writer.actor;
    let id = crate::error::request_id().unwrap_or_default();
    // Its own task: an import is never cut off halfway by a client that leaves.
    let task = tokio::spawn(crate::error::with_request_id(id.into(), async move {
        let result = run(&app, sources, &actor, mode, &progress).await;
        if streaming {
            let line = match &result {
                Ok(report) => serde_json::json!({ "result": report }),
                Err(e) => serde_json::json!({
                    "error": e.payload(),
                    "status": e.status().as_u16(),
                }),
            };
            let _ = lines.send(format!("{line}\n")).await;
        }
        result
    }));
    if streaming {
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv()
                .await
                .map(|line| (Ok::<_, std::io::Error>(line), rx))
        });
        let mut response = Body::from_stream(stream).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
        return Ok(response);
    }
    drop(rx);
    let report = task
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("the import task failed: {e}")))??;
    Ok(Json(report).into_response())
}

/// Reads, checks and applies the files, off the async runtime where it is CPU work, and
/// publishes what it committed.
async fn run(
    app: &AppState,
    sources: Vec<Source>,
    actor: &Actor,
    mode: Mode,
    progress: &Throttled,
) -> Result<Report> {
    let on_progress = |p: Progress| progress.tell(p);
    let (workbook, problems) = {
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || import::parse(&sources, &|p| progress.tell(p)))
            .await
            .map_err(|e| Error::Internal(anyhow::anyhow!("reading the files failed: {e}")))?
    };
    let write = app.store.begin(actor).await?;
    let today = app.clock.today();
    let (report, change) =
        import::run(write, workbook, problems, mode, today, &on_progress).await?;
    if let Some(change) = change {
        app.feed.publish(change);
    }
    Ok(report)
}

/// The uploaded files, each a part with a file name.
async fn files(mut multipart: Multipart) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    let mut problems = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(multipart_error)? {
        let part = field.name().unwrap_or("").to_owned();
        let Some(name) = field.file_name().map(str::to_owned) else {
            problems.push(Detail::field(
                part,
                "this part is not a file: send each file as a part with its file name",
            ));
            continue;
        };
        let bytes = field.bytes().await.map_err(multipart_error)?;
        sources.push(Source {
            name: with_extension(name, &bytes),
            bytes: bytes.to_vec(),
        });
    }
    if sources.is_empty() && problems.is_empty() {
        problems.push(Detail::field(
            "file",
            "no file was uploaded: send the workbook, CSV files or a .zip as parts of a multipart/form-data body",
        ));
    }
    if problems.is_empty() {
        Ok(sources)
    } else {
        Err(Error::invalid(problems))
    }
}

/// A file name the readers know what to do with: one sent without `.xlsx`, `.zip` or `.csv`
/// (a blob from a script) is named after what its bytes are.
fn with_extension(name: String, bytes: &[u8]) -> String {
    let lower = name.to_ascii_lowercase();
    if [".xlsx", ".zip", ".csv", ".xls", ".ods", ".txt", ".tsv"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return name;
    }
    let zipped = bytes.starts_with(b"PK\x03\x04");
    let workbook = zipped && bytes.windows(15).any(|w| w == b"xl/workbook.xml");
    match (zipped, workbook) {
        (true, true) => format!("{name}.xlsx"),
        (true, false) => format!("{name}.zip"),
        _ => format!("{name}.csv"),
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> Error {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::TooLarge(MAX_IMPORT)
    } else {
        Error::Malformed(
            format!("the upload could not be read: {}", e.body_text()),
            Vec::new(),
        )
    }
}

/// Progress lines for the answer, at most one per [`PROGRESS_EVERY`] and stage (and each
/// stage's last), dropped rather than waited for when the client reads slowly.
#[derive(Clone)]
struct Throttled {
    lines: Option<mpsc::Sender<String>>,
    last: std::sync::Arc<Mutex<Option<(import::Stage, Instant)>>>,
}

impl Throttled {
    fn new(lines: Option<mpsc::Sender<String>>) -> Self {
        Self {
            lines,
            last: Default::default(),
        }
    }

    fn tell(&self, p: Progress) {
        let Some(lines) = &self.lines else { return };
        {
            let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let due = match *last {
                Some((stage, at)) => {
                    stage != p.stage || p.done == p.total || now - at >= PROGRESS_EVERY
                }
                None => true,
            };
            if !due {
                return;
            }
            *last = Some((p.stage, now));
        }
        let _ = lines.try_send(format!("{}\n", serde_json::json!({ "progress": p })));
    }
}
