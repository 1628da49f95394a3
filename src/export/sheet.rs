//! The tables of an export and how they are written: as sheets of one `.xlsx` workbook
//! (rust_xlsxwriter), or as CSV files (one per sheet, `<sheet>.csv`), loose or in a `.zip`.
//!
//! A sheet's rows are produced as they are written, so that a big table (a million series
//! values) is never held twice.

use std::borrow::Cow;
use std::io::Write;

use rust_xlsxwriter::{Format as CellFormat, FormatBorder, Workbook, Worksheet};

/// One cell. Numbers stay numbers: a workbook holds them as numbers, a CSV file in their
/// shortest text that reads back as the same `f64`.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    Empty,
    Text(Cow<'a, str>),
    Number(f64),
    Int(i64),
    /// A fraction shown as a percentage (0.62: `62.0%`).
    Percent(f64),
}

impl<'a> Cell<'a> {
    pub fn text(s: &'a str) -> Self {
        Self::Text(Cow::Borrowed(s))
    }
    pub fn owned(s: String) -> Self {
        Self::Text(Cow::Owned(s))
    }
    pub fn opt_text(s: Option<&'a str>) -> Self {
        s.map_or(Self::Empty, Self::text)
    }
    pub fn opt_number(v: Option<f64>) -> Self {
        v.map_or(Self::Empty, Self::Number)
    }
    pub fn opt_int(v: Option<i64>) -> Self {
        v.map_or(Self::Empty, Self::Int)
    }
    pub fn opt_percent(v: Option<f64>) -> Self {
        v.map_or(Self::Empty, Self::Percent)
    }
    pub fn count(n: usize) -> Self {
        Self::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// The cell as CSV text.
    pub fn csv(&self) -> Cow<'_, str> {
        match self {
            Self::Empty => Cow::Borrowed(""),
            Self::Text(s) => Cow::Borrowed(s),
            Self::Number(v) => Cow::Owned(number(*v)),
            Self::Int(i) => Cow::Owned(i.to_string()),
            Self::Percent(p) => Cow::Owned(format!("{:.1}%", p * 100.0)),
        }
    }

    /// Characters it takes on screen, roughly, for the column's width.
    fn width(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::Text(s) => s.lines().map(|l| l.chars().count()).max().unwrap_or(0),
            Self::Number(v) => number(*v).len().min(14),
            Self::Int(i) => i.to_string().len(),
            Self::Percent(_) => 6,
        }
    }
}

/// The shortest text that parses back to the same `f64` (Rust's formatting is shortest
/// round-trip), in positional notation unless that would be long (then `1.5e-7`).
pub fn number(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A column: its header, and what it means (for the README sheet).
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub meaning: String,
}

pub fn col(name: impl Into<String>, meaning: impl Into<String>) -> Column {
    Column {
        name: name.into(),
        meaning: meaning.into(),
    }
}

/// How a sheet is laid out for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The README: a title and a few lines above its table, no gridlines.
    Readme,
    /// A view of the dashboard: no gridlines.
    View,
    /// Raw data in the import format: gridlines kept, as a data sheet has them.
    Raw,
}

pub type Rows<'a> = Box<dyn Iterator<Item = Vec<Cell<'a>>> + Send + 'a>;

/// A sheet (or a CSV file): its name, columns and rows.
pub struct Sheet<'a> {
    pub name: &'static str,
    pub kind: Kind,
    /// Lines above the header (the README's title and facts).
    pub preamble: Vec<Vec<Cell<'a>>>,
    pub columns: Vec<Column>,
    pub rows: Rows<'a>,
}

/// Rows Excel can hold on one sheet, the header included.
const EXCEL_ROWS: usize = 1_048_576;
/// Rows whose cells set the widths of the columns.
const WIDTH_ROWS: u32 = 5_000;
/// Characters Excel can hold in one cell.
const EXCEL_TEXT: usize = 32_767;

/// Writes the sheets as one `.xlsx` workbook.
pub fn xlsx(sheets: Vec<Sheet<'_>>) -> anyhow::Result<Vec<u8>> {
    let mut book = Workbook::new();
    let header = CellFormat::new()
        .set_bold()
        .set_border_bottom(FormatBorder::Thin)
        .set_background_color(0xEEF2F6);
    let title = CellFormat::new().set_bold().set_font_size(14);
    let percent = CellFormat::new().set_num_format("0.0%");
    for sheet in sheets {
        let name = sheet.name;
        // Rows are written in order, so a sheet streams to a temporary file (constant
        // memory mode) instead of keeping every cell until the workbook is saved.
        let ws = book.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        let top = u32::try_from(sheet.preamble.len()).expect("a few lines");
        let mut widths: Vec<usize> = sheet.columns.iter().map(|c| c.name.len()).collect();
        for (r, line) in sheet.preamble.iter().enumerate() {
            for (c, cell) in line.iter().enumerate() {
                let fmt = (r == 0).then_some(&title);
                put(ws, r as u32, c as u16, cell, fmt, &percent)
                    .map_err(|e| anyhow::anyhow!("sheet {name}, row {}: {e}", r + 1))?;
            }
        }
        for (c, column) in sheet.columns.iter().enumerate() {
            ws.write_string_with_format(top, c as u16, &column.name, &header)?;
        }
        for (row, cells) in (top + 1..).zip(sheet.rows) {
            if row as usize >= EXCEL_ROWS {
                anyhow::bail!(
                    "sheet {name} has more rows than a worksheet holds ({EXCEL_ROWS}, header \
                     included); export it as CSV (--format csv)"
                );
            }
            for (c, cell) in cells.iter().enumerate() {
                // The first rows say how wide a column should be; measuring a million is slow.
                if row <= WIDTH_ROWS
                    && let Some(w) = widths.get_mut(c)
                {
                    *w = (*w).max(cell.width());
                }
                put(ws, row, c as u16, cell, None, &percent).map_err(|e| {
                    let column = sheet.columns.get(c).map_or("?", |c| c.name.as_str());
                    anyhow::anyhow!("sheet {name}, row {}, column {column}: {e}", row + 1)
                })?;
            }
        }
        let max = if sheet.kind == Kind::Readme { 100 } else { 60 };
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, ((*w).clamp(6, max) + 2) as f64)?;
        }
        ws.set_freeze_panes(top + 1, 0)?;
        if sheet.kind != Kind::Raw {
            ws.set_screen_gridlines(false);
        }
    }
    Ok(book.save_to_buffer()?)
}

fn put(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell<'_>,
    fmt: Option<&CellFormat>,
    percent: &CellFormat,
) -> anyhow::Result<()> {
    match (cell, fmt) {
        (Cell::Empty, _) => {}
        (Cell::Text(s), _) if s.chars().count() > EXCEL_TEXT => anyhow::bail!(
            "a text of {} characters; a cell holds at most {EXCEL_TEXT}: export as CSV \
             (--format csv)",
            s.chars().count()
        ),
        (Cell::Text(s), Some(f)) => {
            ws.write_string_with_format(row, col, s.as_ref(), f)?;
        }
        (Cell::Text(s), None) => {
            ws.write_string(row, col, s.as_ref())?;
        }
        (Cell::Number(v), _) => {
            ws.write_number(row, col, *v)?;
        }
        (Cell::Int(i), _) => {
            // Exact up to 2^53, far beyond any year, revision or count.
            ws.write_number(row, col, *i as f64)?;
        }
        (Cell::Percent(p), _) => {
            ws.write_number_with_format(row, col, *p, percent)?;
        }
    }
    Ok(())
}

/// Writes one sheet as a CSV file (UTF-8 with a byte-order mark, so that Excel reads names
/// such as Türkiye right; the importer takes it).
pub fn csv(sheet: Sheet<'_>) -> anyhow::Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(&mut out);
        let width = sheet.columns.len();
        let fields = |cells: &[Cell<'_>]| -> Vec<String> {
            let mut f: Vec<String> = cells.iter().map(|c| c.csv().into_owned()).collect();
            f.resize(f.len().max(width), String::new());
            f
        };
        for line in &sheet.preamble {
            w.write_record(fields(line))?;
        }
        w.write_record(sheet.columns.iter().map(|c| c.name.as_str()))?;
        for cells in sheet.rows {
            w.write_record(cells.iter().map(|c| c.csv()).map(|c| c.into_owned()))?;
        }
        w.flush()?;
    }
    Ok(out)
}

/// The CSV files' names: the sheet's name and `.csv`.
pub fn csv_name(sheet: &str) -> String {
    format!("{sheet}.csv")
}

/// Writes the sheets as CSV files in a `.zip` (deflated).
pub fn zip(sheets: Vec<Sheet<'_>>) -> anyhow::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    for sheet in sheets {
        let name = csv_name(sheet.name);
        let bytes = csv(sheet)?;
        zip.start_file(name, options.large_file(bytes.len() >= u32::MAX as usize))?;
        zip.write_all(&bytes)?;
    }
    Ok(zip.finish()?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_as_the_same_bits() {
        for v in [
            0.1,
            1.0 / 3.0,
            2026.0,
            -0.0,
            1e-7,
            123456789012345678.0,
            1e12,
            f64::MIN_POSITIVE,
            f64::MAX,
            0.30000000000000004,
        ] {
            let text = number(v);
            assert_eq!(
                text.parse::<f64>().unwrap().to_bits(),
                v.to_bits(),
                "{v} as {text}"
            );
            assert!(text.len() <= 24, "{v} as {text}");
        }
        assert_eq!(number(2026.0), "2026");
        assert_eq!(number(0.1), "0.1");
    }

    #[test]
    fn percentages_are_text_with_one_decimal_in_csv() {
        assert_eq!(Cell::Percent(0.62).csv(), "62.0%");
        assert_eq!(Cell::Percent(1.234).csv(), "123.4%");
        assert_eq!(Cell::Empty.csv(), "");
    }
}
