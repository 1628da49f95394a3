//! Generated facts, deterministic, for benchmarks and for tests at scale: `units` members ×
//! `krs` key results with targets for 2026–2028, and reports for each (key result, year).

use std::collections::BTreeMap;

use crate::records::{ActualFact, Facts, KrFact, MemberFact};

const FOCUS: [&str; 12] = [
    "SMEs",
    "Green productivity",
    "Digital transformation",
    "Agriculture",
    "Tourism",
    "Manufacturing",
    "Public sector",
    "Services",
    "Innovation",
    "Food processing",
    "Textiles and garments",
    "Logistics",
];

/// A small deterministic generator (xorshift).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Deterministic facts: `units` members × `krs` key results, reports for 2026–2028.
pub fn generate(units: usize, krs: usize, reports: impl Fn(usize) -> usize) -> Facts {
    let mut rng = Rng(0x00A9_0D05_2026);
    let members: Vec<MemberFact> = (0..units)
        .map(|u| MemberFact {
            iso3: format!("U{u:04}"),
            name: format!("Unit {u}"),
        })
        .collect();
    let mut key_results = Vec::with_capacity(units * krs);
    for m in &members {
        for k in 0..krs {
            let increase = rng.unit() < 0.85;
            let baseline = 50.0 + 100.0 * rng.unit();
            let step = if increase { 0.1 } else { -0.1 };
            key_results.push(KrFact {
                iso3: m.iso3.as_str().into(),
                code: format!("KR{k}").into(),
                pillar: (k % 4) as i64 + 1,
                focus_area: FOCUS[(rng.next_u64() % 12) as usize].into(),
                title: format!("Key result {k}").into(),
                unit: "units".into(),
                increase,
                baseline: (rng.unit() < 0.9).then_some(baseline),
                weight: if rng.unit() < 0.2 { 2.0 } else { 1.0 },
                targets: (2026..=2028)
                    .map(|y| (y, baseline * (1.0 + step * (y - 2025) as f64)))
                    .collect::<BTreeMap<_, _>>(),
                source: None,
                source_stamp: None,
            });
        }
    }
    let mut actuals = Vec::new();
    let mut pair = 0;
    for (i, k) in key_results.iter().enumerate() {
        for year in 2026..=2028 {
            for r in 0..reports(pair) {
                let target = k.targets[&year];
                actuals.push(ActualFact {
                    iso3: k.iso3.to_string(),
                    code: k.code.to_string(),
                    year,
                    value: target * (0.5 + 0.7 * rng.unit()),
                    reported_at: format!(
                        "{year}-{:02}-{:02}T{:02}:00:00.000000Z",
                        1 + (r * 3 + (rng.next_u64() % 3) as usize) % 12,
                        1 + rng.next_u64() % 28,
                        rng.next_u64() % 24
                    )
                    .into(),
                    rev: 0,
                    kr: i as u32,
                    derived: false,
                });
            }
            pair += 1;
        }
    }
    actuals.sort_by(|a, b| a.reported_at.cmp(&b.reported_at));
    for (i, a) in actuals.iter_mut().enumerate() {
        a.rev = i as i64 + 1;
    }
    let rev = actuals.len() as i64;
    let mut facts = Facts {
        rev,
        members,
        key_results,
        actuals,
        ..Facts::default()
    };
    facts.link();
    facts
}
