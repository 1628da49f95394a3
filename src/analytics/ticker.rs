//! The ticker: one line per edit, as the room reads it ("Viet Nam · SMEs trained: 395
//! companies in 2026, 79 % of target"), made once on the server from the typed edit and the
//! facts it refers to (member names, key-result titles, units and targets).
//!
//! The lines are part of the document's latest changes, so a wall reloaded later shows the
//! same words. A full recomputation makes them again from the facts of its time, the
//! incremental path makes each once as its change arrives; both read the same facts (a change
//! to a key result's title or target is a primer edit, which recomputes in full), so the two
//! agree.

use super::document::Recent;
use super::formulas::{Status, progress};
use crate::domain::PrimerStatus;
use crate::records::{Action, Edit, Facts, Logged};

/// The ticker line of one edit.
pub fn line(l: &Logged, facts: &Facts) -> Recent {
    let iso3 = l.edit.iso3();
    let member = iso3.and_then(|m| facts.member_name(m));
    let who = member.or(iso3).unwrap_or("APO");
    let mut status = None;
    let summary = match &l.edit {
        Edit::Report(a) => match facts.key_result_of(a) {
            Some(k) => {
                let p = progress(
                    k.increase,
                    k.baseline,
                    k.targets.get(&a.year).copied(),
                    Some(a.value),
                );
                status = Some(Status::of(p));
                let share = p.map_or(String::new(), |p| format!(", {}", how_far(p)));
                format!(
                    "{who} · {}: {} in {}{share}",
                    k.title,
                    with_unit(a.value, &k.unit),
                    a.year
                )
            }
            None => format!("{who} · {} {}: {}", a.code, a.year, number(a.value)),
        },
        Edit::Primer(p) => {
            let n = p.primer.key_results.len();
            let krs = format!("{n} key result{}", if n == 1 { "" } else { "s" });
            match (p.action, p.primer.status) {
                (Action::Create, PrimerStatus::Draft) => format!("{who} drafted its primer: {krs}"),
                (Action::Create, s) => {
                    format!("{who}'s primer recorded as {}: {krs}", s.as_str())
                }
                (Action::Submit, _) => format!("{who} submitted its primer: {krs}"),
                (Action::Endorse, _) => format!("{who}'s primer was endorsed"),
                (Action::Return, _) => {
                    format!("{who}'s primer was returned to its delegation for changes")
                }
                (Action::Amend, _) => {
                    format!("{who}'s endorsed primer was reopened for an amendment")
                }
                _ => match p.added.as_slice() {
                    [] => format!("{who} updated its primer: {krs}"),
                    [code] => {
                        let title = p
                            .primer
                            .key_results
                            .iter()
                            .find(|k| k.code.as_str() == &**code)
                            .map_or("", |k| k.title.as_str());
                        format!("{who} added key result {code}: {title}")
                    }
                    codes => format!(
                        "{who} added {} key results: {}",
                        codes.len(),
                        codes.join(", ")
                    ),
                },
            }
        }
        Edit::Withdraw(w) => {
            let a = &w.report;
            match facts.key_result_of(a) {
                Some(k) => format!(
                    "{who} · {}: the report of {} in {} was withdrawn ({})",
                    k.title,
                    with_unit(a.value, &k.unit),
                    a.year,
                    w.reason
                ),
                None => format!(
                    "{who} · {} {}: the report of {} was withdrawn ({})",
                    a.code,
                    a.year,
                    number(a.value),
                    w.reason
                ),
            }
        }
        Edit::Budget(b) => format!(
            "Budget of pillar {} for {} ({}): {} spent of {} planned",
            b.pillar.get(),
            b.year.get(),
            if b.iso3.is_some() { who } else { "APO-wide" },
            number(b.spent.get()),
            number(b.planned.get())
        ),
        Edit::Project { created, project } => format!(
            "Project {} {}: {}",
            project.code.as_str(),
            if *created { "announced" } else { "updated" },
            project.title
        ),
        Edit::Series(s) => format!(
            "{who} · {} series: {} value{}",
            s.series,
            s.values.len(),
            if s.values.len() == 1 { "" } else { "s" }
        ),
        // Not on the ticker (Edit::on_ticker); said plainly should it ever be.
        Edit::SeriesInfo(i) => format!("Series {} catalogued as {:?}", i.series, i.label),
        Edit::Bcn {
            action,
            application: a,
        } => {
            let host = facts
                .member_name(a.host.as_str())
                .unwrap_or(a.host.as_str());
            let exchange = format!(
                "BCN exchange {who} → {host} ({}, {} {} participant{})",
                a.topic,
                a.participants,
                a.modality.as_str().replace('_', "-"),
                if a.participants == 1 { "" } else { "s" }
            );
            match action {
                Action::Approve => format!("{exchange} approved"),
                Action::Decline => format!(
                    "{exchange} declined: {}",
                    a.reason.as_deref().unwrap_or_default()
                ),
                _ => match a.closing_date {
                    Some(d) => format!("{exchange} applied for, under the closing date {d}"),
                    None => format!("{exchange} applied for"),
                },
            }
        }
        Edit::Coe { action, coe } => match (action, coe.assessments.last()) {
            (Action::Assess, Some(a)) => format!(
                "{who} · COE {} assessed: {}",
                coe.area,
                match a.decision {
                    crate::model::Decision::Hold => "phase held",
                    crate::model::Decision::Advance => "advanced to its next phase",
                }
            ),
            (Action::Create, _) => format!(
                "{who} · {} registered as a Center of Excellence in {}",
                coe.institution, coe.area
            ),
            _ => format!("{who} · COE {} updated", coe.area),
        },
        Edit::CoeProposal(p) => match &p.coe {
            Some(id) => format!("{who} · COE {} proposed {:?}", id.as_str(), p.title),
            None => format!("{who} applied for a new Center of Excellence: {}", p.title),
        },
        Edit::Accreditation {
            action,
            accreditation: a,
        } => {
            use crate::model::AccreditationStatus as S;
            let what = match a.status {
                S::Applied => "applied for accreditation".to_owned(),
                S::UnderAssessment => "under assessment for accreditation".to_owned(),
                S::Accredited => match &a.occasion {
                    Some(o) => format!("accredited ({o})"),
                    None => "accredited".to_owned(),
                },
                S::RenewalDue => "due for renewal of its accreditation".to_owned(),
                S::Expired => "accreditation expired".to_owned(),
                S::Withdrawn => "accreditation withdrawn".to_owned(),
            };
            match action {
                Action::Create | Action::Update => format!("{who} · {}: {what}", a.body),
                _ => format!("{who} · {} accreditation updated", a.body),
            }
        }
        Edit::GpTheme { action, theme } => match action {
            Action::Create => format!("GP 2.0 theme added: {}", theme.label),
            _ => format!("GP 2.0 theme renamed: {}", theme.label),
        },
        Edit::GpInitiative { action, initiative } => format!(
            "{who} · GP 2.0 initiative {}: {}",
            match action {
                Action::Create => "recorded",
                Action::Delete => "removed",
                _ => "updated",
            },
            initiative.title
        ),
        Edit::Training { action, training } => {
            let n = training.participants.total();
            format!(
                "{who} · training {}: {} ({n} participant{})",
                match action {
                    Action::Create => "recorded",
                    Action::Delete => "removed",
                    _ => "updated",
                },
                training.title,
                if n == 1 { "" } else { "s" }
            )
        }
    };
    Recent {
        rev: l.rev,
        at: l.at.to_string(),
        actor: l.actor.to_string(),
        action: l.edit.action(),
        entity: l.edit.entity(),
        key: l.edit.key(),
        iso3: iso3.map(str::to_owned),
        member: member.map(str::to_owned),
        summary,
        status,
    }
}

/// How far a report takes its key result, in the room's words: progress `p` (METRICS.md §1,
/// raw: above 1 when the target is passed, below 0 when the value moved away from it).
fn how_far(p: f64) -> String {
    if p >= 1.0 {
        "target reached".into()
    } else if p < 0.0 {
        "short of its baseline".into()
    } else {
        // (A hair above the product, so that 0.29 reads 29 and not 28.999….)
        format!("{} % of target", number((p * 100.0 + 1e-9).floor()))
    }
}

/// A value with its unit: "395 companies", "4.2 %".
fn with_unit(v: f64, unit: &str) -> String {
    match unit.trim() {
        "" => number(v),
        u => format!("{} {u}", number(v)),
    }
}

/// A number as a person reads it on a wall: at most two decimals, no trailing zeros,
/// thousands grouped ("1,250,000", "12.5", "0.25").
pub fn number(v: f64) -> String {
    let rounded = (v * 100.0).round() / 100.0;
    let text = format!("{:.2}", rounded.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if rounded < 0.0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_on_a_wall() {
        for (v, text) in [
            (395.0, "395"),
            (12.5, "12.5"),
            (0.254, "0.25"),
            (1_250_000.0, "1,250,000"),
            (1000.0, "1,000"),
            (999.999, "1,000"),
            (-4.2, "-4.2"),
            (-0.001, "0"),
            (0.0, "0"),
        ] {
            assert_eq!(number(v), text, "{v}");
        }
        assert_eq!(with_unit(4.2, "%"), "4.2 %");
        // Progress as the room reads it: floored, so that 99.6 % is not shown as reached.
        assert_eq!(how_far(0.7375), "73 % of target");
        assert_eq!(how_far(0.996), "99 % of target");
        assert_eq!(how_far(1.0), "target reached");
        assert_eq!(how_far(20.35), "target reached");
        assert_eq!(how_far(-3.54), "short of its baseline");
        assert_eq!(how_far(0.0), "0 % of target");
        assert_eq!(how_far(0.29), "29 % of target");
        assert_eq!(with_unit(3.0, ""), "3");
    }
}
