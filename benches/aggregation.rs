//! Aggregation speed at two sizes (issue: "Aggregation with polars"):
//! - workshop: 21 members × 50 key results × 3 years, 10 reports each (31,500 reports);
//! - national: 1,000 reporting units × 100 key results × 3 years, 3–4 reports each
//!   (1,000,000 reports).
//!
//! For each: the full recomputation (polars) and the updated document after one new report
//! (the incremental path). The generated data is also written as CSV under
//! `target/bench-data/<size>/` for the DuckDB reference (`benches/duckdb_reference.py`), which
//! `benches/run.sh` runs in the same session.
//!
//! Run with `benches/run.sh` (or `cargo bench --bench aggregation`).

use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;

use apo_dashboard::analytics::current::CurrentDashboard;
use apo_dashboard::analytics::full;
use apo_dashboard::analytics::synthetic::{Rng, generate};
use apo_dashboard::records::{ActualFact, Change, Edit, Facts, UNLINKED};
use criterion::{Criterion, criterion_group, criterion_main};

/// Writes the facts for the DuckDB reference: one row per key result (with its 2026 target)
/// and one per report, with its position in report order.
fn write_csv(facts: &Facts, name: &str) -> std::io::Result<PathBuf> {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    let dir = PathBuf::from(target).join("bench-data").join(name);
    std::fs::create_dir_all(&dir)?;
    let mut krs = std::io::BufWriter::new(std::fs::File::create(dir.join("krs.csv"))?);
    writeln!(
        krs,
        "kr,member,pillar,focus,weight,increase,baseline,target"
    )?;
    for (i, k) in facts.key_results.iter().enumerate() {
        writeln!(
            krs,
            "{i},{},{},{},{},{},{},{}",
            k.iso3,
            k.pillar,
            k.focus_area.to_lowercase(),
            k.weight,
            k.increase,
            k.baseline.map_or(String::new(), |b| b.to_string()),
            k.targets
                .get(&2026)
                .map_or(String::new(), |t| t.to_string())
        )?;
    }
    let mut acts = std::io::BufWriter::new(std::fs::File::create(dir.join("actuals.csv"))?);
    writeln!(acts, "kr,year,value,seq")?;
    for (i, a) in facts.actuals.iter().enumerate() {
        writeln!(acts, "{},{},{},{i}", a.kr, a.year, a.value)?;
    }
    Ok(dir)
}

fn bench_size(c: &mut Criterion, name: &str, facts: Facts) {
    let dir = write_csv(&facts, name).expect("bench data written");
    eprintln!(
        "{name}: {} members, {} key results, {} reports; CSV in {}",
        facts.members.len(),
        facts.key_results.len(),
        facts.actuals.len(),
        dir.display()
    );
    let mut group = c.benchmark_group(name);
    group.sample_size(if facts.actuals.len() > 100_000 {
        20
    } else {
        100
    });
    group.bench_function("full_recomputation", |b| {
        b.iter(|| full::compute(black_box(&facts), 2026, String::new()).expect("computes"))
    });

    let mut current = CurrentDashboard::new(facts.clone(), 2026, String::new()).expect("computes");
    let n = facts.key_results.len();
    let mut rev = facts.rev;
    let mut rng = Rng(7);
    group.bench_function("one_new_report", |b| {
        b.iter(|| {
            rev += 1;
            let k = &facts.key_results[(rng.next_u64() as usize) % n];
            let report = ActualFact {
                iso3: k.iso3.to_string(),
                code: k.code.to_string(),
                year: 2026,
                value: k.targets[&2026] * rng.unit(),
                reported_at: "2026-12-31T00:00:00.000000Z".into(),
                rev,
                kr: UNLINKED,
                derived: false,
            };
            // As the aggregator applies it: the change that carried it, with its ticker line.
            let change = Change {
                rev,
                at: "2026-12-31T00:00:00.000000Z".into(),
                actor: "bench".into(),
                edits: vec![Edit::Report(report)],
            };
            black_box(current.apply(&[&change], String::new()).expect("applies"))
        })
    });
    group.finish();
}

fn workshop(c: &mut Criterion) {
    bench_size(c, "workshop", generate(21, 50, |_| 10));
}

fn national(c: &mut Criterion) {
    // 300,000 (key result, year) pairs with 3 or 4 reports: 1,000,000 reports.
    bench_size(
        c,
        "national",
        generate(1000, 100, |pair| 3 + usize::from(pair % 3 == 0)),
    );
}

criterion_group!(benches, workshop, national);
criterion_main!(benches);

// The same allocator as the binary (src/main.rs), so the figures are the service's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
