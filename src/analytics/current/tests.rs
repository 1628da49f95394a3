//! The incremental path against a recomputation from scratch.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::model::{Budget, PrimerInput};
use crate::records::{Action, ActualFact, Edit, MemberFact, PrimerEdit, UNLINKED};

fn primer(krs: usize, target: f64) -> PrimerInput {
    let krs: Vec<_> = (1..=krs)
        .map(|i| {
            json!({"code": format!("VNM-KR{i}"), "pillar": 1 + i % 4, "focus_area": "Digital",
                   "title": format!("Key result {i}"), "unit": "SMEs",
                   "direction": "increase", "targets": {"2026": target}})
        })
        .collect();
    serde_json::from_value(json!({"status": "draft", "focus_areas": ["Digital"],
                                  "key_results": krs}))
    .unwrap()
}

fn change(rev: i64, edits: Vec<Edit>) -> Change {
    Change {
        rev,
        at: format!("2026-05-01T00:00:{rev:02}.000000Z").into(),
        actor: "tester".into(),
        edits,
    }
}

fn primer_edit(action: Action, krs: usize, target: f64) -> Edit {
    Edit::Primer(PrimerEdit {
        iso3: "VNM".into(),
        action,
        primer: Arc::new(primer(krs, target)),
        added: Vec::new(),
        note: None,
    })
}

fn report(rev: i64, kr: usize, value: f64, month: u32) -> Edit {
    report_of(2026, rev, kr, value, month)
}

fn report_of(year: i64, rev: i64, kr: usize, value: f64, month: u32) -> Edit {
    Edit::Report(ActualFact {
        iso3: "VNM".into(),
        code: format!("VNM-KR{kr}"),
        year,
        value,
        reported_at: format!("2026-{month:02}-01T00:00:00.000000Z").into(),
        rev,
        kr: UNLINKED,
        derived: false,
    })
}

/// A primer, reports (one dated before the one it follows, two of 2027 that the 2026
/// document leaves out), a primer edit that adds a key result, a budget, more reports: as
/// the aggregator may find them, one by one or all at once after a lag.
fn changes() -> Vec<Change> {
    let budget: Budget =
        serde_json::from_value(json!({"pillar": 2, "year": 2026, "planned": 100.0, "spent": 40.0}))
            .unwrap();
    vec![
        change(1, vec![primer_edit(Action::Create, 3, 100.0)]),
        change(2, vec![report(2, 1, 60.0, 6)]),
        change(
            3,
            vec![
                report(3, 1, 90.0, 3),
                report_of(2027, 3, 1, 99.0, 5),
                report(3, 2, 10.0, 4),
            ],
        ),
        change(4, vec![primer_edit(Action::Update, 4, 50.0)]),
        change(5, vec![report(5, 4, 25.0, 5), report(5, 2, 30.0, 4)]),
        change(6, vec![Edit::Budget(budget)]),
        change(
            7,
            vec![
                report(7, 3, 80.0, 2),
                report(7, 1, 45.0, 3),
                report_of(2027, 7, 2, 11.0, 6),
            ],
        ),
    ]
}

fn empty() -> Facts {
    Facts {
        members: vec![MemberFact {
            iso3: "VNM".into(),
            name: "Viet Nam".into(),
        }],
        ..Facts::default()
    }
}

/// The document computed from scratch over the facts after the first `n` of `all`, as the
/// store would read them (reports in report order, linked), with derived actuals derived.
fn from_scratch_of(all: &[Change], n: usize) -> Value {
    let mut facts = empty();
    for c in &all[..n] {
        facts.apply(c);
    }
    facts.settle();
    super::super::derived::refresh(&mut facts).unwrap();
    let mut doc = super::super::full::compute(&facts, 2026, String::new()).unwrap();
    doc.generated_at = String::new();
    to_value(&doc)
}

fn document(d: &CurrentDashboard) -> Value {
    let mut doc = d.document().clone();
    doc.generated_at = String::new();
    to_value(&doc)
}

/// Applies `all` one by one, checking the document and its patch after each against a
/// recomputation from scratch, then from each point everything that follows in one batch (as
/// after a lag). Returns the document kept current one by one.
fn agrees_with_from_scratch(all: &[Change]) -> CurrentDashboard {
    let mut one_by_one = CurrentDashboard::new(empty(), 2026, String::new()).unwrap();
    for (i, c) in all.iter().enumerate() {
        let before = document(&one_by_one);
        let ops = one_by_one.apply(&[c], String::new()).unwrap();
        let expected = from_scratch_of(all, i + 1);
        assert_eq!(document(&one_by_one), expected, "after change {}", c.rev);
        let mut patched = before;
        super::super::document::apply(&mut patched, &ops);
        patched["generated_at"] = json!("");
        assert_eq!(patched, expected, "the patch of change {}", c.rev);
    }
    let last = from_scratch_of(all, all.len());
    for start in 0..all.len() {
        let mut lagging = CurrentDashboard::new(empty(), 2026, String::new()).unwrap();
        for c in &all[..start] {
            lagging.apply(&[c], String::new()).unwrap();
        }
        let rest: Vec<&Change> = all[start..].iter().collect();
        lagging.apply(&rest, String::new()).unwrap();
        assert_eq!(
            document(&lagging),
            last,
            "changes {}.. in one batch",
            start + 1
        );
    }
    one_by_one
}

#[test]
fn changes_applied_one_by_one_or_together_give_the_document_computed_from_scratch() {
    let one_by_one = agrees_with_from_scratch(&changes());
    // It holds the reports of its year alone; the ticker still tells of the others.
    let facts = one_by_one.facts();
    assert_eq!(facts.actuals.len(), 7);
    assert!(facts.actuals.iter().all(|a| a.year == 2026));
    let tickers_2027: Vec<_> = facts
        .recent
        .iter()
        .filter_map(|l| match &l.edit {
            Edit::Report(a) if a.year == 2027 => Some((a.value, a.kr)),
            _ => None,
        })
        .collect();
    assert_eq!(
        tickers_2027,
        [(11.0, 1), (99.0, 0)],
        "linked for the ticker"
    );
    // The latest of KR1's reports by date (June, 60) is current, not the latest written
    // (March, 45, after a restructuring change).
    assert_eq!(
        document(&one_by_one)["key_results"]["VNM/VNM-KR1"]["actual"],
        json!(60.0)
    );
}

// ---- key results fed by data ----

/// The primer of [`changes`]' end (four key results) and three fed by data: KR5 the
/// participants of trainings in `sectors` since 2026 (no source when `None`), KR6 the energy
/// saved by GP initiatives in the year, KR7 the initiatives active since 2025.
fn primer_with_sources(sectors: Option<&[&str]>) -> Edit {
    let mut p = serde_json::to_value(primer(4, 50.0)).unwrap();
    let kr = |i: usize, source: Value| {
        json!({"code": format!("VNM-KR{i}"), "pillar": 1 + i % 4, "focus_area": "Digital",
               "title": format!("Key result {i}"), "unit": "people", "direction": "increase",
               "targets": {"2026": 40.0}, "source": source})
    };
    let krs = p["key_results"].as_array_mut().unwrap();
    krs.push(kr(
        5,
        sectors.map_or(Value::Null, |s| {
            json!({"dataset": "trainings", "measure": "participants", "sectors": s,
                   "since": 2026})
        }),
    ));
    krs.push(kr(
        6,
        json!({"dataset": "gp_initiatives", "measure": "energy_saved", "themes": []}),
    ));
    krs.push(kr(
        7,
        json!({"dataset": "gp_initiatives", "measure": "initiatives",
               "themes": ["energy_efficiency"], "since": 2025}),
    ));
    Edit::Primer(PrimerEdit {
        iso3: "VNM".into(),
        action: Action::Update,
        primer: Arc::new(serde_json::from_value(p).unwrap()),
        added: Vec::new(),
        note: None,
    })
}

fn training(action: Action, id: &str, sector: &str, end: &str, people: i64) -> Edit {
    let t = json!({"id": id, "iso3": "VNM", "title": "Lean for food processors",
        "provider": "VNPI", "sector": sector, "topic": "Lean production",
        "start_date": "2025-03-02", "end_date": end, "mode": "in_person", "hours": 40,
        "participants": {"government": 1, "enterprises": people - 1, "universities": 0},
        "by_sex": {"female": 1, "male": people - 1, "unspecified": 0},
        "smes": 0, "certified_specialists": 0});
    Edit::Training {
        action,
        training: Box::new(serde_json::from_value(t).unwrap()),
    }
}

fn initiative(action: Action, id: &str, status: &str, energy: f64) -> Edit {
    let g = json!({"id": id, "iso3": "VNM", "title": "GP demonstration",
        "theme": "energy_efficiency", "type": "demonstration_project",
        "sector": "food_processing", "start_year": 2025, "end_year": 2027, "status": status,
        "outcomes": [{"metric": "energy_saved", "year": 2026, "value": energy},
                     {"metric": "energy_saved", "year": 2025, "value": 7.0}]});
    Edit::GpInitiative {
        action,
        initiative: Box::new(serde_json::from_value(g).unwrap()),
    }
}

/// [`changes`], then key results fed by data and their rows changing: trainings added in two
/// sectors and two years (and one in a sector the filter leaves out), one edited, one deleted,
/// the last of a year deleted, a GP initiative and its outcome, the initiative cancelled, a
/// report on another key result (the incremental path, with sources present), the filter
/// changed, the source removed.
fn changes_with_sources() -> Vec<Change> {
    use Action::{Create, Delete, Update};
    let both: &[&str] = &["food_processing", "agriculture"];
    let mut all = changes();
    let more = vec![
        vec![training(
            Create,
            "t-early",
            "food_processing",
            "2026-02-01",
            3,
        )],
        vec![primer_with_sources(Some(both))],
        vec![training(Create, "t1", "food_processing", "2026-03-06", 30)],
        vec![
            training(Create, "t2", "agriculture", "2027-01-20", 12),
            training(Create, "t3", "energy", "2026-04-01", 50),
        ],
        vec![training(Update, "t1", "food_processing", "2026-03-06", 25)],
        vec![training(Create, "t4", "agriculture", "2025-11-30", 9)],
        vec![training(
            Delete,
            "t-early",
            "food_processing",
            "2026-02-01",
            3,
        )],
        vec![training(Delete, "t1", "food_processing", "2026-03-06", 25)],
        vec![initiative(Create, "g1", "ongoing", 340.5)],
        vec![report(0, 1, 70.0, 7)],
        vec![initiative(Update, "g1", "cancelled", 340.5)],
        vec![initiative(Update, "g1", "completed", 12.0)],
        vec![primer_with_sources(Some(&["energy"]))],
        vec![primer_with_sources(None)],
        vec![training(Create, "t5", "energy", "2026-05-05", 4)],
        vec![initiative(Delete, "g1", "completed", 12.0)],
    ];
    let first = all.len() as i64 + 1;
    for (i, edits) in more.into_iter().enumerate() {
        let rev = first + i as i64;
        let edits = edits
            .into_iter()
            .map(|e| match e {
                Edit::Report(mut a) => {
                    a.rev = rev;
                    Edit::Report(a)
                }
                e => e,
            })
            .collect();
        all.push(change(rev, edits));
    }
    all
}

#[test]
fn key_results_fed_by_data_give_the_document_computed_from_scratch_after_every_change() {
    let all = changes_with_sources();
    agrees_with_from_scratch(&all);
    // What the derivation gave along the way, as the document shows it.
    let at = |n: usize, kr: usize| {
        from_scratch_of(&all, n)["key_results"][format!("VNM/VNM-KR{kr}")].clone()
    };
    let base = changes().len();
    // Before any source: KR5 has no data; then the member's 2026 training in its sectors.
    assert_eq!(at(base + 2, 5)["actual"], json!(3.0));
    assert_eq!(at(base + 2, 5)["source"], json!("trainings"));
    // Stamped with the change that made it: the source given, then a training added.
    let time = |n: usize| json!(format!("2026-05-01T00:00:{n:02}.000000Z"));
    assert_eq!(at(base + 2, 5)["reported_at"], time(base + 2));
    assert_eq!(at(base + 3, 5)["reported_at"], time(base + 3));
    assert_eq!(at(base + 3, 5)["actual"], json!(33.0));
    // 2027's and the energy training do not count in 2026; the edit does.
    assert_eq!(at(base + 4, 5)["actual"], json!(33.0));
    assert_eq!(at(base + 5, 5)["actual"], json!(28.0));
    // Before `since` (2025): not counted.
    assert_eq!(at(base + 6, 5)["actual"], json!(28.0));
    assert_eq!(at(base + 7, 5)["actual"], json!(25.0));
    // The last 2026 training in its sectors deleted: no data, not 0.
    assert_eq!(at(base + 8, 5)["actual"], Value::Null);
    assert_eq!(at(base + 8, 5)["status"], json!("no_data"));
    // GP: the year's energy saved; initiatives active since 2025, counted once.
    assert_eq!(at(base + 9, 6)["actual"], json!(340.5));
    assert_eq!(at(base + 9, 7)["actual"], json!(1.0));
    assert_eq!(at(base + 9, 6)["source"], json!("gp_initiatives"));
    // Cancelled: counts nothing.
    assert_eq!(at(base + 11, 6)["actual"], Value::Null);
    assert_eq!(at(base + 11, 7)["actual"], Value::Null);
    assert_eq!(at(base + 12, 6)["actual"], json!(12.0));
    // The filter changed to energy: the 2026 energy training.
    assert_eq!(at(base + 13, 5)["actual"], json!(50.0));
    // The source removed: reported by hand, and none reported.
    assert_eq!(at(base + 14, 5)["actual"], Value::Null);
    assert_eq!(at(base + 14, 5)["source"], Value::Null);
    assert_eq!(at(base + 16, 6)["actual"], Value::Null);
}
