//! The extractors of requests: JSON bodies (one object, or one or many), query strings and
//! paths, each refusing what it cannot read with our error body, every problem named at once
//! and in plain words (`shape` says them), and the reason a withdrawal or amendment gives.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

use super::{MAX_BODY, shape};
use crate::error::{Detail, Error};

/// A JSON object body, parsed with errors that name the offending field
/// (`key_results[2].direction`). 400 for text that is not JSON, 413 above [`MAX_BODY`], 415 for
/// a body that does not say it is JSON, 422 for JSON that is not an object, or of the wrong
/// shape, or with invalid values.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + utoipa::ToSchema> FromRequest<S> for ApiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let body = json_body(req).await?;
        no_control_text(&body)?;
        if !body.trim_ascii_start().starts_with(b"{") {
            // Not an object: say so, once it is known to be JSON at all (400 otherwise).
            parse_json::<serde::de::IgnoredAny>(&body)?;
            return Err(Error::invalid(vec![Detail::message(
                "the body must be a JSON object",
            )]));
        }
        parse_json::<JsonObject<T>>(&body)
            .map(|o| ApiJson(o.0))
            .map_err(|e| every_problem::<T>(&body, e))
    }
}

/// Instead of serde's first problem (`first`), every problem the body's schema finds, when it
/// finds any ([`shape`]).
fn every_problem<T: utoipa::ToSchema>(body: &Bytes, first: Error) -> Error {
    if !matches!(first, Error::Invalid(..)) {
        return first;
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return first;
    };
    let name = T::name();
    let problems = match &value {
        serde_json::Value::Array(rows) => rows
            .iter()
            .enumerate()
            .flat_map(|(i, row)| {
                shape::problems(&name, row, &format!("[{i}]."))
                    .into_iter()
                    .map(move |d| d.at_row(i))
            })
            .collect(),
        one => shape::problems(&name, one, ""),
    };
    if problems.is_empty() {
        first
    } else {
        Error::invalid(problems)
    }
}

/// A `T` read from a JSON object only. serde's derived structs also read JSON arrays, by
/// position (`[null, null]` is a struct whose two optional fields are absent); the API's bodies
/// and rows are objects, as the document says.
struct JsonObject<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for JsonObject<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Only<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Only<T> {
            type Value = JsonObject<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(JsonObject)
            }
        }
        d.deserialize_map(Only(std::marker::PhantomData))
    }
}

/// Refuses a JSON body with a control character in any of its strings (names included), each
/// named by its path ([`crate::domain::control_character`]): the same rule on both backends.
/// Such a character can only come as a `\u` escape, a DEL byte or a C1 character's UTF-8
/// (C2 80–9F), so a body without those is not even parsed for it.
fn no_control_text(body: &Bytes) -> Result<(), Error> {
    let suspect = body
        .windows(2)
        .any(|w| w == b"\\u" || w[0] == 0x7f || (w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1])))
        || body.last() == Some(&0x7f);
    if !suspect {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        // Not JSON: the parser says so, with its own error.
        return Ok(());
    };
    let mut problems = Vec::new();
    walk_text(&value, &mut String::new(), None, &mut problems);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(problems))
    }
}

fn walk_text(v: &serde_json::Value, at: &mut String, row: Option<usize>, out: &mut Vec<Detail>) {
    let name = |at: &str| {
        if at.is_empty() {
            "body".to_owned()
        } else {
            at.to_owned()
        }
    };
    let say = |at: &str, m: String| {
        let d = Detail::field(name(at), m);
        match row {
            Some(r) => d.at_row(r),
            None => d,
        }
    };
    match v {
        serde_json::Value::String(s) => {
            if let Some(m) = crate::domain::control_problem(s) {
                out.push(say(at, m));
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("[{i}]"));
                // A batch's rows are rows.
                let row = if len == 0 { Some(i) } else { row };
                walk_text(item, at, row, out);
                at.truncate(len);
            }
        }
        serde_json::Value::Object(fields) => {
            for (k, item) in fields {
                let len = at.len();
                if !at.is_empty() {
                    at.push('.');
                }
                at.push_str(k);
                if let Some(m) = crate::domain::control_problem(k) {
                    out.push(say(at, format!("the field's name {m}")));
                }
                walk_text(item, at, row, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// The bytes of a JSON body, within the size limit.
async fn json_body(req: Request) -> Result<Bytes, Error> {
    require_json(req.headers())?;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(Error::TooLarge(MAX_BODY));
    }
    // The only way reading a body within the limit fails is the limit (or a peer that left,
    // who will not read the answer).
    axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| Error::TooLarge(MAX_BODY))
}

fn require_json(headers: &HeaderMap) -> Result<(), Error> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
    if ok {
        Ok(())
    } else {
        Err(Error::UnsupportedMediaType(
            "the body must be JSON, sent with Content-Type: application/json".into(),
        ))
    }
}

/// Parses JSON, turning serde's error into a [`Detail`] naming the field.
pub fn parse_json<T: DeserializeOwned>(body: &Bytes) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let err = match serde_path_to_error::deserialize(&mut de) {
        Ok(v) => match de.end() {
            Ok(()) => return Ok(v),
            Err(trailing) => {
                return Err(Error::Malformed(
                    format!("the body is not valid JSON: {trailing}"),
                    vec![],
                ));
            }
        },
        Err(e) => e,
    };
    let path = err.path().to_string();
    let inner = err.into_inner();
    let full = inner.to_string();
    // serde_json appends " at line L column C"; the field path says more to a person.
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i])
        .to_owned();
    let row = path
        .strip_prefix('[')
        .and_then(|p| p.split(']').next()?.parse::<usize>().ok());
    let detail = |message: String| {
        let d = if path == "." {
            Detail::message(message)
        } else {
            Detail::field(path.clone(), message)
        };
        match row {
            Some(r) => d.at_row(r),
            None => d,
        }
    };
    use serde_json::error::Category;
    match inner.classify() {
        Category::Data => Err(Error::invalid(vec![detail(shape::plain_serde(&message))])),
        // JSON has no NaN or infinity; a literal too large for a double is as close as it gets.
        _ if message.starts_with("number out of range") => Err(Error::invalid(vec![detail(
            "number out of range: values must be finite".into(),
        )])),
        _ => Err(Error::Malformed(
            format!("the body is not valid JSON: {full}"),
            vec![detail(message)],
        )),
    }
}

/// The `reason` of a withdrawal, a correction or an amendment: 1 to
/// [`crate::model::MAX_REASON`] characters once trimmed, kept in the audit log.
pub fn reason(raw: &str) -> Result<String, Error> {
    crate::domain::text(raw, crate::model::MAX_REASON)
        .map_err(|e| Error::invalid(vec![Detail::field("reason", e.0)]))
}

/// Either one object or an array of them: `POST /actuals` takes both (and nothing else: a row
/// that is not an object is refused, naming it). `batch` says which it was, so that errors can
/// name a row only where there are rows.
pub struct OneOrMany<T> {
    pub rows: Vec<T>,
    pub batch: bool,
}

impl<S: Send + Sync, T: DeserializeOwned + utoipa::ToSchema> FromRequest<S> for OneOrMany<T> {
    type Rejection = Error;

    async fn from_request(req: Request, _: &S) -> Result<Self, Error> {
        let body = json_body(req).await?;
        no_control_text(&body)?;
        if body.trim_ascii_start().starts_with(b"[") {
            parse_json::<Vec<JsonObject<T>>>(&body)
                .map(|rows| OneOrMany {
                    rows: rows.into_iter().map(|r| r.0).collect(),
                    batch: true,
                })
                .map_err(|e| every_problem::<T>(&body, e))
        } else {
            parse_json::<JsonObject<T>>(&body)
                .map(|one| OneOrMany {
                    rows: vec![one.0],
                    batch: false,
                })
                .map_err(|e| every_problem::<T>(&body, e))
        }
    }
}

/// The schema of a [`OneOrMany`] body of `T`s: one object, or an array of at least `min` and at
/// most `max` (if any).
pub fn one_or_many_schema<T: utoipa::ToSchema>(
    min: usize,
    max: Option<usize>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::{ArrayBuilder, OneOfBuilder, Ref};
    let row = || Ref::from_schema_name(T::name());
    OneOfBuilder::new()
        .item(row())
        .item(
            ArrayBuilder::new()
                .items(row())
                .min_items(Some(min))
                .max_items(max),
        )
        .into()
}

/// A problem with row `i` of a body that was a `batch` (named `[i].field`, with its row), or
/// with the single object it was (named `field`).
pub fn row_detail(batch: bool, i: usize, field: &str, message: impl Into<String>) -> Detail {
    if batch {
        Detail::field(format!("[{i}].{field}"), message).at_row(i)
    } else {
        Detail::field(field, message)
    }
}

/// A query string, with every parameter the server cannot read named at once, in plain words
/// (`limit: must be a whole number, not "abc"`), instead of the parser's first complaint
/// ("Failed to deserialize query string: limit: invalid digit found in string").
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Error> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap_or_default();
        let controls: Vec<Detail> = pairs
            .iter()
            .filter_map(|(name, value)| {
                crate::domain::control_problem(name)
                    .or_else(|| crate::domain::control_problem(value))
                    .map(|m| Detail::field(name.clone(), m))
            })
            .collect();
        if !controls.is_empty() {
            return Err(Error::invalid(controls));
        }
        let first = match serde_urlencoded::from_str::<T>(query) {
            Ok(v) => return Ok(Query(v)),
            Err(e) => e.to_string(),
        };
        // Each parameter on its own: what it alone breaks (a parameter missing is said once,
        // by the whole query).
        let mut problems = Vec::new();
        for (name, value) in &pairs {
            let one = serde_urlencoded::to_string([(name, value)]).unwrap_or_default();
            if let Err(e) = serde_urlencoded::from_str::<T>(&one) {
                let message = e.to_string();
                if !message.starts_with("missing field") {
                    problems.push(Detail::field(name.clone(), query_words(&message, value)));
                }
            }
        }
        if problems.is_empty() {
            let field = first
                .strip_prefix("missing field `")
                .and_then(|r| r.split('`').next())
                .unwrap_or("query")
                .to_owned();
            problems.push(Detail::field(field, shape::plain_serde(&first)));
        }
        Err(Error::invalid(problems))
    }
}

/// The parser's complaint about one query parameter whose text is `value`, in plain words.
fn query_words(message: &str, value: &str) -> String {
    if message.contains("invalid digit") || message.contains("number too large") {
        format!("must be a whole number, not {value:?}")
    } else if message.contains("invalid float") {
        format!("must be a number, not {value:?}")
    } else if message.contains("provided string was not `true` or `false`") {
        format!("must be true or false, not {value:?}")
    } else if message.starts_with("unknown field") {
        "is not a parameter of this request".into()
    } else {
        shape::plain_serde(message)
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Error))]
pub struct Path<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for Error {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        Error::NotFound(e.body_text())
    }
}
