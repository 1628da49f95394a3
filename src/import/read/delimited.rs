//! CSV files as Excel writes and reads them: UTF-8 with or without a byte-order mark, a comma
//! (or, from some locales, a semicolon or a tab) between cells, and rows numbered as Excel shows
//! them once the file is opened: a blank line is an empty row, and a quoted cell with line
//! breaks inside is still one row.

use std::borrow::Cow;

use csv::StringRecord;

use super::RawTable;
use super::shape::{Place, Shape, date_text, normalise};
use crate::error::Detail;

/// Reads one CSV file into a table named after the file (`Key Results.csv` → `key_results`),
/// or `None` with the problems that stop it being read. Problems with single rows or cells are
/// added to `problems` beside the table.
pub fn read(file: &str, stem: &str, bytes: &[u8], problems: &mut Vec<Detail>) -> Option<RawTable> {
    let place = Place { file, sheet: None };
    let text = match decode(bytes) {
        Ok(t) => t,
        Err((row, message)) => {
            problems.push(place.problem(row, None, message));
            return None;
        }
    };
    // A file whose lines end in a lone carriage return (old Mac Excel) is read as if they
    // ended in line feeds, so that its rows are counted.
    let text: Cow<'_, str> = if text.contains('\r') && !text.contains('\n') {
        Cow::Owned(text.replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(&text))
        .from_reader(text.as_bytes());

    let mut rows = Rows {
        scanned: 0,
        breaks: 0,
        inside: 0,
        raw: StringRecord::new(),
    };
    // Rows above the heading row: a title, notes, blank lines. Kept until the heading is found
    // in case there is no row of two headings (a table of one column).
    let mut above: Vec<(usize, StringRecord)> = Vec::new();
    let found = loop {
        match rows.next(&mut reader, &text) {
            Err(e) => {
                let row = rows.at(&e);
                problems.push(place.problem(row, None, e.to_string()));
                return None;
            }
            Ok(None) => break None,
            Ok(Some(row)) => {
                let filled = rows.raw.iter().filter(|c| !c.trim().is_empty()).count();
                if filled >= 2 {
                    above.clear();
                    break Some((row, heading_shape(&rows.raw)));
                }
                if filled == 1 {
                    above.push((row, rows.raw.clone()));
                }
            }
        }
    };
    let mut records = Vec::new();
    let (header_row, mut shape) = match found {
        Some(found) => found,
        None => {
            // No row has two headings: the first row with anything in it is the heading row.
            let Some((header_row, heading)) = above.first() else {
                problems.push(place.problem(None, None, "the file is empty".into()));
                return None;
            };
            let mut shape = heading_shape(heading);
            for (row, raw) in &above[1..] {
                if let Some(r) = shape_row(&mut shape, place, *row, raw, problems) {
                    records.push((*row, r));
                }
            }
            return Some(table(file, stem, shape, *header_row, records));
        }
    };
    loop {
        match rows.next(&mut reader, &text) {
            Err(e) => {
                let row = rows.at(&e);
                problems.push(place.problem(row, None, e.to_string()));
                break;
            }
            Ok(None) => break,
            Ok(Some(row)) => {
                if let Some(r) = shape_row(&mut shape, place, row, &rows.raw, problems) {
                    records.push((row, r));
                }
            }
        }
    }
    Some(table(file, stem, shape, header_row, records))
}

fn table(
    file: &str,
    stem: &str,
    shape: Shape,
    header_row: usize,
    records: Vec<(usize, StringRecord)>,
) -> RawTable {
    RawTable {
        file: file.to_owned(),
        sheet: None,
        name: normalise(stem),
        header: shape.header,
        header_row,
        records,
    }
}

fn heading_shape(raw: &StringRecord) -> Shape {
    let headings: Vec<Cow<'_, str>> = raw.iter().map(|h| Cow::Borrowed(h.trim())).collect();
    Shape::new(&headings, 0, |_| None)
}

fn shape_row(
    shape: &mut Shape,
    place: Place<'_>,
    row: usize,
    raw: &StringRecord,
    problems: &mut Vec<Detail>,
) -> Option<StringRecord> {
    // The common case, a million times in a big series file: a full row of trimmed cells in
    // a table whose columns are kept as they are.
    if shape.plain_width() == Some(raw.len()) && raw.iter().all(|c| c.trim().len() == c.len()) {
        return (!raw.as_slice().is_empty()).then(|| raw.clone());
    }
    shape.row(
        place,
        row,
        raw.len(),
        |i, date| {
            let text = raw.get(i).unwrap_or("").trim();
            Ok(match date {
                Some(kind) => date_text(text, kind, false),
                None => Cow::Borrowed(text),
            })
        },
        problems,
    )
}

/// Reads records one by one, numbering each as Excel would: the line breaks before it, less
/// those inside quoted cells, plus one. (The reader's own line numbers are those where it began
/// to look for the record, before the blank lines it skips.)
struct Rows {
    /// How far the text has been scanned for line breaks, and how many were found.
    scanned: usize,
    breaks: usize,
    /// Line breaks inside quoted cells so far.
    inside: usize,
    raw: StringRecord,
}

impl Rows {
    fn next(&mut self, reader: &mut csv::Reader<&[u8]>, text: &str) -> csv::Result<Option<usize>> {
        if !reader.read_record(&mut self.raw)? {
            return Ok(None);
        }
        let bytes = text.as_bytes();
        let mut start = self.raw.position().map_or(0, |p| p.byte() as usize);
        while start < bytes.len() && matches!(bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.scanned {
            self.breaks += count_breaks(&bytes[self.scanned..start]);
            self.scanned = start;
        }
        let row = self.breaks + 1 - self.inside;
        self.inside += count_breaks(self.raw.as_slice().as_bytes());
        Ok(Some(row))
    }

    /// The row of a reading error.
    fn at(&self, e: &csv::Error) -> Option<usize> {
        e.position()
            .map(|p| (p.line() as usize).saturating_sub(self.inside))
    }
}

fn count_breaks(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

/// The cell separator: a comma, unless the first line with any separator has more semicolons
/// (Excel's "CSV" where the decimal separator is a comma) or tabs.
fn delimiter(text: &str) -> u8 {
    let first = text
        .lines()
        .take(20)
        .find(|l| l.contains([',', ';', '\t']))
        .unwrap_or("");
    let count = |c: char| first.matches(c).count();
    let (commas, semicolons, tabs) = (count(','), count(';'), count('\t'));
    if semicolons > commas && semicolons >= tabs {
        b';'
    } else if tabs > commas && tabs > semicolons {
        b'\t'
    } else {
        b','
    }
}

/// The file as UTF-8 text without its byte-order mark, or the row and the reason it is not.
fn decode(bytes: &[u8]) -> Result<&str, (Option<usize>, String)> {
    const SAVE_AS: &str = "in Excel, save it as \"CSV UTF-8 (Comma delimited)\"";
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err((
            None,
            format!("the file is UTF-16 text (Excel's \"Unicode Text\"), not CSV; {SAVE_AS}"),
        ));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err((
            None,
            "the file is a workbook or a zip archive, not CSV text; give it its own extension \
             (.xlsx or .zip)"
                .into(),
        ));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = 1 + count_breaks(&bytes[..at]);
        let message = if bytes.contains(&0) {
            "the file is not text (it holds NUL bytes); import CSV, .xlsx or .zip files".to_owned()
        } else {
            format!(
                "the file is not UTF-8 text (byte {:#04X} on line {line}); it looks like \
                 Windows-1252 or Latin-1: {SAVE_AS}",
                bytes[at]
            )
        };
        (Some(line), message)
    })
}
