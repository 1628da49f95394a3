//! Group commit ([`apo_dashboard::store::commit`]): writes that queue together share one
//! transaction and one fsync, and each still behaves as if it were alone: its own revision, its
//! own audit row, and a failure that undoes only itself, even after it has written.

use std::collections::{BTreeMap, BTreeSet};

use apo_dashboard::error::Error;
use apo_dashboard::model::{ActualInput, Budget};
use apo_dashboard::records::Actor;
use apo_dashboard::store::{Duplicates, Workflow};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn_demo_app, spawn_replica};

crate::on_both_backends!(
    writes_grouped_together_keep_their_own_revisions_and_fail_alone,
    reports_written_together_keep_their_own_revisions_beside_other_writes,
    a_report_queued_behind_the_write_that_adds_its_key_result_finds_it,
    a_key_result_another_process_changes_is_read_again_by_the_next_report,
    every_connection_commits_to_disk
);

/// What a pooled connection says of its commits: fsynced (SQLite's FULL in WAL mode, which
/// syncs the log at each commit, with the 1 KB pages of a new database; PostgreSQL's
/// synchronous commit, with fsync on).
async fn every_connection_commits_to_disk(b: Backend) {
    let app = spawn_demo_app(b).await;
    // Several at once, so that more than one pooled connection answers.
    let said = futures_util::future::join_all((0..6).map(|_| app.store.durability())).await;
    for d in said {
        let d = d.unwrap();
        match b {
            Backend::Sqlite => {
                assert_eq!(d, "sqlite synchronous=FULL journal_mode=wal page_size=1024")
            }
            Backend::Postgres => assert_eq!(d, "postgres synchronous_commit=on fsync=on"),
        }
    }
    app.stop().await;
}

/// Writes sent at once; every third fails after it has written its budget row.
const WRITES: usize = 120;

async fn writes_grouped_together_keep_their_own_revisions_and_fail_alone(b: Backend) {
    let app = spawn_demo_app(b).await;
    let start = app.store.current_rev().await.unwrap();
    let members = app.get("/members").await.body;
    let members: Vec<String> = members
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["iso3"].as_str().unwrap().to_owned())
        .collect();

    let mut tasks = Vec::new();
    for k in 0..WRITES {
        let (pillar, year, iso3) = (k % 4 + 1, 2026 + (k / 4) % 3, &members[(k / 12) % 21]);
        let budget: Budget = serde_json::from_value(json!({
            "pillar": pillar, "year": year, "planned": 1000 + k, "spent": k, "iso3": iso3,
        }))
        .unwrap();
        let feed = app.feed.clone();
        tasks.push(tokio::spawn(async move {
            let fails = k % 3 == 0;
            let written = feed
                .write(&Actor::service("group test"), move |w| {
                    Box::pin(async move {
                        assert!(w.put_budget(&budget).await?, "budget {k} changed nothing");
                        if fails {
                            return Err(Error::Conflict(
                                format!("write {k} fails after writing"),
                                vec![],
                            ));
                        }
                        Ok(w.rev())
                    })
                })
                .await;
            (k, written.map(|(rev, change)| (rev, change.map(|c| c.rev))))
        }));
    }
    let mut kept = BTreeMap::new();
    for t in tasks {
        let (k, written) = t.await.unwrap();
        match written {
            Ok((rev, Some(committed))) => {
                assert!(k % 3 != 0, "write {k} should have failed");
                assert_eq!(
                    rev, committed,
                    "write {k} saw one revision and committed another"
                );
                kept.insert(k, rev);
            }
            Ok((_, None)) => panic!("write {k} committed nothing"),
            Err(Error::Conflict(m, _)) => {
                assert_eq!(k % 3, 0, "write {k} failed: {m}");
            }
            Err(e) => panic!("write {k}: {e}"),
        }
    }
    assert_eq!(kept.len(), WRITES - WRITES.div_ceil(3));

    // Revisions: one each, no gaps (a failed write's revision was undone with it).
    let revs: BTreeSet<i64> = kept.values().copied().collect();
    assert_eq!(revs.len(), kept.len(), "two writes share a revision");
    let expected: BTreeSet<i64> = (start + 1..=start + kept.len() as i64).collect();
    assert_eq!(revs, expected);
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        start + kept.len() as i64
    );

    // Each kept write has its audit row at its revision; a failed one has none.
    let audit = app
        .get(&format!("/audit?from_rev={}&limit=1000", start + 1))
        .await
        .body;
    let audit = audit.as_array().expect("audit rows");
    let audited: BTreeMap<i64, String> = audit
        .iter()
        .map(|a| {
            (
                a["rev"].as_i64().unwrap(),
                a["entity"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(audit.len(), kept.len(), "one audit row per kept write");
    assert!(audited.values().all(|e| e == "budget"), "{audited:?}");

    // The stored budgets: exactly the kept writes' rows; the failed ones' rows are gone.
    let stored = app.get("/budgets").await.body;
    let stored = stored.as_array().expect("budgets");
    for k in 0..WRITES {
        let (pillar, year, iso3) = (k % 4 + 1, 2026 + (k / 4) % 3, &members[(k / 12) % 21]);
        let row = stored.iter().find(|s| {
            s["pillar"] == pillar && s["year"] == year && s["iso3"].as_str() == Some(iso3)
        });
        let planned = row.map(|r| r["planned"].as_f64().unwrap());
        if k % 3 == 0 {
            assert_ne!(
                planned,
                Some((1000 + k) as f64),
                "failed write {k} was kept"
            );
        } else {
            assert_eq!(planned, Some((1000 + k) as f64), "write {k}");
        }
    }

    // And the writes were grouped: more than one per commit on average.
    let text = exposition("group", app.store.commit_metrics().group_writes.clone());
    let sample = |name: &str| -> f64 {
        sampled(&text, name).unwrap_or_else(|| panic!("{name} missing in {text}"))
    };
    let (sum, count) = (sample("group_sum"), sample("group_count"));
    assert!(
        sum > count,
        "{WRITES} writes at once were never grouped: {sum} writes in {count} commits"
    );
    eprintln!("{b:?}: {sum} writes kept in {count} commits");
    app.stop().await;
}

/// Rounds of three writes sent at once: reports the committer writes with the rest of its group
/// (`POST /actuals` without a key), one of them refused; a write that reads the reports (an
/// import that skips stored ones) right behind one of them; a budget that fails after writing.
const ROUNDS: usize = 40;

/// A report of round `k`: a distinct value, dated, in VNM-KR1's range.
fn report(k: usize, kr: &str) -> ActualInput {
    serde_json::from_value(json!({
        "iso3": "VNM", "kr_code": kr, "year": 2027, "value": 1.0 + k as f64 / 100.0,
        "reported_at": format!("2026-11-{:02}T10:{:02}:00Z", 1 + k / 60, k % 60),
    }))
    .unwrap()
}

/// Reports are written together at the end of their group, with no savepoint; they still keep
/// their own revisions and audit rows, a refused batch takes none and writes nothing, a write
/// queued behind them in the same group reads them, and a write that fails in its savepoint
/// does not undo them.
async fn reports_written_together_keep_their_own_revisions_beside_other_writes(b: Backend) {
    let app = spawn_demo_app(b).await;
    let start = app.store.current_rev().await.unwrap();
    let before = app.get("/actuals?limit=10000").await.body;
    let before = before.as_array().expect("reports").len();
    let actor = Actor::service("group test");
    let mut tasks = Vec::new();
    for k in 0..ROUNDS {
        let (feed, actor) = (app.feed.clone(), actor.clone());
        tasks.push(tokio::spawn(async move {
            // Queued in this order: joined futures are polled in turn.
            let refused =
                feed.append_reports(&actor, vec![report(k, "VNM-KR1"), report(k, "VNM-KR99")]);
            let kept = feed.append_reports(&actor, vec![report(k, "VNM-KR1")]);
            let again = feed.write(&actor, move |w| {
                Box::pin(async move {
                    w.append_actuals(&[report(k, "VNM-KR1")], Duplicates::Skip)
                        .await
                })
            });
            let budget: Budget = serde_json::from_value(json!({
                "pillar": 1 + k % 4, "year": 2028, "planned": 5000.25 + k as f64, "spent": 0, "iso3": "VNM",
            }))
            .unwrap();
            let fails = feed.write(&actor, move |w| {
                Box::pin(async move {
                    w.put_budget(&budget).await?;
                    Err::<(), _>(Error::Conflict(
                        format!("budget {k} fails after writing"),
                        vec![],
                    ))
                })
            });
            let (refused, kept, again, fails) = tokio::join!(refused, kept, again, fails);
            match refused {
                Err(Error::Invalid(_, details)) => {
                    assert_eq!(details.len(), 1, "round {k}: {details:?}");
                    assert_eq!(details[0].row, Some(1), "round {k}: {details:?}");
                }
                other => panic!(
                    "round {k}: a report on an unknown key result was not refused: {other:?}"
                ),
            }
            let (appended, change) = kept.unwrap_or_else(|e| panic!("round {k}: {e}"));
            assert_eq!(appended, 1);
            let rev = change.expect("a kept report").rev;
            // The import behind it found it stored: nothing to append, no revision.
            let (skipped, nothing) = again.unwrap_or_else(|e| panic!("round {k}: {e}"));
            assert_eq!(
                (skipped, nothing.map(|c| c.rev)),
                (0, None),
                "round {k}: the report was not seen"
            );
            assert!(
                matches!(fails, Err(Error::Conflict(..))),
                "round {k}: {fails:?}"
            );
            (k, rev)
        }));
    }
    let mut kept = BTreeMap::new();
    for t in tasks {
        let (k, rev) = t.await.unwrap();
        kept.insert(rev, k);
    }
    // One revision each, no gaps: the refused, the unchanged and the failed took none.
    let expected: BTreeSet<i64> = (start + 1..=start + ROUNDS as i64).collect();
    assert_eq!(kept.keys().copied().collect::<BTreeSet<_>>(), expected);
    assert_eq!(
        app.store.current_rev().await.unwrap(),
        start + ROUNDS as i64
    );

    // Each report stored once, at its revision, with its audit row; nothing else written.
    let rows = app.get("/actuals?limit=10000").await.body;
    let rows = rows.as_array().expect("reports");
    assert_eq!(rows.len() - before, ROUNDS, "each report once");
    for (rev, k) in &kept {
        let row = rows
            .iter()
            .find(|r| r["rev"] == *rev)
            .unwrap_or_else(|| panic!("round {k}'s report is not at revision {rev}"));
        assert_eq!(row["value"].as_f64(), Some(1.0 + *k as f64 / 100.0));
        assert_eq!(row["kr_code"], "VNM-KR1");
    }
    let audit = app
        .get(&format!("/audit?from_rev={}&limit=1000", start + 1))
        .await
        .body;
    let audit = audit.as_array().expect("audit rows");
    assert_eq!(audit.len(), ROUNDS, "one audit row per report: {audit:?}");
    for a in audit {
        assert!(kept.contains_key(&a["rev"].as_i64().unwrap()), "{a}");
        assert_ne!(a["entity"], "budget", "a failed budget was audited: {a}");
    }
    let budgets = app.get("/budgets").await.body;
    assert!(
        !budgets
            .as_array()
            .expect("budgets")
            .iter()
            .any(|r| r["year"] == 2028 && r["planned"].as_f64().is_some_and(|p| p.fract() == 0.25)),
        "a failed budget was kept"
    );
    app.stop().await;
}

/// The committer looks up the key results of a group's waiting reports together, before the
/// writes between them have run. A write that adds a key result makes the group look again:
/// a report queued in front of it on that key result is refused (it does not exist yet), the
/// same report queued behind it is kept, in the same group.
async fn a_report_queued_behind_the_write_that_adds_its_key_result_finds_it(b: Backend) {
    let app = spawn_demo_app(b).await;
    let actor = Actor::service("group test");
    for k in 0..12 {
        let code = format!("VNM-N{k}");
        let adds = {
            let code = code.clone();
            app.feed.write(&actor, move |w| {
                Box::pin(async move {
                    let mut primer = w.primer("VNM").await?.expect("VNM's primer").input();
                    let mut kr = primer.key_results[0].clone();
                    kr.code = serde_json::from_value(json!(code)).unwrap();
                    primer.key_results.push(kr);
                    w.put_primer("VNM", &primer, Workflow::Bypass).await
                })
            })
        };
        // Holds the committer while the three behind it queue, so that they join its group.
        let holds = app.feed.write(&actor, |_| {
            Box::pin(async {
                tokio::time::sleep(std::time::Duration::from_millis(30)).await;
                Ok(())
            })
        });
        let early = app.feed.append_reports(&actor, vec![report(k, &code)]);
        let late = app.feed.append_reports(&actor, vec![report(k, &code)]);
        // Queued in this order: joined futures are polled in turn.
        let (held, early, adds, late) = tokio::join!(holds, early, adds, late);
        held.unwrap_or_else(|e| panic!("round {k}: {e}"));
        assert!(
            matches!(early, Err(Error::Invalid(..))),
            "round {k}: a report on a key result not yet written was kept: {early:?}"
        );
        let (changed, _) = adds.unwrap_or_else(|e| panic!("round {k}: {e}"));
        assert!(changed, "round {k}: the key result was not added");
        let (appended, change) = late.unwrap_or_else(|e| panic!("round {k}: {e}"));
        assert_eq!(appended, 1, "round {k}");
        assert!(change.is_some(), "round {k}");
    }
    app.stop().await;
}

/// The groups the committer of `app` has run the `way` way ("short" or "long").
fn groups(app: &TestApp, way: &str) -> f64 {
    let text = exposition("groups", app.store.commit_metrics().groups.clone());
    sampled(&text, &format!("groups_total{{way=\"{way}\"}}")).unwrap_or(0.0)
}

/// The Prometheus text of `metric` alone, registered as `name`.
fn exposition(name: &str, metric: impl prometheus_client::registry::Metric) -> String {
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register(name, "under test", metric);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    text
}

/// The value of the sample `series` (name and labels) in `text`.
fn sampled(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.trim().parse().ok()))
}

/// Changes VNM's primer through `app` as `change` says; returns whether it changed, and the
/// change.
async fn change_vnm_primer(
    app: &TestApp,
    actor: &Actor,
    change: impl FnOnce(&mut apo_dashboard::model::PrimerInput) + Send + 'static,
) -> apo_dashboard::error::Result<(bool, Option<std::sync::Arc<apo_dashboard::records::Change>>)> {
    app.feed
        .write(actor, move |w| {
            Box::pin(async move {
                let mut primer = w.primer("VNM").await?.expect("VNM's primer").input();
                change(&mut primer);
                w.put_primer("VNM", &primer, Workflow::Bypass).await
            })
        })
        .await
}

/// A report on `kr` of value `value`.
fn report_of(kr: &str, value: f64) -> ActualInput {
    serde_json::from_value(json!({"iso3": "VNM", "kr_code": kr, "year": 2027, "value": value}))
        .unwrap()
}

/// The committer keeps the key results it has looked up from one group to the next and
/// checks reports against them in memory (the short way), as long as the revision has moved
/// only by its own reports. Another process (a replica; an `import` beside `serve`) that adds a
/// key result, or narrows its range, moves the revision: the next report is checked against
/// what that process wrote, never against what the committer held, and takes the revision
/// after the other process's.
async fn a_key_result_another_process_changes_is_read_again_by_the_next_report(b: Backend) {
    let app = spawn_demo_app(b).await;
    let other = spawn_replica(&app, |_| {}).await;
    let start = app.store.current_rev().await.unwrap();
    let actor = Actor::service("group test");
    for k in 0..4 {
        let code = format!("VNM-X{k}");
        // Warm: the new key result is looked up (not found), then reports on a known one go
        // the short way.
        let refused = app
            .feed
            .append_reports(&actor, vec![report_of(&code, 10.0)])
            .await;
        assert!(
            matches!(refused, Err(Error::Invalid(..))),
            "round {k}: a report on a key result not yet written was kept: {refused:?}"
        );
        let short = groups(&app, "short");
        for _ in 0..3 {
            app.feed
                .append_reports(&actor, vec![report_of("VNM-KR1", 2.0)])
                .await
                .unwrap_or_else(|e| panic!("round {k}: {e}"));
        }
        assert!(
            groups(&app, "short") >= short + 2.0,
            "round {k}: reports on a key result just looked up did not go the short way"
        );
        let refused_again = app
            .feed
            .append_reports(&actor, vec![report_of(&code, 10.0)])
            .await;
        assert!(
            matches!(refused_again, Err(Error::Invalid(..))),
            "round {k}"
        );

        // The other process adds the key result, with no upper bound.
        let adds = change_vnm_primer(&other, &actor, {
            let code = code.clone();
            move |primer| {
                let mut kr = primer.key_results[0].clone();
                kr.code = serde_json::from_value(json!(code)).unwrap();
                kr.max_value = None;
                primer.key_results.push(kr);
            }
        });
        let (added, change) = adds.await.unwrap_or_else(|e| panic!("round {k}: {e}"));
        assert!(added, "round {k}: the key result was not added");
        let theirs = change.expect("a revision").rev;
        let long = groups(&app, "long");
        let (appended, change) = app
            .feed
            .append_reports(&actor, vec![report_of(&code, 10.0)])
            .await
            .unwrap_or_else(|e| panic!("round {k}: a report on the key result added by the other process was refused: {e}"));
        assert_eq!(appended, 1, "round {k}");
        assert_eq!(change.expect("a revision").rev, theirs + 1, "round {k}");
        assert!(
            groups(&app, "long") > long,
            "round {k}: the revision moved, yet the short way was kept"
        );

        // The other process narrows its range: 10 is out of it now.
        let narrows = change_vnm_primer(&other, &actor, {
            let code = code.clone();
            move |primer| {
                let kr = primer
                    .key_results
                    .iter_mut()
                    .find(|kr| kr.code.as_str() == code)
                    .expect("the key result added");
                kr.max_value = Some(serde_json::from_value(json!(6.0)).unwrap());
            }
        });
        let (narrowed, _) = narrows.await.unwrap_or_else(|e| panic!("round {k}: {e}"));
        assert!(narrowed, "round {k}");
        // A report within the old range and outside the new one, queued with one inside.
        let (out, within) = tokio::join!(
            app.feed
                .append_reports(&actor, vec![report_of(&code, 10.0)]),
            app.feed.append_reports(&actor, vec![report_of(&code, 5.0)]),
        );
        assert!(
            matches!(out, Err(Error::Invalid(..))),
            "round {k}: a report outside the range another process set was kept: {out:?}"
        );
        within.unwrap_or_else(|e| panic!("round {k}: {e}"));
    }
    // Every revision once, in order, whichever process took it.
    let audit = app
        .get(&format!("/audit?from_rev={}&limit=1000", start + 1))
        .await
        .body;
    let revs: Vec<i64> = audit
        .as_array()
        .expect("audit rows")
        .iter()
        .map(|a| a["rev"].as_i64().unwrap())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let last = app.store.current_rev().await.unwrap();
    assert_eq!(revs, (start + 1..=last).collect::<Vec<_>>());
    other.stop().await;
    app.stop().await;
}
