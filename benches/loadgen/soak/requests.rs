//! The requests the soak makes: its tokens, the reports it posts and the pages it reads.

use std::collections::BTreeMap;

use anyhow::{Context, ensure};
use serde::Deserialize;

use super::load::Request;
use super::viewers::Rng;
use crate::http::Conn;

/// A key result as `GET /api/v1/key_results` lists it (the fields a report needs).
#[derive(Deserialize)]
pub struct KeyResult {
    iso3: String,
    code: String,
    min_value: Option<f64>,
    max_value: Option<f64>,
}

pub async fn get_json<T: serde::de::DeserializeOwned>(
    api: &mut Conn,
    path: &str,
    auth: &str,
) -> anyhow::Result<T> {
    let a = api.request("GET", path, auth, b"").await?;
    ensure!(
        a.status == 200,
        "GET {path}: {} {}",
        a.status,
        String::from_utf8_lossy(&a.body)
    );
    serde_json::from_slice(&a.body).with_context(|| format!("reading GET {path}"))
}

/// Header lines with the credentials the soak uses: a viewer's (the sockets and the reads)
/// and an editor's per member of `krs` (each member's reports), made through the API.
pub async fn credentials(
    api: &mut Conn,
    secretariat: &str,
    krs: &[KeyResult],
) -> anyhow::Result<(String, BTreeMap<String, String>)> {
    let header = |token: String| format!("Authorization: Bearer {token}\r\n");
    let viewer = header(new_token(api, secretariat, "viewer", None).await?);
    let mut editors = BTreeMap::new();
    for kr in krs {
        if !editors.contains_key(&kr.iso3) {
            let token = new_token(api, secretariat, "editor", Some(&kr.iso3)).await?;
            editors.insert(kr.iso3.clone(), header(token));
        }
    }
    Ok((viewer, editors))
}

/// A new token of `role` (for `member`, an editor's), made through the API.
async fn new_token(
    api: &mut Conn,
    auth: &str,
    role: &str,
    member: Option<&str>,
) -> anyhow::Result<String> {
    let body = serde_json::json!({
        "role": role,
        "member": member,
        "label": format!("soak {}", member.unwrap_or(role)),
    });
    let a = api
        .request("POST", "/api/v1/tokens", auth, body.to_string().as_bytes())
        .await?;
    ensure!(
        a.status == 201,
        "POST /api/v1/tokens: {} {}",
        a.status,
        String::from_utf8_lossy(&a.body)
    );
    let v: serde_json::Value = serde_json::from_slice(&a.body)?;
    Ok(v["token"]
        .as_str()
        .context("no token in the answer")?
        .to_owned())
}

/// Valid reports as benches/ingest/bodies.py makes them: each key result, each year of the
/// cycle, values inside its range; shuffled, each with its member editor's header.
pub fn reports(krs: &[KeyResult], editors: &BTreeMap<String, String>) -> Vec<(String, Vec<u8>)> {
    let mut rng = Rng::new(21);
    let mut out = Vec::new();
    for kr in krs {
        let lo = kr.min_value.unwrap_or(0.0);
        let hi = kr.max_value.unwrap_or(lo + 100.0);
        for year in 2026..=2028 {
            for _ in 0..8 {
                let value = ((lo + (hi - lo) * rng.unit()) * 1000.0).round() / 1000.0;
                let body = serde_json::json!({
                    "iso3": kr.iso3, "kr_code": kr.code, "year": year, "value": value,
                });
                out.push((editors[&kr.iso3].clone(), body.to_string().into_bytes()));
            }
        }
    }
    for i in (1..out.len()).rev() {
        out.swap(i, rng.below(i + 1));
    }
    out
}

pub fn write_request(i: usize, reports: &[(String, Vec<u8>)], run: &str) -> Request {
    let (auth, body) = &reports[i % reports.len()];
    Request {
        method: "POST",
        path: "/api/v1/actuals".into(),
        headers: format!("{auth}Idempotency-Key: {run}-{i}\r\n"),
        body: body.clone(),
        expect: 201,
        retry: true,
    }
}

/// The reads in turn: what a browser loads as it opens the wall, a member's page, the key
/// results and a primer.
pub fn read_request(i: usize, members: &[String], auth: &str) -> Request {
    let path = match i % 4 {
        0 => "/api/v1/dashboard".to_owned(),
        1 => "/api/v1/members".to_owned(),
        2 => "/api/v1/key_results".to_owned(),
        _ => format!("/api/v1/primers/{}", members[(i / 4) % members.len()]),
    };
    Request {
        method: "GET",
        path,
        headers: auth.to_owned(),
        body: Vec::new(),
        expect: 200,
        retry: false,
    }
}
