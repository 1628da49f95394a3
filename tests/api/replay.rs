//! Replay: for a random sequence of changes, the document at every revision N (rebuilt from
//! the append-only log) equals the document computed from scratch on a database that holds
//! only the first N changes; and the incremental document after each change equals a full
//! recomputation.

use serde_json::{Value, json};

use crate::dashboard::{assert_same, comparable, recomputed};
use crate::helpers::{Backend, TestApp, primer, spawn_app};

crate::on_both_backends!(every_revision_replays_to_the_document_of_its_time);

/// A small deterministic generator (xorshift), so a failure can be replayed.
pub struct Rng(pub u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub const MEMBERS: [&str; 3] = ["VNM", "LAO", "SGP"];

/// The next change: a report, a batch of reports, a primer edit, a budget or a project.
pub fn change(rng: &mut Rng, step: usize) -> (&'static str, String, Value) {
    let m = MEMBERS[rng.below(3) as usize];
    let day = 1 + rng.below(28);
    let month = 1 + rng.below(11);
    let at = format!("2026-{month:02}-{day:02}T{:02}:00:00Z", rng.below(24));
    let report = |rng: &mut Rng| {
        json!({"iso3": m, "kr_code": format!("{m}-KR{}", 1 + rng.below(3)), "year": 2026,
               "value": 100 + rng.below(40) as i64, "reported_at": at})
    };
    match rng.below(10) {
        0..=4 => ("POST", "/actuals".into(), report(rng)),
        5 => ("POST", "/actuals".into(), json!([report(rng), report(rng)])),
        6 | 7 => {
            // A draft edit: new targets (and sometimes a fourth key result).
            let mut p = primer(m, "draft", 3 + rng.below(2) as usize);
            for k in p["key_results"].as_array_mut().unwrap() {
                k["targets"]["2026"] = json!(105 + rng.below(30) as i64);
            }
            ("PUT", format!("/primers/{m}"), p)
        }
        8 => (
            "PUT",
            "/budgets".into(),
            json!({"pillar": 1 + rng.below(4) as i64, "year": 2026,
                   "planned": 1000 * (1 + rng.below(9)) as i64, "spent": step as i64}),
        ),
        _ => (
            "PUT",
            "/projects/26-VN-01-GE-COE-A".into(),
            json!({"code": "26-VN-01-GE-COE-A", "title": format!("COE, step {step}"),
                   "pillar": 3, "status": "active", "host_iso3": "VNM"}),
        ),
    }
}

/// What may differ between two databases given the same changes: when they were written.
fn without_clock(d: Value) -> Value {
    let mut d = comparable(d);
    for r in d["recent"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("at");
    }
    d
}

pub async fn send(app: &TestApp, method: &str, path: &str, body: &Value) {
    let r = app.send_json(method, path, body).await;
    assert!(r.status < 300, "{method} {path} {body}: {}", r.body);
}

async fn every_revision_replays_to_the_document_of_its_time(b: Backend) {
    let (a, fresh) = (spawn_app(b).await, spawn_app(b).await);
    let mut rng = Rng(0x5eed_2026_0130);
    // At revision 0 and after each change: the fresh database's document, from scratch.
    let mut scratch = vec![recomputed(&fresh, 2026).await];
    for m in MEMBERS {
        let p = primer(m, "draft", 3);
        send(&a, "PUT", &format!("/primers/{m}"), &p).await;
        send(&fresh, "PUT", &format!("/primers/{m}"), &p).await;
        scratch.push(recomputed(&fresh, 2026).await);
    }
    for step in 0..40 {
        let (method, path, body) = change(&mut rng, step);
        send(&a, method, &path, &body).await;
        send(&fresh, method, &path, &body).await;
        let rev = fresh.store.current_rev().await.unwrap();
        assert_eq!(rev as usize, scratch.len(), "one revision per change");
        let full = recomputed(&fresh, 2026).await;
        // The incremental document, once the aggregator has it, equals the full one.
        let live = fresh.dashboard_when_current(2026).await;
        assert_same(
            &comparable(live),
            &comparable(full.clone()),
            &format!("step {step}: incremental vs full"),
        );
        scratch.push(full);
    }
    for (n, expected) in scratch.iter().enumerate() {
        let replayed = a.get(&format!("/dashboard?period=2026&rev={n}")).await;
        assert_eq!(replayed.status, 200, "rev {n}: {}", replayed.body);
        assert_eq!(replayed.body["rev"], n as i64);
        assert_same(
            &without_clock(replayed.body),
            &without_clock(expected.clone()),
            &format!("revision {n} replayed vs computed on a database holding only it"),
        );
    }
    // And the facts read now equal the facts rebuilt from the log at the current revision.
    let now = a.store.facts(None).await.unwrap();
    let logged = a.store.facts(Some(now.rev)).await.unwrap();
    assert_eq!(now, logged);
    a.stop().await;
    fresh.stop().await;
}
