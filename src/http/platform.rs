//! What the platforms' routers (accreditations, GP 2.0, trainings) share: the path's id
//! against the body's, field problems as a 422, the revision to read as of.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{Detail, Error};
use crate::model::RecordId;

/// Field problems as a 422 naming each field.
pub fn invalid(problems: Vec<(String, String)>) -> Error {
    Error::invalid(
        problems
            .into_iter()
            .map(|(f, m)| Detail::field(f, m))
            .collect(),
    )
}

/// The path's id, which must be a record id (else 422 on `id`) and the body's `id` (else a
/// problem on `id` added to `problems`).
pub fn path_id(
    path: &str,
    body: &RecordId,
    problems: &mut Vec<(String, String)>,
) -> Result<RecordId, Error> {
    let id = RecordId::parse(path).map_err(|e| Error::invalid(vec![Detail::field("id", e.0)]))?;
    if *body != id {
        problems.push((
            "id".into(),
            format!("the body's id {body} differs from the path's {id}"),
        ));
    }
    Ok(id)
}

/// `?rev=`: as of a past revision.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    /// As of this revision (0 or more; 404 for one not yet reached); default: now.
    #[param(minimum = 0)]
    pub rev: Option<i64>,
}
