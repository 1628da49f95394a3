//! `GET /metrics`: the Prometheus text format, with counters that follow what the server did.

use std::collections::BTreeMap;

use crate::helpers::{Backend, TestApp};
use crate::live::{connect, post_report, with_primer};

crate::on_both_backends!(metrics_count_requests_sockets_and_updates);

/// The samples of a scrape, by name with labels (`apo_http_requests_total{class="2xx"}`),
/// checking the format on the way: every family has HELP and TYPE before its samples, and
/// every sample line is a name, optional labels and a number.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut samples = BTreeMap::new();
    let mut typed = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            typed.push(name.to_owned());
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (key, value) = line.rsplit_once(' ').expect("a sample: name value");
        let name = key.split(['{']).next().unwrap();
        assert!(
            typed.iter().any(|t| name.starts_with(t.as_str())),
            "{name} has no TYPE before it"
        );
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("a number: {line}"));
        samples.insert(key.to_owned(), value);
    }
    samples
}

pub async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ty = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ty.starts_with("text/plain; version=0.0.4"), "{ty}");
    parse(&r.text().await.unwrap())
}

async fn metrics_count_requests_sockets_and_updates(b: Backend) {
    let app = with_primer(b).await;
    let before = scrape(&app).await;
    let class = |m: &BTreeMap<String, f64>, c: &str| {
        m[&format!(r#"apo_http_requests_total{{class="{c}"}}"#)]
    };

    let mut live = connect(&app, "").await;
    live.until(1).await;
    let rev = post_report(&app, "VNM-KR1", 104.0).await;
    // Refused: a key result that does not exist.
    let refused = app
        .post(
            "/actuals",
            &serde_json::json!({"iso3": "VNM", "kr_code": "VNM-KR9", "year": 2026, "value": 1}),
        )
        .await;
    assert!((400..500).contains(&refused.status), "{}", refused.body);
    live.until(rev).await;
    let after = scrape(&app).await;

    // The scrape before counted itself after it answered, so the POST, the refused POST
    // and the first scrape's own request are new (the handshake is a 1xx).
    assert_eq!(class(&after, "2xx") - class(&before, "2xx"), 2.0);
    assert_eq!(class(&after, "4xx") - class(&before, "4xx"), 1.0);
    assert_eq!(class(&after, "1xx") - class(&before, "1xx"), 1.0);
    // The histogram holds every request counted by class, its buckets never decrease, and
    // +Inf holds them all.
    let total: f64 = ["1xx", "2xx", "3xx", "4xx", "5xx"]
        .iter()
        .map(|c| class(&after, c))
        .sum();
    assert_eq!(after["apo_http_request_duration_seconds_count"], total);
    let buckets: Vec<f64> = after
        .iter()
        .filter(|(k, _)| k.starts_with("apo_http_request_duration_seconds_bucket"))
        .map(|(_, v)| *v)
        .collect();
    assert!(buckets.len() > 2);
    assert_eq!(
        after[r#"apo_http_request_duration_seconds_bucket{le="+Inf"}"#],
        total
    );
    assert!(after["apo_http_request_duration_seconds_sum"] > 0.0);

    assert_eq!(after["apo_revision"], rev as f64);
    assert_eq!(after["apo_live_viewers"], 1.0);
    assert_eq!(after["apo_live_held_back_total"], 0.0);
    assert_eq!(after["apo_live_resynced_total"], 0.0);
    // The hub's counts, read after the scrape (a beat may have gone since, none can be undone).
    for (sent, now) in [
        ("with_patch", app.hub.beats_carried()),
        ("alone", app.hub.beats_alone()),
    ] {
        let scraped = after[&format!(r#"apo_live_heartbeats_total{{sent="{sent}"}}"#)];
        assert!(
            scraped <= now as f64 && now as f64 - scraped <= 1.0,
            "{sent}: {scraped} against {now}"
        );
    }
    assert!(after[r#"apo_aggregator_updates_total{kind="incremental"}"#] >= 1.0);
    // This server's own writes reached the aggregator from memory, none from the log.
    assert!(after[r#"apo_feed_reads_total{source="memory"}"#] >= 1.0);
    assert_eq!(after[r#"apo_feed_reads_total{source="log"}"#], 0.0);
    assert!(after["process_resident_memory_bytes"] > 1e6);
    assert!(after["process_open_fds"] >= 3.0);
    let backend = format!("{b:?}").to_lowercase();
    assert!(
        after
            .keys()
            .any(|k| k.starts_with("apo_build_info")
                && k.contains(&format!(r#"backend="{backend}""#))),
        "{after:?}"
    );
    drop(live);
    app.stop().await;
}
