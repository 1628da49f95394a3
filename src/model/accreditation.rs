//! Accreditations (contract §1): the bodies of members accredited by the APO (or another
//! scheme), each followed from application through assessment to accreditation, renewal,
//! expiry or withdrawal.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::platform::{RecordId, closed_list, null_as_empty, optional_text, required_text};
use super::{MAX_COMMENT, MAX_LABEL, is_member};
use crate::domain::{Finite, Iso3};

/// How long before `valid_until` an accreditation is said to be due for renewal.
pub const RENEWAL_WINDOW_DAYS: i64 = 183;
/// The longest name of an assessment criterion.
pub const MAX_CRITERION: usize = 60;

closed_list! {
    /// What kind of body is accredited.
    BodyKind {
        /// A national productivity organization.
        Npo = "npo", "NPO";
        Other = "other", "Other body";
    }
}

closed_list! {
    /// Where an accreditation stands.
    AccreditationStatus {
        Applied = "applied", "Applied";
        UnderAssessment = "under_assessment", "Under assessment";
        Accredited = "accredited", "Accredited";
        RenewalDue = "renewal_due", "Renewal due";
        Expired = "expired", "Expired";
        Withdrawn = "withdrawn", "Withdrawn";
    }
}

impl AccreditationStatus {
    /// The statuses a stored accreditation in this one may move to (besides itself: an edit).
    pub fn next(self) -> &'static [AccreditationStatus] {
        use AccreditationStatus::*;
        match self {
            Applied => &[UnderAssessment, Withdrawn],
            UnderAssessment => &[Accredited, Applied, Withdrawn],
            Accredited => &[RenewalDue, Expired, Withdrawn],
            RenewalDue => &[UnderAssessment, Accredited, Expired, Withdrawn],
            Expired => &[Applied],
            Withdrawn => &[],
        }
    }

    /// Whether a certificate, its dates and occasion are required (it was conferred).
    pub fn conferred(self) -> bool {
        matches!(self, Self::Accredited | Self::RenewalDue | Self::Expired)
    }

    /// Whether an assessment date is required (from `under_assessment` on, except `withdrawn`).
    pub fn assessed(self) -> bool {
        !matches!(self, Self::Applied | Self::Withdrawn)
    }

    /// How advanced it is, for a member's "most advanced status": accredited > renewal_due >
    /// under_assessment > applied > expired > withdrawn.
    pub fn rank(self) -> u8 {
        match self {
            Self::Accredited => 5,
            Self::RenewalDue => 4,
            Self::UnderAssessment => 3,
            Self::Applied => 2,
            Self::Expired => 1,
            Self::Withdrawn => 0,
        }
    }

    /// Whether the member of a body in this status counts as accredited.
    pub fn counts_as_accredited(self) -> bool {
        matches!(self, Self::Accredited | Self::RenewalDue)
    }
}

/// The body of `PUT /accreditations/{id}`, and an accreditation as stored and logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccreditationInput {
    pub id: RecordId,
    pub iso3: Iso3,
    /// The body accredited ("Vietnam National Productivity Institute").
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub body: String,
    pub body_kind: BodyKind,
    /// The scheme it is accredited under ("APO accreditation of NPOs").
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub scheme: String,
    pub status: AccreditationStatus,
    /// Not after today.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub applied_on: Option<Date>,
    /// Not after today; required from `under_assessment` on (except `withdrawn`).
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub assessment_date: Option<Date>,
    /// Criterion (1–60 characters) → score in [0, 100]; may be empty.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, f64>)]
    pub criteria_scores: BTreeMap<String, Finite>,
    /// Required when accredited, renewal_due or expired (as are the next three).
    #[serde(default)]
    pub certificate: Option<String>,
    /// Not after today.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub conferred_on: Option<Date>,
    /// Where it was conferred ("66th WSM, Seoul").
    #[serde(default)]
    pub occasion: Option<String>,
    /// After `conferred_on`.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
    /// Free text; null is taken as empty.
    #[serde(default, deserialize_with = "null_as_empty")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: String,
}

impl AccreditationInput {
    /// The rules of one record on `today` (the transition from the stored one is
    /// [`AccreditationInput::transition_problem`]'s): trims text in place, returns every
    /// problem with its field.
    pub fn validate(&mut self, today: Date) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        required_text("body", &mut self.body, MAX_LABEL, &mut problems);
        required_text("scheme", &mut self.scheme, MAX_LABEL, &mut problems);
        optional_text(
            "certificate",
            &mut self.certificate,
            MAX_LABEL,
            &mut problems,
        );
        optional_text("occasion", &mut self.occasion, MAX_LABEL, &mut problems);
        self.note = self.note.trim().to_owned();
        if self.note.chars().count() > MAX_COMMENT {
            problems.push((
                "note".into(),
                format!("is longer than {MAX_COMMENT} characters"),
            ));
        } else if let Some(p) = crate::domain::control_problem(&self.note) {
            problems.push(("note".into(), p));
        }
        let mut bad = |f: &str, m: String| problems.push((f.to_owned(), m));
        if !is_member(self.iso3.as_str()) {
            bad("iso3", format!("unknown member {}", self.iso3));
        }
        let trimmed: BTreeMap<String, Finite> = std::mem::take(&mut self.criteria_scores)
            .into_iter()
            .map(|(k, v)| (k.trim().to_owned(), v))
            .collect();
        for (criterion, score) in &trimmed {
            let field = format!("criteria_scores.{criterion}");
            let n = criterion.chars().count();
            if n == 0 || n > MAX_CRITERION {
                bad(
                    &field,
                    format!("a criterion is named in 1 to {MAX_CRITERION} characters"),
                );
            } else if let Some(p) = crate::domain::control_problem(criterion) {
                bad(&field, p);
            }
            if !(0.0..=100.0).contains(&score.get()) {
                bad(&field, format!("score {} is outside [0, 100]", score.get()));
            }
        }
        self.criteria_scores = trimmed;
        for (field, d) in [
            ("applied_on", self.applied_on),
            ("assessment_date", self.assessment_date),
            ("conferred_on", self.conferred_on),
        ] {
            if let Some(d) = d {
                if d > today {
                    bad(field, format!("{d} is in the future (today is {today})"));
                } else if let Some(p) = crate::domain::date_problem(d) {
                    bad(field, p);
                }
            }
        }
        if let Some(d) = self.valid_until
            && let Some(p) = crate::domain::date_problem(d)
        {
            bad("valid_until", p);
        }
        let status = self.status.as_str();
        if self.status.conferred() {
            for (field, missing) in [
                ("certificate", self.certificate.is_none()),
                ("conferred_on", self.conferred_on.is_none()),
                ("occasion", self.occasion.is_none()),
                ("valid_until", self.valid_until.is_none()),
            ] {
                if missing {
                    bad(
                        field,
                        format!("is required when the status is {status} (it was conferred)"),
                    );
                }
            }
        }
        if self.status.assessed() && self.assessment_date.is_none() {
            bad(
                "assessment_date",
                format!("is required when the status is {status}"),
            );
        }
        if let (Some(from), Some(until)) = (self.conferred_on, self.valid_until)
            && until <= from
        {
            bad(
                "valid_until",
                format!("{until} is not after conferred_on ({from})"),
            );
        }
        problems
    }

    /// Why the stored record `old` may not become this one (a 409 `invalid_transition`), with
    /// the field at fault: a status it may not move to, or a renewal without a later
    /// `valid_until`. None for a new record or an allowed move.
    pub fn transition_problem(&self, old: Option<&AccreditationInput>) -> Option<(String, String)> {
        let old = old?;
        let (from, to) = (old.status, self.status);
        if from == to {
            return None;
        }
        if !from.next().contains(&to) {
            let allowed: Vec<&str> = from.next().iter().map(|s| s.as_str()).collect();
            return Some((
                "status".into(),
                format!(
                    "{} cannot move from {} to {}{}",
                    self.id,
                    from.as_str(),
                    to.as_str(),
                    if allowed.is_empty() {
                        format!(" ({} is final)", from.as_str())
                    } else {
                        format!(" (from {} only to {})", from.as_str(), allowed.join(", "))
                    }
                ),
            ));
        }
        if from == AccreditationStatus::RenewalDue
            && to == AccreditationStatus::Accredited
            && let (Some(new), Some(was)) = (self.valid_until, old.valid_until)
            && new <= was
        {
            return Some((
                "valid_until".into(),
                format!(
                    "from renewal_due to accredited is a renewal: valid_until must be later \
                     than {was} (it is {new})"
                ),
            ));
        }
        None
    }

    /// The record as `GET /accreditations` shows it on `today`.
    pub fn view(&self, today: Date) -> Accreditation {
        let days_left = self.valid_until.map(|u| (u - today).whole_days());
        let renewal_due_soon = self.status == AccreditationStatus::RenewalDue
            || (self.status == AccreditationStatus::Accredited
                && days_left.is_some_and(|d| d <= RENEWAL_WINDOW_DAYS));
        Accreditation {
            id: self.id.clone(),
            iso3: self.iso3.clone(),
            body: self.body.clone(),
            body_kind: self.body_kind,
            scheme: self.scheme.clone(),
            status: self.status,
            applied_on: self.applied_on,
            assessment_date: self.assessment_date,
            criteria_scores: self
                .criteria_scores
                .iter()
                .map(|(k, v)| (k.clone(), v.get()))
                .collect(),
            certificate: self.certificate.clone(),
            conferred_on: self.conferred_on,
            occasion: self.occasion.clone(),
            valid_until: self.valid_until,
            note: self.note.clone(),
            days_left,
            renewal_due_soon,
        }
    }
}

/// An accreditation as `GET /accreditations` shows it: the record, the days left until
/// `valid_until` (none without one; negative once passed) and whether its renewal is due soon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Accreditation {
    pub id: RecordId,
    pub iso3: Iso3,
    pub body: String,
    pub body_kind: BodyKind,
    pub scheme: String,
    pub status: AccreditationStatus,
    #[schema(value_type = Option<String>, format = Date)]
    pub applied_on: Option<Date>,
    #[schema(value_type = Option<String>, format = Date)]
    pub assessment_date: Option<Date>,
    pub criteria_scores: BTreeMap<String, f64>,
    pub certificate: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub conferred_on: Option<Date>,
    pub occasion: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<Date>,
    pub note: String,
    /// `valid_until` − today, in days; none without a `valid_until`.
    pub days_left: Option<i64>,
    /// Accredited with `valid_until` within 183 days of today (or passed), or renewal_due.
    pub renewal_due_soon: bool,
}

/// `GET /accreditations/summary`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AccreditationSummary {
    /// How many members there are.
    pub members: i64,
    /// Members with a body accredited or due for renewal.
    pub accredited_members: i64,
    /// Every status, with how many records are in it (0 included).
    pub by_status: BTreeMap<String, i64>,
    /// Each member's most advanced status (accredited > renewal_due > under_assessment >
    /// applied > expired > withdrawn); members without a record are left out.
    pub by_member: BTreeMap<String, AccreditationStatus>,
    /// The ids whose renewal is due soon (`renewal_due_soon`), by id.
    pub renewals_due: Vec<RecordId>,
}

/// The summary of `records` on `today`, among `members` members.
pub fn accreditation_summary(
    records: &[AccreditationInput],
    today: Date,
    members: usize,
) -> AccreditationSummary {
    let mut by_status: BTreeMap<String, i64> = AccreditationStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    let mut by_member: BTreeMap<String, AccreditationStatus> = BTreeMap::new();
    let mut renewals_due = Vec::new();
    for r in records {
        *by_status.entry(r.status.as_str().to_owned()).or_default() += 1;
        by_member
            .entry(r.iso3.as_str().to_owned())
            .and_modify(|s| {
                if r.status.rank() > s.rank() {
                    *s = r.status;
                }
            })
            .or_insert(r.status);
        if r.view(today).renewal_due_soon {
            renewals_due.push(r.id.clone());
        }
    }
    renewals_due.sort();
    AccreditationSummary {
        members: members as i64,
        accredited_members: by_member
            .values()
            .filter(|s| s.counts_as_accredited())
            .count() as i64,
        by_status,
        by_member,
        renewals_due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 07);

    fn accredited() -> AccreditationInput {
        serde_json::from_value(serde_json::json!({
            "id": "vnm-vnpi", "iso3": "VNM", "body": " Vietnam National Productivity Institute ",
            "body_kind": "npo", "scheme": "APO accreditation of NPOs", "status": "accredited",
            "applied_on": "2024-11-15", "assessment_date": "2025-06-20",
            "criteria_scores": {"governance": 82, "services": 77},
            "certificate": "APO-ACC-2025-003", "conferred_on": "2025-10-28",
            "occasion": "66th WSM, Seoul", "valid_until": "2028-10-27", "note": null}))
        .unwrap()
    }

    fn fields(p: &[(String, String)]) -> Vec<&str> {
        p.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn the_contract_example_is_valid_and_trimmed() {
        let mut a = accredited();
        assert_eq!(a.validate(TODAY), vec![]);
        assert_eq!(a.body, "Vietnam National Productivity Institute");
        let v = a.view(TODAY);
        assert_eq!(v.days_left, Some(690));
        assert!(!v.renewal_due_soon);
        assert!(
            a.view(date!(2028 - 05 - 01)).renewal_due_soon,
            "within 183 days"
        );
    }

    #[test]
    fn conferred_fields_are_required_by_status() {
        let mut a = accredited();
        a.certificate = None;
        a.valid_until = None;
        a.conferred_on = None;
        a.occasion = Some("  ".into());
        assert_eq!(
            fields(&a.validate(TODAY)),
            ["certificate", "conferred_on", "occasion", "valid_until"]
        );
        let mut applied = accredited();
        applied.status = AccreditationStatus::Applied;
        (
            applied.certificate,
            applied.conferred_on,
            applied.valid_until,
        ) = (None, None, None);
        applied.assessment_date = None;
        assert_eq!(applied.validate(TODAY), vec![]);
        applied.status = AccreditationStatus::UnderAssessment;
        assert_eq!(fields(&applied.validate(TODAY)), ["assessment_date"]);
    }

    #[test]
    fn dates_scores_and_members_are_checked() {
        let mut a = accredited();
        a.valid_until = Some(date!(2025 - 10 - 28));
        a.applied_on = Some(date!(2026 - 12 - 08));
        a.criteria_scores
            .insert("reach".into(), Finite::new(100.5).unwrap());
        a.criteria_scores
            .insert("x".repeat(61), Finite::new(5.0).unwrap());
        a.iso3 = Iso3::parse("USA").unwrap();
        let p = a.validate(TODAY);
        let f = fields(&p);
        assert!(f.contains(&"valid_until"), "{p:?}");
        assert!(f.contains(&"applied_on"), "{p:?}");
        assert!(f.contains(&"criteria_scores.reach"), "{p:?}");
        assert!(f.contains(&"iso3"), "{p:?}");
        assert_eq!(p.len(), 5, "{p:?}");
    }

    #[test]
    fn transitions_follow_the_workflow() {
        use AccreditationStatus::*;
        let with = |s| {
            let mut a = accredited();
            a.status = s;
            a
        };
        let allowed = [
            (Applied, UnderAssessment),
            (Applied, Withdrawn),
            (UnderAssessment, Accredited),
            (UnderAssessment, Applied),
            (UnderAssessment, Withdrawn),
            (Accredited, RenewalDue),
            (Accredited, Expired),
            (Accredited, Withdrawn),
            (RenewalDue, UnderAssessment),
            (RenewalDue, Expired),
            (RenewalDue, Withdrawn),
            (Expired, Applied),
        ];
        for &from in AccreditationStatus::ALL {
            for &to in AccreditationStatus::ALL {
                let p = with(to).transition_problem(Some(&with(from)));
                let ok = from == to || allowed.contains(&(from, to));
                if (from, to) == (RenewalDue, Accredited) {
                    // A renewal needs a later valid_until.
                    assert_eq!(p.unwrap().0, "valid_until");
                    let mut renewed = with(Accredited);
                    renewed.valid_until = Some(date!(2031 - 10 - 27));
                    assert_eq!(renewed.transition_problem(Some(&with(from))), None);
                } else {
                    assert_eq!(p.is_none(), ok, "{from} → {to}: {p:?}");
                }
                if let Some((field, m)) = with(to).transition_problem(Some(&with(from)))
                    && field == "status"
                {
                    assert!(m.contains(&format!("from {from} to {to}")), "{m}");
                }
            }
            assert_eq!(with(from).transition_problem(None), None);
        }
    }

    #[test]
    fn the_summary_takes_each_members_most_advanced_status() {
        let mut b = accredited();
        b.id = RecordId::parse("vnm-other").unwrap();
        b.status = AccreditationStatus::Withdrawn;
        let mut c = accredited();
        c.id = RecordId::parse("jpn-jpc").unwrap();
        c.iso3 = Iso3::parse("JPN").unwrap();
        c.status = AccreditationStatus::RenewalDue;
        let mut d = accredited();
        d.id = RecordId::parse("ind-npc").unwrap();
        d.iso3 = Iso3::parse("IND").unwrap();
        d.status = AccreditationStatus::Applied;
        let s = accreditation_summary(&[b, accredited(), c, d], TODAY, 21);
        assert_eq!(s.members, 21);
        assert_eq!(s.accredited_members, 2);
        assert_eq!(s.by_status["withdrawn"], 1);
        assert_eq!(s.by_status["expired"], 0);
        assert_eq!(s.by_status.len(), 6);
        assert_eq!(s.by_member["VNM"], AccreditationStatus::Accredited);
        assert_eq!(s.by_member["IND"], AccreditationStatus::Applied);
        assert_eq!(s.renewals_due, [RecordId::parse("jpn-jpc").unwrap()]);
    }
}
