//! The log's own tests: every kind of edit reads back from its audit row as it was written.

use super::*;

/// Every kind of edit reads back from its audit row as it was written.
#[test]
fn an_edit_logged_reads_back_the_same() {
    let primer: PrimerInput = serde_json::from_value(serde_json::json!({
        "status": "draft", "focus_areas": ["Digital"],
        "key_results": [{"code": "VNM-KR1", "pillar": 3, "focus_area": "Digital",
                         "title": "SMEs trained", "unit": "SMEs", "direction": "increase",
                         "baseline_year": 2025, "baseline_value": 100.5,
                         "targets": {"2026": 500}}]
    }))
    .unwrap();
    let budget: Budget = serde_json::from_value(
        serde_json::json!({"pillar": 2, "year": 2026, "planned": 1e6, "spent": 0.1, "iso3": "VNM"}),
    )
    .unwrap();
    let project: crate::model::Project = serde_json::from_value(serde_json::json!({
        "code": "26-VN-01-GE-COE-A", "title": "COE", "program": "COE", "pillar": 3,
        "status": "active", "host_iso3": "VNM", "start_date": "2026-01-05"}))
    .unwrap();
    let application: crate::model::BcnApplication = serde_json::from_value(serde_json::json!({
        "id": 3, "project": "26-SN-03-GE-BCN-C", "sender": "VNM", "host": "JPN",
        "topic": "Lean", "modality": "virtual", "participants": 6,
        "start_date": "2026-10-05", "end_date": "2026-10-09", "level": "",
        "closing_date": "2026-06-30", "status": "declined", "reason": "no host in October",
        "filed_on": "2026-05-01", "filed_rev": 5, "decided_rev": 7}))
    .unwrap();
    let coe: crate::model::CoeRecord = serde_json::from_value(serde_json::json!({
        "id": "twn-green-productivity", "iso3": "TWN", "institution": "CPC",
        "area": "Green productivity", "designated": "2025-04-01",
        "assessments": [{"date": "2026-02-01", "decision": "hold", "note": "revised", "rev": 7}]}))
    .unwrap();
    let proposal: crate::model::CoeProposal = serde_json::from_value(serde_json::json!({
        "id": 1, "coe": null, "iso3": "VNM", "project": "26-RC-04-GE-COE-C",
        "title": "A new COE", "closing_date": null, "filed_on": "2026-02-15", "rev": 7}))
    .unwrap();
    let edits = [
        (
            Action::Decline,
            Edit::Bcn {
                action: Action::Decline,
                application: Box::new(application),
            },
        ),
        (
            Action::Assess,
            Edit::Coe {
                action: Action::Assess,
                coe: Box::new(coe),
            },
        ),
        (Action::Create, Edit::CoeProposal(Box::new(proposal))),
        (
            Action::Report,
            Edit::Report(ActualFact {
                iso3: "VNM".into(),
                code: "VNM-KR1".into(),
                year: 2026,
                value: 0.1 + 0.2,
                reported_at: "2026-03-02T09:30:00.000001Z".into(),
                rev: 7,
                kr: UNLINKED,
                derived: false,
            }),
        ),
        (
            Action::Create,
            Edit::Primer(PrimerEdit {
                iso3: "VNM".into(),
                action: Action::Create,
                primer: Arc::new(primer.clone()),
                added: Vec::new(),
                note: None,
            }),
        ),
        (
            Action::Return,
            Edit::Primer(PrimerEdit {
                iso3: "VNM".into(),
                action: Action::Return,
                primer: Arc::new(primer),
                added: Vec::new(),
                note: Some("Targets for 2027 are missing".into()),
            }),
        ),
        (
            Action::Withdraw,
            Edit::Withdraw(Withdrawal {
                report: ActualFact {
                    iso3: "VNM".into(),
                    code: "VNM-KR1".into(),
                    year: 2026,
                    value: 395.0,
                    reported_at: "2026-03-01T08:00:00.000000Z".into(),
                    rev: 5,
                    kr: UNLINKED,
                    derived: false,
                },
                reason: "typed in the wrong row".into(),
            }),
        ),
        (Action::Set, Edit::Budget(budget)),
        (
            Action::Update,
            Edit::Project {
                created: false,
                project: Box::new(project),
            },
        ),
        (
            Action::Set,
            Edit::Series(SeriesEdit {
                iso3: "VNM".into(),
                series: "rgdpo".into(),
                values: [(2019, 1.5), (2020, 2.25)].into(),
            }),
        ),
        (
            Action::Set,
            Edit::SeriesInfo(crate::model::SeriesInfo {
                series: "VNM.lp_agri".into(),
                label: "Labour productivity, agriculture".into(),
                unit: "index, 2015 = 100".into(),
                source: String::new(),
            }),
        ),
    ];
    for (action, edit) in edits {
        assert_eq!(edit.action(), action);
        let row = LogRow {
            rev: 7,
            at: "2026-03-02T09:30:00.000001Z".into(),
            actor: "tester".into(),
            action: edit.action().as_str().into(),
            entity: edit.entity().as_str().into(),
            entity_key: edit.key(),
            old_value: None,
            new_value: Some(logged_value(&edit)),
            note: edit.note().map(str::to_owned),
        };
        assert_eq!(edit_of(&row).unwrap(), edit, "{row:?}");
    }
}

/// The platforms' edits (issue 23) read back too; a deletion from its old value, its new value
/// being null.
#[test]
fn a_platform_edit_logged_reads_back_the_same() {
    let accreditation: crate::model::AccreditationInput =
        serde_json::from_value(serde_json::json!({
            "id": "vnm-vnpi", "iso3": "VNM", "body": "VNPI", "body_kind": "npo",
            "scheme": "APO accreditation of NPOs", "status": "accredited",
            "assessment_date": "2025-06-20", "criteria_scores": {"governance": 82.5},
            "certificate": "APO-ACC-2025-003", "conferred_on": "2025-10-28",
            "occasion": "66th WSM, Seoul", "valid_until": "2028-10-27"}))
        .unwrap();
    let theme: crate::model::GpTheme = serde_json::from_value(
        serde_json::json!({"id": "water_stewardship", "label": "Water stewardship"}),
    )
    .unwrap();
    let initiative: crate::model::GpInitiativeInput = serde_json::from_value(serde_json::json!({
        "id": "vnm-gp-demo-2026", "iso3": "VNM", "title": "GP demonstration",
        "theme": "energy_efficiency", "type": "demonstration_project", "sector": "food_processing",
        "start_year": 2026, "end_year": 2027, "status": "ongoing",
        "outcomes": [{"metric": "energy_saved", "year": 2026, "value": 340.5}]}))
    .unwrap();
    let training: crate::model::TrainingInput = serde_json::from_value(serde_json::json!({
        "id": "vnm-tr-2026-014", "iso3": "VNM", "title": "Lean", "provider": "VNPI",
        "sector": "food_processing", "topic": "Lean production", "start_date": "2026-03-02",
        "end_date": "2026-03-06", "mode": "in_person", "hours": 40.5,
        "participants": {"government": 4, "enterprises": 21, "universities": 5},
        "by_sex": {"female": 14, "male": 16, "unspecified": 0}, "smes": 17,
        "certified_specialists": 3}))
    .unwrap();
    let edits = [
        Edit::Accreditation {
            action: Action::Update,
            accreditation: Box::new(accreditation),
        },
        Edit::GpTheme {
            action: Action::Create,
            theme,
        },
        Edit::GpInitiative {
            action: Action::Create,
            initiative: Box::new(initiative.clone()),
        },
        Edit::GpInitiative {
            action: Action::Delete,
            initiative: Box::new(initiative.clone()),
        },
        Edit::Training {
            action: Action::Update,
            training: Box::new(training.clone()),
        },
        Edit::Training {
            action: Action::Delete,
            training: Box::new(training.clone()),
        },
    ];
    for edit in edits {
        let deleted = edit.action() == Action::Delete;
        let old = match &edit {
            Edit::GpInitiative { initiative, .. } => serde_json::to_string(initiative).unwrap(),
            Edit::Training { training, .. } => serde_json::to_string(training).unwrap(),
            _ => "{}".to_owned(),
        };
        let row = LogRow {
            rev: 7,
            at: "2026-03-02T09:30:00.000001Z".into(),
            actor: "tester".into(),
            action: edit.action().as_str().into(),
            entity: edit.entity().as_str().into(),
            entity_key: edit.key(),
            old_value: deleted.then_some(old),
            new_value: Some(logged_value(&edit)),
            note: edit.note().map(str::to_owned),
        };
        if deleted {
            assert_eq!(row.new_value.as_deref(), Some("null"));
        }
        assert_eq!(edit_of(&row).unwrap(), edit, "{row:?}");
    }
}
