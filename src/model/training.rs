//! Trainings (contract §3): the courses members deliver, counted by participant group
//! (government, enterprises, universities and training institutions: the tripartite coalition)
//! and by sex. No personal data: counts only, and unknown fields are refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;

use super::platform::{RecordId, Sector, closed_list, required_text, whole};
use super::{MAX_LABEL, is_member};
use crate::domain::{Finite, Iso3};

/// The longest course, in hours.
pub const MAX_HOURS: f64 = 2000.0;
/// The largest count of one group (far above any real course).
pub const MAX_COUNT: i64 = 1_000_000;

closed_list! {
    /// How a course is delivered.
    TrainingMode {
        InPerson = "in_person", "In person";
        Online = "online", "Online";
        Blended = "blended", "Blended";
    }
}

/// Participants by group (the tripartite coalition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Participants {
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub government: i64,
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub enterprises: i64,
    /// Universities and training institutions.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub universities: i64,
}

impl Participants {
    pub fn total(&self) -> i64 {
        self.government + self.enterprises + self.universities
    }
}

/// Participants by sex; sums to the participants' total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BySex {
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub female: i64,
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub male: i64,
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub unspecified: i64,
}

impl BySex {
    pub fn total(&self) -> i64 {
        self.female + self.male + self.unspecified
    }
}

/// The body of `PUT /trainings/{id}`, a training as stored and logged, and as
/// `GET /trainings` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingInput {
    pub id: RecordId,
    pub iso3: Iso3,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub title: String,
    /// Who delivered it ("VNPI").
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub provider: String,
    pub sector: Sector,
    #[schema(pattern = r"^\s*\S(?:[\s\S]{0,198}\S)?\s*$")]
    pub topic: String,
    #[schema(value_type = String, format = Date)]
    pub start_date: Date,
    /// Not before `start_date`, not after today (courses delivered). Its year is the
    /// training's year.
    #[schema(value_type = String, format = Date)]
    pub end_date: Date,
    pub mode: TrainingMode,
    /// More than 0, at most 2000.
    #[schema(value_type = f64, exclusive_minimum = 0, maximum = 2000)]
    pub hours: Finite,
    pub participants: Participants,
    pub by_sex: BySex,
    /// Small and medium enterprises among the enterprises' participants (at most as many).
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub smes: i64,
    /// At most the participants' total.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0, maximum = 1000000)]
    pub certified_specialists: i64,
}

impl TrainingInput {
    /// The year the training counts in: its end date's.
    pub fn year(&self) -> i64 {
        i64::from(self.end_date.year())
    }

    /// Participant-hours: hours × participants.
    pub fn participant_hours(&self) -> f64 {
        self.hours.get() * self.participants.total() as f64
    }

    /// The rules of one training on `today`: trims text in place, returns every problem with
    /// its field.
    pub fn validate(&mut self, today: Date) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        required_text("title", &mut self.title, MAX_LABEL, &mut problems);
        required_text("provider", &mut self.provider, MAX_LABEL, &mut problems);
        required_text("topic", &mut self.topic, MAX_LABEL, &mut problems);
        let mut bad = |f: &str, m: String| problems.push((f.to_owned(), m));
        if !is_member(self.iso3.as_str()) {
            bad("iso3", format!("unknown member {}", self.iso3));
        }
        for (field, d) in [("start_date", self.start_date), ("end_date", self.end_date)] {
            if let Some(p) = crate::domain::date_problem(d) {
                bad(field, p);
            }
        }
        if self.end_date < self.start_date {
            bad(
                "end_date",
                format!(
                    "{} is before start_date ({})",
                    self.end_date, self.start_date
                ),
            );
        } else if self.end_date > today {
            bad(
                "end_date",
                format!(
                    "{} is in the future: a training is recorded once delivered (today is {today})",
                    self.end_date
                ),
            );
        }
        let h = self.hours.get();
        if !(h > 0.0 && h <= MAX_HOURS) {
            bad("hours", format!("{h} is outside (0, {MAX_HOURS}]"));
        }
        let p = self.participants;
        let s = self.by_sex;
        let mut counts_ok = true;
        for (field, n) in [
            ("participants.government", p.government),
            ("participants.enterprises", p.enterprises),
            ("participants.universities", p.universities),
            ("by_sex.female", s.female),
            ("by_sex.male", s.male),
            ("by_sex.unspecified", s.unspecified),
            ("smes", self.smes),
            ("certified_specialists", self.certified_specialists),
        ] {
            if !(0..=MAX_COUNT).contains(&n) {
                counts_ok = false;
                bad(field, format!("{n} is outside 0–{MAX_COUNT}"));
            }
        }
        if counts_ok {
            let total = p.total();
            if s.total() != total {
                bad(
                    "by_sex",
                    format!(
                        "sums to {} ({} female, {} male, {} unspecified) but there are {total} \
                         participants",
                        s.total(),
                        s.female,
                        s.male,
                        s.unspecified
                    ),
                );
            }
            if self.smes > p.enterprises {
                bad(
                    "smes",
                    format!(
                        "{} SMEs among {} enterprise participants: at most as many",
                        self.smes, p.enterprises
                    ),
                );
            }
            if self.certified_specialists > total {
                bad(
                    "certified_specialists",
                    format!(
                        "{} certified among {total} participants: at most as many",
                        self.certified_specialists
                    ),
                );
            }
        }
        problems
    }
}

/// Participants by group, summed over trainings (no upper bound, unlike one training's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct GroupTotals {
    pub government: i64,
    pub enterprises: i64,
    pub universities: i64,
}

/// Participants by sex, summed over trainings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct SexTotals {
    pub female: i64,
    pub male: i64,
    pub unspecified: i64,
}

/// `GET /trainings/summary`. `by_sector`, `by_year` and `by_member` count participants.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
pub struct TrainingSummary {
    pub courses: i64,
    pub participants: i64,
    /// Participant-hours: Σ hours × participants.
    pub hours: f64,
    /// Sector → participants (sectors with a course).
    pub by_sector: BTreeMap<String, i64>,
    pub by_group: GroupTotals,
    pub by_sex: SexTotals,
    pub smes: i64,
    pub certified_specialists: i64,
    /// Year (of the end date) → participants.
    pub by_year: BTreeMap<String, i64>,
    /// Member → participants.
    pub by_member: BTreeMap<String, i64>,
}

/// The summary of `trainings`.
pub fn training_summary<'a>(
    trainings: impl IntoIterator<Item = &'a TrainingInput>,
) -> TrainingSummary {
    let mut s = TrainingSummary::default();
    for t in trainings {
        let n = t.participants.total();
        s.courses += 1;
        s.participants += n;
        s.hours += t.participant_hours();
        *s.by_sector.entry(t.sector.as_str().to_owned()).or_default() += n;
        s.by_group.government += t.participants.government;
        s.by_group.enterprises += t.participants.enterprises;
        s.by_group.universities += t.participants.universities;
        s.by_sex.female += t.by_sex.female;
        s.by_sex.male += t.by_sex.male;
        s.by_sex.unspecified += t.by_sex.unspecified;
        s.smes += t.smes;
        s.certified_specialists += t.certified_specialists;
        *s.by_year.entry(t.year().to_string()).or_default() += n;
        *s.by_member.entry(t.iso3.as_str().to_owned()).or_default() += n;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 12 - 07);

    fn example() -> TrainingInput {
        serde_json::from_value(serde_json::json!({
            "id": "vnm-tr-2026-014", "iso3": "VNM", "title": "Lean for food processors",
            "provider": "VNPI", "sector": "food_processing", "topic": "Lean production",
            "start_date": "2026-03-02", "end_date": "2026-03-06", "mode": "in_person",
            "hours": 40, "participants": {"government": 4, "enterprises": 21, "universities": 5},
            "by_sex": {"female": 14, "male": 16, "unspecified": 0}, "smes": 17,
            "certified_specialists": 3}))
        .unwrap()
    }

    fn fields(p: &[(String, String)]) -> Vec<&str> {
        p.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn the_contract_example_is_valid() {
        let mut t = example();
        assert_eq!(t.validate(TODAY), vec![]);
        assert_eq!(t.year(), 2026);
        assert_eq!(t.participant_hours(), 1200.0);
    }

    #[test]
    fn counts_must_add_up() {
        let mut t = example();
        t.by_sex.male = 15;
        t.smes = 22;
        t.certified_specialists = 31;
        assert_eq!(
            fields(&t.validate(TODAY)),
            ["by_sex", "smes", "certified_specialists"]
        );
        let mut t = example();
        t.participants.government = -1;
        assert_eq!(fields(&t.validate(TODAY)), ["participants.government"]);
    }

    #[test]
    fn dates_hours_and_unknown_fields() {
        let mut t = example();
        t.end_date = date!(2026 - 03 - 01);
        t.hours = Finite::new(0.0).unwrap();
        assert_eq!(fields(&t.validate(TODAY)), ["end_date", "hours"]);
        let mut t = example();
        t.end_date = date!(2026 - 12 - 08);
        t.hours = Finite::new(2000.5).unwrap();
        assert_eq!(fields(&t.validate(TODAY)), ["end_date", "hours"]);
        let mut v = serde_json::to_value(example()).unwrap();
        v["trainees"] = serde_json::json!(["Nguyen Van A"]);
        assert!(serde_json::from_value::<TrainingInput>(v).is_err());
        let mut v = serde_json::to_value(example()).unwrap();
        v["participants"]["students"] = 3.into();
        assert!(serde_json::from_value::<TrainingInput>(v).is_err());
        let mut v = serde_json::to_value(example()).unwrap();
        v["smes"] = 2.5.into();
        assert!(serde_json::from_value::<TrainingInput>(v).is_err());
    }

    #[test]
    fn the_summary_sums() {
        let a = example();
        let mut b = example();
        b.iso3 = Iso3::parse("JPN").unwrap();
        b.sector = Sector::Agriculture;
        b.end_date = date!(2025 - 11 - 30);
        b.hours = Finite::new(10.0).unwrap();
        let s = training_summary([&a, &b]);
        assert_eq!((s.courses, s.participants, s.hours), (2, 60, 1500.0));
        assert_eq!(s.by_sector["agriculture"], 30);
        assert_eq!(s.by_group.enterprises, 42);
        assert_eq!(s.by_sex.female, 28);
        assert_eq!((s.smes, s.certified_specialists), (34, 6));
        assert_eq!(s.by_year["2025"], 30);
        assert_eq!(s.by_member["VNM"], 30);
    }
}
