//! `.xlsx` workbooks (read with calamine): a table per worksheet, named after the sheet, each
//! row numbered as Excel shows it, each cell as the text a person would have typed.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Dimensions, Range, Reader, SheetType, Xlsx};

use super::RawTable;
use super::shape::{Cell, DateKind, Place, Shape, column_letter, normalise, number_text};
use super::shape::{date_text, serial_text};
use crate::error::Detail;

/// The largest sheet (in rows) whose merged cells are looked up.
const MERGES_UP_TO_ROWS: usize = 100_000;

/// Reads every worksheet of a workbook that has anything in it. A sheet with no cells at all
/// (Excel's empty `Sheet2`) is left out without a word.
pub fn read(file: &str, bytes: &[u8], tables: &mut Vec<RawTable>, problems: &mut Vec<Detail>) {
    let place = Place { file, sheet: None };
    if let Some(part) = oversized(bytes) {
        let mb = super::MAX_ZIP_ENTRY / 1024 / 1024;
        let why =
            format!("its part {part} is larger than {mb} MB once unpacked; split the workbook");
        problems.push(place.problem(None, None, why));
        return;
    }
    let mut workbook = match Xlsx::new(Cursor::new(bytes)) {
        Ok(w) => w,
        Err(e) => {
            let why = if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
                "it is a password-protected workbook or an old .xls one; in Excel, remove the \
                 password or save it as \"Excel Workbook (.xlsx)\""
                    .to_owned()
            } else {
                format!("it cannot be read as an .xlsx workbook ({e})")
            };
            problems.push(place.problem(None, None, why));
            return;
        }
    };
    let is_1904 = workbook.has_1904_epoch();
    let sheets: Vec<String> = workbook
        .sheets_metadata()
        .iter()
        .filter(|s| matches!(s.typ, SheetType::WorkSheet))
        .map(|s| s.name.clone())
        .collect();
    for name in sheets {
        let place = Place {
            file,
            sheet: Some(&name),
        };
        let range = match workbook.worksheet_range(&name) {
            Ok(r) => r,
            Err(e) => {
                problems.push(place.problem(None, None, format!("cannot be read: {e}")));
                continue;
            }
        };
        // calamine finds merged cells by parsing the whole sheet again (3 s for a million
        // rows): a sheet that big is a data dump, read without them. Merges only matter where a
        // writer other than Excel left values in the cells a merge covers.
        let merges = if range.height() <= MERGES_UP_TO_ROWS {
            workbook
                .merge_cells_by_sheet_name(&name)
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        let sheet = Sheet::new(&range, &merges, is_1904);
        if let Some((header, header_row, records)) = sheet.table(place, problems) {
            tables.push(RawTable {
                file: file.to_owned(),
                sheet: Some(name.clone()),
                name: normalise(&name),
                header,
                header_row,
                records,
            });
        }
    }
}

/// The first part of a workbook (an `.xlsx` is a zip archive of XML parts) that would unpack to
/// more than [`super::MAX_ZIP_ENTRY`] bytes, by the sizes the archive declares: calamine
/// inflates a sheet whole, so a workbook made to explode in memory is refused before.
fn oversized(bytes: &[u8]) -> Option<String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    (0..archive.len()).find_map(|i| {
        let entry = archive.by_index_raw(i).ok()?;
        (entry.size() > super::MAX_ZIP_ENTRY).then(|| entry.name().unwrap_or_default().into_owned())
    })
}

/// A worksheet's cells, with what the reading needs to know about them.
struct Sheet<'a> {
    range: &'a Range<Data>,
    /// The sheet's first row and column (the range may start below or right of A1).
    start: (u32, u32),
    /// Cells covered by a merge other than its first (top-left) cell, each with that first
    /// cell: Excel shows them as part of the first, and they hold nothing of their own.
    covered: HashMap<(u32, u32), (u32, u32)>,
    is_1904: bool,
}

impl<'a> Sheet<'a> {
    fn new(range: &'a Range<Data>, merges: &[Dimensions], is_1904: bool) -> Self {
        let start = range.start().unwrap_or((0, 0));
        let end = range.end().unwrap_or((0, 0));
        let mut covered = HashMap::new();
        for m in merges {
            // Only the part inside the cells read matters.
            for r in m.start.0..=m.end.0.min(end.0) {
                for c in m.start.1..=m.end.1.min(end.1) {
                    if (r, c) != m.start {
                        covered.insert((r, c), m.start);
                    }
                }
            }
        }
        Sheet {
            range,
            start,
            covered,
            is_1904,
        }
    }

    /// The cell at a row and column of the range (0-based, relative to its start).
    fn data(&self, row: usize, col: usize, cells: &'a [Data]) -> &'a Data {
        let at = (self.start.0 + row as u32, self.start.1 + col as u32);
        if !self.covered.is_empty() && self.covered.contains_key(&at) {
            return &Data::Empty;
        }
        cells.get(col).unwrap_or(&Data::Empty)
    }

    fn filled(&self, row: usize, cells: &'a [Data]) -> usize {
        (0..cells.len())
            .filter(|&c| !blank(self.data(row, c, cells)))
            .count()
    }

    /// The sheet's heading and rows, or `None` when nothing is in it. The heading row is the
    /// first with two cells or more (a title banner above it is skipped), or else the first
    /// with anything in it.
    #[allow(clippy::type_complexity)]
    fn table(
        &self,
        place: Place<'_>,
        problems: &mut Vec<Detail>,
    ) -> Option<(csv::StringRecord, usize, Vec<(usize, csv::StringRecord)>)> {
        let rows: Vec<&[Data]> = self.range.rows().collect();
        let filled = |i: usize| self.filled(i, rows[i]);
        let header = (0..rows.len())
            .find(|&i| filled(i) >= 2)
            .or_else(|| (0..rows.len()).find(|&i| filled(i) > 0))?;
        let headings: Vec<Cow<'_, str>> = (0..rows[header].len())
            .map(|c| {
                let d = self.data(header, c, rows[header]);
                self.text(d, None).unwrap_or_else(Cow::Owned)
            })
            .collect();
        let mut shape = Shape::new(&headings, self.start.1 as usize, |c| {
            let at = (self.start.0 + header as u32, self.start.1 + c as u32);
            let first = self.covered.get(&at)?;
            let first_col = (first.1 - self.start.1) as usize;
            let heading = headings.get(first_col).filter(|h| !h.is_empty());
            Some(match heading {
                Some(h) => format!(
                    "its heading cell is merged into column {}'s {h:?}",
                    column_letter(first.1 as usize)
                ),
                None => "its heading cell is merged with another".to_owned(),
            })
        });
        let mut records = Vec::with_capacity(rows.len() - header);
        for (i, cells) in rows.iter().enumerate().skip(header + 1) {
            let row = (self.start.0 as usize) + i + 1;
            let record = shape.row(
                place,
                row,
                cells.len(),
                |c, date| self.text(self.data(i, c, cells), date),
                problems,
            );
            if let Some(r) = record {
                records.push((row, r));
            }
        }
        Some((shape.header, self.start.0 as usize + header + 1, records))
    }

    /// A cell's text: numbers as typed, dates (date cells, and numbers in a date column) in ISO
    /// form, text trimmed; an Excel error value is the error's text.
    fn text(&self, d: &'a Data, date: Option<DateKind>) -> Cell<'a> {
        Ok(match d {
            Data::Empty => Cow::Borrowed(""),
            Data::String(s) => match date {
                Some(kind) => date_text(s.trim(), kind, self.is_1904),
                None => Cow::Borrowed(s.trim()),
            },
            Data::Float(f) => self.number(*f, date),
            Data::Int(i) => match date {
                Some(_) => self.number(*i as f64, date),
                None => Cow::Owned(i.to_string()),
            },
            Data::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Data::DateTime(dt) if dt.is_duration() => Cow::Owned(number_text(dt.as_f64())),
            Data::DateTime(dt) => {
                let v = dt.as_f64();
                // A date cell outside a date column: a date if it has no time of day.
                let kind = date.unwrap_or(if v.fract() == 0.0 {
                    DateKind::Date
                } else {
                    DateKind::Timestamp
                });
                Cow::Owned(serial_text(v, kind, self.is_1904).unwrap_or_else(|| number_text(v)))
            }
            Data::DateTimeIso(s) | Data::DurationIso(s) => Cow::Borrowed(s.trim()),
            Data::Error(e) => return Err(format!("Excel error {e}")),
        })
    }

    fn number(&self, v: f64, date: Option<DateKind>) -> Cow<'a, str> {
        let as_date = date.and_then(|kind| serial_text(v, kind, self.is_1904));
        Cow::Owned(as_date.unwrap_or_else(|| number_text(v)))
    }
}

fn blank(d: &Data) -> bool {
    match d {
        Data::Empty => true,
        Data::String(s) => s.trim().is_empty(),
        _ => false,
    }
}
