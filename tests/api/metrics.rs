//! `GET /metrics`: the Prometheus text format (0.0.4), read by a strict parser, with counters
//! that follow what the server did; and the Grafana dashboard in `deploy/grafana`, whose every
//! metric name must be one a real server serves.

use std::collections::{BTreeMap, BTreeSet};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::live::{connect, post_report, with_primer};

crate::on_both_backends!(
    metrics_parse_as_prometheus_text_and_count_requests_by_route_method_and_status,
    a_write_and_a_live_socket_move_the_store_aggregator_and_live_metrics,
    every_metric_the_grafana_dashboard_charts_is_served_after_some_traffic,
);

/// One sample line: its name, labels and value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// A scrape, read strictly: the declared families (name → type) and the samples.
#[derive(Debug)]
pub struct Scrape {
    pub families: BTreeMap<String, String>,
    pub samples: Vec<Sample>,
}

impl Scrape {
    /// The value of the sample `name` with exactly `labels`.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let want: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .iter()
            .find(|s| s.name == name && s.labels == want)
            .map(|s| s.value)
    }

    /// [`Scrape::get`], 0 when the sample is absent (a counter of a label set never counted
    /// is not written).
    pub fn count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }

    /// The value of `name` with exactly `labels`, which must be there.
    pub fn at(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no sample {name} {labels:?} in the scrape"))
    }

    /// The names of the samples served.
    pub fn names(&self) -> BTreeSet<&str> {
        self.samples.iter().map(|s| s.name.as_str()).collect()
    }
}

/// Reads the exposition strictly (the Prometheus text format, version 0.0.4): every family
/// has a HELP and then a TYPE line naming it, once; its samples follow it, together; each
/// sample's name is the family's (a histogram's: with `_bucket`, `_sum`, `_count`), its labels
/// are well quoted and not repeated, its value a number; no sample appears twice; a
/// histogram's buckets are cumulative, end at `+Inf` and equal its `_count`.
pub fn parse(text: &str) -> Scrape {
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    let mut families = BTreeMap::new();
    let mut samples = Vec::new();
    let mut help: Option<String> = None;
    let mut current: Option<(String, String)> = None;
    let mut seen = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        let at = || format!("line {}: {line:?}", i + 1);
        assert!(!line.is_empty(), "{}: an empty line", at());
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            assert!(valid_name(name), "{}", at());
            assert!(
                !text.trim().is_empty(),
                "{}: a HELP that says nothing",
                at()
            );
            assert!(!text.ends_with(".."), "{}: a HELP that ends twice", at());
            assert!(
                help.is_none(),
                "{}: a HELP without its TYPE before it",
                at()
            );
            help = Some(name.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert_eq!(
                help.take().as_deref(),
                Some(name),
                "{}: a TYPE not right after its family's HELP",
                at()
            );
            assert!(
                ["counter", "gauge", "histogram"].contains(&kind),
                "{}",
                at()
            );
            assert!(
                families.insert(name.to_owned(), kind.to_owned()).is_none(),
                "{}: the family is declared twice",
                at()
            );
            current = Some((name.to_owned(), kind.to_owned()));
            continue;
        }
        assert!(!line.starts_with('#'), "{}: an unknown comment", at());
        assert!(help.is_none(), "{}: a HELP without a TYPE", at());
        let sample = parse_sample(line).unwrap_or_else(|e| panic!("{}: {e}", at()));
        let (family, kind) = current
            .as_ref()
            .unwrap_or_else(|| panic!("{}: a sample before any TYPE", at()));
        let belongs = match kind.as_str() {
            "histogram" => ["_bucket", "_sum", "_count"]
                .iter()
                .any(|s| sample.name == format!("{family}{s}")),
            "counter" => &sample.name == family && family.ends_with("_total"),
            _ => &sample.name == family,
        };
        assert!(
            belongs,
            "{}: not a sample of the family {family} ({kind}) declared above it",
            at()
        );
        assert!(
            sample.name.ends_with("_bucket") == sample.labels.contains_key("le")
                || kind != "histogram",
            "{}: `le` belongs to buckets",
            at()
        );
        if kind == "counter" {
            assert!(sample.value >= 0.0, "{}: a negative counter", at());
        }
        let key = format!("{}{:?}", sample.name, sample.labels);
        assert!(seen.insert(key), "{}: the sample is written twice", at());
        samples.push(sample);
    }
    assert!(help.is_none(), "a HELP at the end without its TYPE");
    let scrape = Scrape { families, samples };
    check_histograms(&scrape);
    scrape
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `name{label="value",…} value`, with `\\`, `\"` and `\n` escapes in label values.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !valid_name(name) {
        return Err(format!("{name:?} is not a metric name"));
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            if let Some(after) = inner.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, after) = inner.split_once('=').ok_or("a label without =")?;
            if !valid_name(key) || key.contains(':') {
                return Err(format!("{key:?} is not a label name"));
            }
            let after = after
                .strip_prefix('"')
                .ok_or_else(|| format!("the value of {key} is not quoted"))?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                let (j, c) = chars.next().ok_or("an unterminated label value")?;
                match c {
                    '\\' => match chars.next() {
                        Some((_, 'n')) => value.push('\n'),
                        Some((_, c @ ('\\' | '"'))) => value.push(c),
                        _ => return Err(format!("a bad escape in {key}")),
                    },
                    '"' => break j + 1,
                    c => value.push(c),
                }
            };
            if labels.insert(key.to_owned(), value).is_some() {
                return Err(format!("the label {key} is repeated"));
            }
            inner = &after[end..];
            if let Some(more) = inner.strip_prefix(',') {
                inner = more;
                if inner.starts_with('}') {
                    return Err("a comma before }".into());
                }
            } else if !inner.starts_with('}') {
                return Err("labels not separated by commas".into());
            }
        }
    }
    let value = rest.strip_prefix(' ').ok_or("no space before the value")?;
    if value.contains(' ') {
        return Err("a timestamp or trailing text after the value".into());
    }
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|_| format!("{v:?} is not a number"))?,
    };
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Each histogram series: buckets that never decrease, a `+Inf` bucket equal to `_count`, and
/// a `_sum`.
fn check_histograms(scrape: &Scrape) {
    for (family, kind) in &scrape.families {
        if kind != "histogram" {
            continue;
        }
        let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
        for s in scrape
            .samples
            .iter()
            .filter(|s| s.name == format!("{family}_bucket"))
        {
            let mut labels = s.labels.clone();
            let le = labels.remove("le").unwrap();
            let le: f64 = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().expect("le is a number")
            };
            series.entry(labels).or_default().push((le, s.value));
        }
        for (labels, buckets) in series {
            assert!(
                buckets
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
                "{family} {labels:?}: buckets out of order or decreasing: {buckets:?}"
            );
            let (last_le, total) = *buckets.last().unwrap();
            assert_eq!(
                last_le,
                f64::INFINITY,
                "{family} {labels:?}: no +Inf bucket"
            );
            let pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert_eq!(
                scrape.at(&format!("{family}_count"), &pairs),
                total,
                "{family} {labels:?}: +Inf is not the count"
            );
            scrape.at(&format!("{family}_sum"), &pairs);
        }
    }
}

/// The exposition, read strictly ([`parse`]).
pub async fn scrape_strict(app: &TestApp) -> Scrape {
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ty = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ty.starts_with("text/plain; version=0.0.4"), "{ty}");
    parse(&r.text().await.unwrap())
}

/// The samples of a scrape by name with labels as written
/// (`apo_revision_notifications_total{revision="known"}`), checked on the way.
pub async fn scrape(app: &TestApp) -> BTreeMap<String, f64> {
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    parse(&text);
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap_or(f64::NAN)))
        .collect()
}

const PRIMER: &str = "/api/v1/primers/{iso3}";

async fn metrics_parse_as_prometheus_text_and_count_requests_by_route_method_and_status(
    b: Backend,
) {
    // No write needed: an empty database, whose members' primers are read.
    let app = spawn_app(b).await;
    let before = scrape_strict(&app).await;
    let requests = "apo_http_requests_total";
    let by = |method, route, status| [("method", method), ("route", route), ("status", status)];

    let mut primer_status = Vec::new();
    for iso3 in ["VNM", "THA", "JPN"] {
        primer_status.push(app.get(&format!("/primers/{iso3}")).await.status);
    }
    assert!(
        primer_status.iter().all(|s| *s == primer_status[0]),
        "{primer_status:?}"
    );
    let primer_status = primer_status[0].to_string();
    // Refused before any handler reads it: a body that is not JSON.
    let refused = app
        .send_raw("POST", "/actuals", "application/json", "{".into())
        .await;
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert_eq!(
        refused.body["error"]["request_id"],
        refused
            .request_id
            .as_deref()
            .expect("an x-request-id header")
    );
    let refused_status = refused.status.to_string();
    // Paths that name nothing: counted under one label, never under their own path.
    let mut ids = Vec::new();
    for path in ["/api/v1/no-such-thing", "/api/v1/primers/VNM/nothing/here"] {
        let r = app.get(path).await;
        assert_eq!(r.status, 404, "{path}: {}", r.body);
        // The request id: in the header and the error body alike.
        let id = r.request_id.clone().expect("an x-request-id header");
        assert_eq!(r.body["error"]["request_id"], id.as_str(), "{}", r.body);
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "each request has its own id");
    let after = scrape_strict(&app).await;

    let moved =
        |labels: &[(&str, &str)]| after.count(requests, labels) - before.count(requests, labels);
    assert_eq!(moved(&by("GET", PRIMER, &primer_status)), 3.0);
    assert_eq!(moved(&by("POST", "/api/v1/actuals", &refused_status)), 1.0);
    assert_eq!(moved(&by("GET", "unmatched", "404")), 2.0);
    // The scrape before counted itself after it answered.
    assert_eq!(moved(&by("GET", "/metrics", "200")), 1.0);
    let routes: BTreeSet<&str> = after
        .samples
        .iter()
        .filter(|s| s.name == requests)
        .map(|s| s.labels["route"].as_str())
        .collect();
    assert!(
        routes.iter().all(|r| *r == "unmatched"
            || r.starts_with('/')
                && !["VNM", "THA", "JPN", "no-such-thing", "nothing"]
                    .iter()
                    .any(|p| r.contains(p))),
        "routes are templates: {routes:?}"
    );

    // The latency histogram by route and method holds exactly the requests counted.
    let primer = [("method", "GET"), ("route", PRIMER)];
    let count = "apo_http_request_duration_seconds_count";
    assert_eq!(after.at(count, &primer) - before.count(count, &primer), 3.0);
    assert!(after.at("apo_http_request_duration_seconds_sum", &primer) > 0.0);
    let total: f64 = after
        .samples
        .iter()
        .filter(|s| s.name == requests)
        .map(|s| s.value)
        .sum();
    let timed: f64 = after
        .samples
        .iter()
        .filter(|s| s.name == count)
        .map(|s| s.value)
        .sum();
    assert_eq!(total, timed, "every request counted is timed");

    let backend = format!("{b:?}").to_lowercase();
    assert_eq!(
        after.at(
            "apo_build_info",
            &[
                ("version", env!("CARGO_PKG_VERSION")),
                ("backend", &backend)
            ]
        ),
        1.0
    );
    assert_eq!(after.at("apo_store_up", &[]), 1.0);
    assert!(after.at("process_resident_memory_bytes", &[]) > 1e6);
    assert!(after.at("process_open_fds", &[]) >= 3.0);
    assert!(after.at("process_max_fds", &[]) >= after.at("process_open_fds", &[]));
    let in_use = after.at("apo_store_pool_connections", &[("state", "in_use")]);
    let idle = after.at("apo_store_pool_connections", &[("state", "idle")]);
    let max = after.at("apo_store_pool_max_connections", &[]);
    assert!(
        in_use + idle >= 1.0 && in_use + idle <= max,
        "pool: {in_use} in use, {idle} idle, {max} at most"
    );
    app.stop().await;
}

async fn a_write_and_a_live_socket_move_the_store_aggregator_and_live_metrics(b: Backend) {
    let app = with_primer(b).await;
    let mut live = connect(&app, "").await;
    live.until(1).await;
    let before = scrape_strict(&app).await;
    let rev = post_report(&app, "VNM-KR1", 104.0).await;
    live.until(rev).await;
    let after = scrape_strict(&app).await;
    let moved = |name: &str, labels: &[(&str, &str)]| {
        after.count(name, labels) - before.count(name, labels)
    };

    // The live socket: its handshake, counted on its route; open; sent one patch, live.
    assert!(
        after.count(
            "apo_http_requests_total",
            &[
                ("method", "GET"),
                ("route", "/api/v1/live"),
                ("status", "101")
            ]
        ) >= 1.0
    );
    assert_eq!(after.at("apo_live_viewers", &[]), 1.0);
    assert_eq!(
        moved("apo_live_patches_sent_total", &[("how", "live")]),
        1.0
    );
    assert!(
        after.at("apo_live_snapshots_sent_total", &[]) >= 1.0,
        "the first frame"
    );
    assert_eq!(after.at("apo_live_held_back_total", &[]), 0.0);
    assert_eq!(after.at("apo_live_resynced_total", &[]), 0.0);
    // The hub's heartbeat counts, read after the scrape (a beat may have gone since, none
    // can be undone).
    for (sent, now) in [
        ("with_patch", app.hub.beats_carried()),
        ("alone", app.hub.beats_alone()),
    ] {
        let scraped = after.at("apo_live_heartbeats_total", &[("sent", sent)]);
        assert!(
            scraped <= now as f64 && now as f64 - scraped <= 1.0,
            "{sent}: {scraped} against {now}"
        );
    }

    // The aggregator applied it incrementally, from memory, and timed it.
    assert_eq!(after.at("apo_revision", &[]), rev as f64);
    let incremental = [("kind", "incremental")];
    assert!(moved("apo_aggregator_updates_total", &incremental) >= 1.0);
    assert!(moved("apo_aggregator_recompute_seconds_count", &incremental) >= 1.0);
    assert!(after.at("apo_aggregator_recompute_seconds_sum", &incremental) > 0.0);
    assert!(moved("apo_feed_reads_total", &[("source", "memory")]) >= 1.0);
    assert_eq!(after.at("apo_feed_reads_total", &[("source", "log")]), 0.0);

    // The committer: one write committed, in a commit that was timed and sized.
    assert_eq!(
        moved("apo_store_writes_total", &[("outcome", "committed")]),
        1.0,
        "the write is counted as committed (the committer's metrics, src/store/commit.rs)"
    );
    assert!(moved("apo_store_commit_seconds_count", &[]) >= 1.0);
    assert!(moved("apo_store_group_commit_writes_count", &[]) >= 1.0);
    assert_eq!(after.at("apo_store_writes_queued", &[]), 0.0);
    drop(live);
    app.stop().await;
}

/// The metric names a PromQL expression reads: its identifiers, less function names, keywords,
/// label names (in matchers and in `by`/`without`/`on`/`ignoring` lists), strings and ranges.
fn metric_names(expr: &str) -> BTreeSet<String> {
    const LISTS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    const KEYWORDS: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "and",
        "or",
        "unless",
        "offset",
        "sum",
        "min",
        "max",
        "avg",
        "count",
        "stddev",
        "stdvar",
        "topk",
        "bottomk",
        "quantile",
        "count_values",
        "group",
        "inf",
        "nan",
    ];
    let mut names = BTreeSet::new();
    let chars: Vec<char> = expr.chars().collect();
    let mut i = 0;
    let mut depth_braces = 0;
    let mut label_list = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' | '\'' | '`' => {
                i += 1;
                while i < chars.len() && chars[i] != c {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
            }
            '[' => {
                while i < chars.len() && chars[i] != ']' {
                    i += 1;
                }
                i += 1;
            }
            '{' => {
                depth_braces += 1;
                i += 1;
            }
            '}' => {
                depth_braces -= 1;
                i += 1;
            }
            ')' => {
                label_list = false;
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' || c == ':' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == ':')
                {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                let mut j = i;
                while j < chars.len() && chars[j] == ' ' {
                    j += 1;
                }
                let called = chars.get(j) == Some(&'(');
                if LISTS.contains(&word.as_str()) {
                    // Label names follow, if anything in parentheses does.
                    if called {
                        label_list = true;
                        i = j + 1;
                    }
                    continue;
                }
                if depth_braces == 0
                    && !label_list
                    && !called
                    && !KEYWORDS.contains(&word.to_lowercase().as_str())
                {
                    names.insert(word);
                }
            }
            _ => i += 1,
        }
    }
    names
}

#[test]
fn the_parser_refuses_what_a_scraper_would_not_read() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{k=\"v\\\"w\"} 1\n\
                # HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\n\
                h_sum 3.5\nh_count 2\n";
    let scrape = parse(good);
    assert_eq!(scrape.at("a_total", &[("k", "v\"w")]), 1.0);
    assert_eq!(scrape.at("h_count", &[]), 2.0);
    let bad = [
        ("no TYPE", "# HELP a A.\na 1\n"),
        ("no HELP", "# TYPE a gauge\na 1\n"),
        (
            "another family's sample",
            "# HELP a A.\n# TYPE a gauge\nb 1\n",
        ),
        (
            "a counter without _total",
            "# HELP a A.\n# TYPE a counter\na 1\n",
        ),
        (
            "an unquoted label",
            "# HELP a A.\n# TYPE a gauge\na{k=v} 1\n",
        ),
        (
            "a repeated label",
            "# HELP a A.\n# TYPE a gauge\na{k=\"1\",k=\"2\"} 1\n",
        ),
        (
            "a value that is no number",
            "# HELP a A.\n# TYPE a gauge\na one\n",
        ),
        ("a sample twice", "# HELP a A.\n# TYPE a gauge\na 1\na 2\n"),
        (
            "a family twice",
            "# HELP a A.\n# TYPE a gauge\na 1\n# HELP a A.\n# TYPE a gauge\n",
        ),
        (
            "buckets that decrease",
            "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n\
             h_sum 1\nh_count 1\n",
        ),
        (
            "+Inf that is not the count",
            "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",
        ),
        ("no newline at the end", "# HELP a A.\n# TYPE a gauge\na 1"),
    ];
    for (why, text) in bad {
        let read = std::panic::catch_unwind(|| parse(text));
        assert!(read.is_err(), "taken: {why}");
    }
}

#[test]
fn metric_names_are_read_out_of_promql() {
    let names = |e: &str| metric_names(e).into_iter().collect::<Vec<_>>();
    assert_eq!(
        names(
            r#"histogram_quantile(0.99, sum by (le, route) (rate(apo_x_bucket{instance=~"$instance",a="b c"}[$__rate_interval])))"#
        ),
        ["apo_x_bucket"]
    );
    assert_eq!(
        names(r#"sum(rate(a_total[5m])) / on (instance) group_left b_info + 2"#),
        ["a_total", "b_info"]
    );
}

/// Every expression's targets in the dashboard (panels in rows included).
fn dashboard_exprs(dashboard: &serde_json::Value) -> Vec<String> {
    let mut exprs = Vec::new();
    let mut panels: Vec<&serde_json::Value> =
        dashboard["panels"].as_array().unwrap().iter().collect();
    while let Some(p) = panels.pop() {
        if let Some(inner) = p["panels"].as_array() {
            panels.extend(inner);
        }
        for t in p["targets"].as_array().into_iter().flatten() {
            exprs.push(t["expr"].as_str().expect("a PromQL expr").to_owned());
        }
    }
    exprs
}

async fn every_metric_the_grafana_dashboard_charts_is_served_after_some_traffic(b: Backend) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/grafana/apo-dashboard.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    // Importable anywhere: the data source is an input chosen on import.
    assert_eq!(dashboard["__inputs"][0]["name"], "DS_PROMETHEUS");
    assert!(dashboard["schemaVersion"].as_u64().unwrap() >= 36);
    assert!(
        !text.contains("\"uid\": \"prometheus\"") && text.contains("${DS_PROMETHEUS}"),
        "panels use the input data source"
    );
    let exprs = dashboard_exprs(&dashboard);
    assert!(exprs.len() >= 15, "{} expressions", exprs.len());
    let wanted: BTreeSet<String> = exprs.iter().flat_map(|e| metric_names(e)).collect();

    // Some traffic: a write, a refused write, a live socket that is sent a patch.
    let app = with_primer(b).await;
    let mut live = connect(&app, "").await;
    live.until(1).await;
    let rev = post_report(&app, "VNM-KR1", 104.0).await;
    live.until(rev).await;
    let refused = app
        .post("/actuals", &serde_json::json!({"iso3": "VNM"}))
        .await;
    assert!((400..500).contains(&refused.status));
    let served = scrape_strict(&app).await;
    let names = served.names();
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|n| !names.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the Grafana dashboard charts metrics /metrics does not serve: {missing:?}"
    );
    assert!(wanted.len() >= 20, "{wanted:?}");
    drop(live);
    app.stop().await;
}
