//! Reading files into tables: a folder, CSV files, `.xlsx` workbooks and `.zip` archives of
//! them become [`RawTable`]s, each row numbered as Excel shows it, each cell as the text a person
//! would have typed, whatever the file's quirks (see [`shape`]).
//!
//! Nothing here knows which tables exist or what their columns mean: that is
//! [`super::tables`]'s work. A problem met here (a file that is not UTF-8, an Excel error
//! value, a column with values but no heading) is returned beside the tables read, so that one
//! pass names every problem.

mod delimited;
pub mod shape;
#[cfg(test)]
mod tests;
mod workbook;

use std::io::{Cursor, Read};
use std::path::Path;

pub use shape::{DATE_COLUMNS, DateKind};

use crate::error::Detail;

/// The largest file taken out of a `.zip` archive: a larger one is reported, not inflated.
pub const MAX_ZIP_ENTRY: u64 = 512 * 1024 * 1024;

/// A file's name and contents.
pub struct Source {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The kinds of file read, by extension (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Csv,
    Xlsx,
    Zip,
}

fn kind(name: &str) -> Option<Kind> {
    let ext = Path::new(name).extension()?.to_str()?;
    [("csv", Kind::Csv), ("xlsx", Kind::Xlsx), ("zip", Kind::Zip)]
        .into_iter()
        .find(|(e, _)| ext.eq_ignore_ascii_case(e))
        .map(|(_, k)| k)
}

/// Files a folder or an archive holds that are not data: hidden files, Excel's lock files
/// (`~$season.xlsx`, present while the workbook is open) and macOS's resource forks.
fn ignored(path: &str) -> bool {
    path.split(['/', '\\'])
        .any(|part| part.starts_with('.') || part.starts_with("~$") || part == "__MACOSX")
}

/// How to make a spreadsheet or text table that is not read into one that is, when the file is
/// one.
fn advice(name: &str) -> Option<&'static str> {
    let ext = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("xls" | "xlsm" | "xlsb" | "ods" | "numbers") => {
            Some("in the spreadsheet, save it as \"Excel Workbook (.xlsx)\"")
        }
        Some("txt" | "tsv" | "tab") => Some("in Excel, save it as \"CSV UTF-8 (Comma delimited)\""),
        _ => None,
    }
}

/// What to say of a file that is not read, naming what is.
fn not_accepted(name: &str) -> String {
    let advice = advice(name).map_or(String::new(), |a| format!("; {a}"));
    format!("this file is not read: import .csv (UTF-8), .xlsx or .zip files{advice}")
}

impl Source {
    /// Reads a path: a folder gives each `.csv` and `.xlsx` file in it (sorted by name, hidden
    /// files and Excel's lock files left out); a `.csv`, `.xlsx` or `.zip` file gives itself.
    pub fn read(path: &Path) -> anyhow::Result<Vec<Source>> {
        let one = |p: &Path| -> anyhow::Result<Source> {
            Ok(Source {
                name: p
                    .file_name()
                    .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into()),
                bytes: std::fs::read(p)
                    .map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))?,
            })
        };
        if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .map_err(|e| anyhow::anyhow!("reading the folder {}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default();
                    !ignored(&name) && matches!(kind(&name), Some(Kind::Csv | Kind::Xlsx))
                })
                .collect();
            files.sort();
            if files.is_empty() {
                anyhow::bail!("the folder {} holds no .csv or .xlsx files", path.display());
            }
            files.iter().map(|p| one(p)).collect()
        } else if !path.exists() {
            anyhow::bail!("{} does not exist", path.display())
        } else if kind(&path.to_string_lossy()).is_some() {
            Ok(vec![one(path)?])
        } else {
            anyhow::bail!(
                "{}: {}, or a folder of them",
                path.display(),
                not_accepted(&path.to_string_lossy())
            )
        }
    }
}

/// A table as read from a file: its heading and its rows, each with the row number Excel shows
/// (the heading row is usually row 1, the first data row row 2). Every record has exactly as
/// many cells as the heading; empty rows are left out.
pub struct RawTable {
    /// The file as the user knows it: `targets.csv`, `season.xlsx`, `export.zip/actuals.csv`.
    pub file: String,
    /// The sheet's name as written, for a table read from a workbook.
    pub sheet: Option<String>,
    /// The table's name, normalised ([`shape::normalise`]): the sheet's name, or the file's
    /// without its extension (`Key Results.csv` → `key_results`).
    pub name: String,
    /// The normalised headings of the columns that have one.
    pub header: csv::StringRecord,
    /// The row of the headings, as Excel shows it (below a title banner it is not row 1).
    pub header_row: usize,
    pub records: Vec<(usize, csv::StringRecord)>,
}

impl RawTable {
    /// Reads one CSV file (kept for callers that read a single CSV file; [`raw_tables`] reads
    /// every kind of file).
    pub fn from_csv(file: &str, bytes: &[u8]) -> Result<Self, Vec<Detail>> {
        let mut problems = Vec::new();
        match delimited::read(file, &stem(file), bytes, &mut problems) {
            Some(t) if problems.is_empty() => Ok(t),
            _ => Err(problems),
        }
    }
}

/// Every table in `sources`, and every problem met while reading them (each with its file, and
/// its sheet and row when it has them). A file that cannot be read at all is one problem; the
/// other files are read all the same.
pub fn raw_tables(sources: &[Source]) -> (Vec<RawTable>, Vec<Detail>) {
    let mut tables = Vec::new();
    let mut problems = Vec::new();
    for s in sources {
        read_file(&s.name, &s.bytes, true, &mut tables, &mut problems);
    }
    (tables, problems)
}

fn stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_owned(), |s| s.to_string_lossy().into_owned())
}

const NESTED_ZIP: &str = "an archive inside an archive is not read; unpack it";

fn read_file(
    name: &str,
    bytes: &[u8],
    zip_allowed: bool,
    tables: &mut Vec<RawTable>,
    problems: &mut Vec<Detail>,
) {
    match kind(name) {
        Some(Kind::Csv) => tables.extend(delimited::read(name, &stem(name), bytes, problems)),
        Some(Kind::Xlsx) => workbook::read(name, bytes, tables, problems),
        Some(Kind::Zip) if zip_allowed => read_zip(name, bytes, tables, problems),
        Some(Kind::Zip) => problems.push(Detail::message(NESTED_ZIP).in_file(name)),
        None => problems.push(Detail::message(not_accepted(name)).in_file(name)),
    }
}

/// Every `.csv` and `.xlsx` file in a `.zip` archive, in sub-folders too, sorted by path; each
/// is named `archive.zip/folder/file.csv`. Other files are left out, as in a folder, except
/// spreadsheets in a format not read, which are reported.
fn read_zip(name: &str, bytes: &[u8], tables: &mut Vec<RawTable>, problems: &mut Vec<Detail>) {
    let problem = |m: String| Detail::message(m).in_file(name);
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return problems.push(problem(format!("cannot be read as a .zip archive: {e}"))),
    };
    let mut entries = Vec::new();
    for i in 0..archive.len() {
        match archive.by_index_raw(i) {
            Ok(entry) if entry.is_dir() => {}
            Ok(entry) => match entry.name() {
                Ok(path) if !ignored(&path) => entries.push((path.into_owned(), i)),
                Ok(_) => {}
                Err(e) => problems.push(problem(format!("entry {}: {e}", i + 1))),
            },
            Err(e) => problems.push(problem(format!("entry {}: {e}", i + 1))),
        }
    }
    entries.sort();
    let mut read = 0;
    for (path, i) in entries {
        let full = format!("{name}/{path}");
        match kind(&path) {
            Some(Kind::Csv | Kind::Xlsx) => {}
            Some(Kind::Zip) => {
                problems.push(Detail::message(NESTED_ZIP).in_file(&full));
                continue;
            }
            None => {
                if advice(&path).is_some() {
                    problems.push(Detail::message(not_accepted(&path)).in_file(&full));
                }
                continue;
            }
        }
        read += 1;
        match inflate(&mut archive, i, MAX_ZIP_ENTRY) {
            Ok(content) => read_file(&full, &content, false, tables, problems),
            Err(m) => problems.push(Detail::message(m).in_file(&full)),
        }
    }
    if read == 0 {
        problems.push(problem("the archive holds no .csv or .xlsx files".into()));
    }
}

/// One file of an archive, inflated: at most `limit` bytes, whatever its header claims.
fn inflate(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    i: usize,
    limit: u64,
) -> Result<Vec<u8>, String> {
    let too_large = || {
        format!(
            "larger than {} once unpacked; split it into smaller files",
            if limit >= 1024 * 1024 {
                format!("{} MB", limit / 1024 / 1024)
            } else {
                format!("{limit} bytes")
            }
        )
    };
    let entry = archive
        .by_index(i)
        .map_err(|e| format!("cannot be unpacked: {e}"))?;
    if entry.size() > limit {
        return Err(too_large());
    }
    let mut content = Vec::with_capacity(entry.size() as usize);
    entry
        .take(limit + 1)
        .read_to_end(&mut content)
        .map_err(|e| format!("cannot be unpacked: {e}"))?;
    if content.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(content)
}
