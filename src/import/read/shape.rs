//! The layout of a table as people make it, whatever the file: where the heading row is, which
//! columns count, and each cell as the text a person would have typed. The CSV and workbook
//! readers feed their rows through a [`Shape`], so both follow the same rules.

use std::borrow::Cow;

use csv::StringRecord;

use crate::error::Detail;

/// How a date column's cells are written once read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKind {
    /// A calendar date, `2026-01-30`.
    Date,
    /// A moment, in RFC 3339 UTC: `2026-01-30T09:15:00Z`.
    Timestamp,
}

/// The columns that hold dates. In them an Excel date cell, or a plain number (an Excel serial
/// day number, as a date column shows once its format is lost), becomes ISO text; text dates stay
/// as typed. Column names are the normalised ones (see [`normalise`]).
pub const DATE_COLUMNS: &[(&str, DateKind)] = &[
    ("endorsed_on", DateKind::Date),
    ("start_date", DateKind::Date),
    ("end_date", DateKind::Date),
    ("signed_on", DateKind::Date),
    // accreditations
    ("applied_on", DateKind::Date),
    ("assessment_date", DateKind::Date),
    ("conferred_on", DateKind::Date),
    ("valid_until", DateKind::Date),
    ("reported_at", DateKind::Timestamp),
];

/// A heading or a sheet name as the tables know it: trimmed, lower case, with each run of spaces,
/// hyphens and underscores inside made one `_` (`" KR code "` → `kr_code`, `"Key Results"` →
/// `key_results`).
pub fn normalise(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.trim().chars() {
        if c.is_whitespace() || c == '-' || c == '_' {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push('_');
                gap = false;
            }
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The letters Excel gives the column at `index` (0 → `A`, 26 → `AA`).
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// Where a table is, for the problems found in it.
#[derive(Clone, Copy)]
pub struct Place<'a> {
    pub file: &'a str,
    pub sheet: Option<&'a str>,
}

impl Place<'_> {
    pub fn problem(&self, row: Option<usize>, field: Option<&str>, message: String) -> Detail {
        let d = match field {
            Some(f) => Detail::field(f, message),
            None => Detail::message(message),
        }
        .in_file(self.file)
        .in_sheet(self.sheet);
        match row {
            Some(r) => d.at_row(r),
            None => d,
        }
    }
}

/// A cell as read: its text, or why it has none (an Excel error value).
pub type Cell<'a> = Result<Cow<'a, str>, String>;

/// The columns of a table, decided from its heading row: which are kept (those with a heading),
/// which hold dates, and which have no heading (dropped when empty, a problem when they hold
/// values).
pub struct Shape {
    /// The normalised headings of the kept columns.
    pub header: StringRecord,
    /// For each kept column, its index in the rows read.
    keep: Vec<usize>,
    /// For each kept column, whether it holds dates.
    dates: Vec<Option<DateKind>>,
    /// The first column's letter index: rows read from a sheet may start right of column A.
    first_column: usize,
    /// Columns inside the heading row's width that have no heading, with a note on why.
    unheaded: Vec<(usize, Option<String>)>,
    /// The width of the heading row: every column past it has no heading.
    width: usize,
    /// Columns without a heading already reported, so that each is named once.
    reported: Vec<usize>,
    /// See [`Shape::plain_width`].
    plain: Option<usize>,
}

impl Shape {
    /// The shape given by a heading row's cells (as text, trimmed); `note` says why a column's
    /// heading is empty when there is more to say than that (a merged heading cell).
    pub fn new(
        headings: &[Cow<'_, str>],
        first_column: usize,
        note: impl Fn(usize) -> Option<String>,
    ) -> Self {
        let width = headings
            .iter()
            .rposition(|h| !h.is_empty())
            .map_or(0, |i| i + 1);
        let mut shape = Shape {
            header: StringRecord::new(),
            keep: Vec::new(),
            dates: Vec::new(),
            first_column,
            unheaded: Vec::new(),
            width,
            reported: Vec::new(),
            plain: None,
        };
        for (i, h) in headings[..width].iter().enumerate() {
            if h.is_empty() {
                shape.unheaded.push((i, note(i)));
                continue;
            }
            let name = normalise(h);
            shape.dates.push(
                DATE_COLUMNS
                    .iter()
                    .find(|(c, _)| *c == name)
                    .map(|(_, kind)| *kind),
            );
            shape.header.push_field(&name);
            shape.keep.push(i);
        }
        let plain = shape.unheaded.is_empty() && shape.dates.iter().all(Option::is_none);
        shape.plain = plain.then_some(shape.keep.len());
        shape
    }

    /// The number of columns when every column read is kept as it is (all have a heading, none
    /// holds dates): a reader can then keep a row's cells without copying them one by one.
    pub fn plain_width(&self) -> Option<usize> {
        self.plain
    }

    /// One row: its kept cells, or `None` when it is empty (every cell blank). `len` is the
    /// number of cells read in the row, `cell(i, date)` the text of the `i`-th (blank past
    /// `len`). Values in columns without a heading and Excel errors are added to `problems`.
    pub fn row<'c>(
        &mut self,
        place: Place<'_>,
        row: usize,
        len: usize,
        cell: impl Fn(usize, Option<DateKind>) -> Cell<'c>,
        problems: &mut Vec<Detail>,
    ) -> Option<StringRecord> {
        if !self.unheaded.is_empty() || len > self.width {
            self.check_unheaded(place, row, len, &cell, problems);
        }
        let mut record = StringRecord::with_capacity(64, self.keep.len());
        let mut blank = true;
        for (k, &i) in self.keep.iter().enumerate() {
            if i >= len {
                record.push_field("");
                continue;
            }
            match cell(i, self.dates[k]) {
                Ok(text) => {
                    blank &= text.is_empty();
                    record.push_field(&text);
                }
                Err(message) => {
                    blank = false;
                    let cell = format!("{}{row}", column_letter(self.first_column + i));
                    problems.push(place.problem(
                        Some(row),
                        Some(&self.header[k]),
                        format!("{message} in cell {cell}; correct it or type the value"),
                    ));
                    record.push_field("");
                }
            }
        }
        (!blank).then_some(record)
    }

    fn check_unheaded<'c>(
        &mut self,
        place: Place<'_>,
        row: usize,
        len: usize,
        cell: &impl Fn(usize, Option<DateKind>) -> Cell<'c>,
        problems: &mut Vec<Detail>,
    ) {
        let inside = self.unheaded.iter().map(|(i, n)| (*i, n.as_deref()));
        let past = (self.width..len).map(|i| (i, None));
        let mut found = Vec::new();
        for (i, note) in inside.chain(past) {
            if i >= len || self.reported.contains(&i) {
                continue;
            }
            if cell(i, None).map_or(true, |t| !t.is_empty()) {
                let letter = column_letter(self.first_column + i);
                let note = note.map_or(String::new(), |n| format!(" ({n})"));
                found.push((
                    i,
                    format!("column {letter} has values but no heading{note}"),
                ));
            }
        }
        for (i, message) in found {
            self.reported.push(i);
            problems.push(place.problem(Some(row), None, message));
        }
    }
}

/// The text of a number as a person would type it: the shortest form that reads back as the
/// same number, never with an exponent or a needless `.0` (`1000`, `12.5`, `0.0001`).
pub fn number_text(value: f64) -> String {
    if value == 0.0 {
        // Also -0, which Excel shows as 0.
        return "0".to_owned();
    }
    format!("{value}")
}

/// Whether a text is a plain number as Excel would write a serial day number: digits, with an
/// optional fraction.
fn plain_number(text: &str) -> bool {
    let mut parts = text.splitn(2, '.');
    let whole = parts.next().unwrap_or("");
    let fraction = parts.next();
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()))
}

/// A date column's text cell: a plain number is an Excel serial and becomes an ISO date or
/// timestamp; anything else stays as typed.
pub fn date_text<'a>(text: &'a str, kind: DateKind, is_1904: bool) -> Cow<'a, str> {
    let serial = plain_number(text)
        .then(|| text.parse().ok())
        .flatten()
        .and_then(|v| serial_text(v, kind, is_1904));
    match serial {
        Some(iso) => Cow::Owned(iso),
        None => Cow::Borrowed(text),
    }
}

/// An Excel serial (days since the workbook's epoch, the fraction being the time of day) as ISO
/// text: `2026-01-30` for a date (the time is dropped), `2026-01-30T09:15:00Z` for a timestamp
/// (rounded to the second). `None` outside Excel's calendar (before 1900-01-01 or after
/// 9999-12-31) and for 1900-02-29, the day Excel's 1900 system counts but which never was.
pub fn serial_text(serial: f64, kind: DateKind, is_1904: bool) -> Option<String> {
    use time::{Date, Duration, Month};
    if !(0.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let mut days = serial.floor() as i64;
    let mut seconds = ((serial - serial.floor()) * 86_400.0).round() as i64;
    if seconds >= 86_400 {
        days += 1;
        seconds -= 86_400;
    }
    let epoch = if is_1904 {
        Date::from_calendar_date(1904, Month::January, 1).ok()?
    } else if days >= 61 {
        // Excel's 1900 system counts a 29 February 1900: from 1 March 1900 on, day 1 is 31
        // December 1899 plus one day too many.
        Date::from_calendar_date(1899, Month::December, 30).ok()?
    } else if (1..60).contains(&days) {
        Date::from_calendar_date(1899, Month::December, 31).ok()?
    } else {
        // Day 0 ("1900-01-00") and day 60 ("1900-02-29") are not dates.
        return None;
    };
    let date = epoch.checked_add(Duration::days(days))?;
    let (y, m, d) = (date.year(), u8::from(date.month()), date.day());
    Some(match kind {
        DateKind::Date => format!("{y:04}-{m:02}-{d:02}"),
        DateKind::Timestamp => format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_and_sheet_names_are_normalised() {
        assert_eq!(normalise(" ISO3 "), "iso3");
        assert_eq!(normalise("KR code"), "kr_code");
        assert_eq!(normalise("Focus-area"), "focus_area");
        assert_eq!(normalise("Key  Results"), "key_results");
        assert_eq!(normalise("Focus\narea"), "focus_area");
        assert_eq!(normalise("kr_code"), "kr_code");
        assert_eq!(normalise("  "), "");
    }

    #[test]
    fn column_letters_are_excels() {
        let letters: Vec<_> = [0, 5, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(column_letter)
            .collect();
        assert_eq!(
            letters,
            ["A", "F", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
        );
    }

    #[test]
    fn numbers_are_written_as_typed() {
        assert_eq!(number_text(1000.0), "1000");
        assert_eq!(number_text(12.5), "12.5");
        assert_eq!(number_text(1e21), "1000000000000000000000");
        assert_eq!(number_text(0.0001), "0.0001");
        assert_eq!(number_text(-0.0), "0");
        assert_eq!(number_text(-3.25), "-3.25");
        assert_eq!(number_text(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn serials_follow_excels_1900_calendar() {
        let date = |s| serial_text(s, DateKind::Date, false);
        assert_eq!(date(1.0).as_deref(), Some("1900-01-01"));
        assert_eq!(date(59.0).as_deref(), Some("1900-02-28"));
        assert_eq!(date(60.0), None, "1900-02-29 never was");
        assert_eq!(date(61.0).as_deref(), Some("1900-03-01"));
        assert_eq!(date(46052.0).as_deref(), Some("2026-01-30"));
        assert_eq!(date(46052.75).as_deref(), Some("2026-01-30"));
        assert_eq!(date(2_958_465.0).as_deref(), Some("9999-12-31"));
        assert_eq!(date(0.0), None);
        assert_eq!(date(-1.0), None);
        assert_eq!(date(2_958_466.0), None);
        let stamp = |s| serial_text(s, DateKind::Timestamp, false);
        assert_eq!(
            stamp(46052.385416667).as_deref(),
            Some("2026-01-30T09:15:00Z")
        );
        assert_eq!(
            stamp(46052.999999).as_deref(),
            Some("2026-01-31T00:00:00Z"),
            "rounded to the second, into the next day"
        );
        assert_eq!(
            serial_text(0.0, DateKind::Date, true).as_deref(),
            Some("1904-01-01")
        );
        assert_eq!(
            serial_text(44590.0, DateKind::Date, true).as_deref(),
            Some("2026-01-30")
        );
    }

    #[test]
    fn text_dates_stay_as_typed() {
        let t = |s| date_text(s, DateKind::Date, false);
        assert_eq!(t("46052"), "2026-01-30");
        assert_eq!(t("2026-01-30"), "2026-01-30");
        assert_eq!(t("30/01/2026"), "30/01/2026");
        assert_eq!(t("46052."), "46052.");
        assert_eq!(t("-5"), "-5");
        assert_eq!(t("60"), "60");
    }
}
