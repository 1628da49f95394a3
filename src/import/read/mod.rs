//! Reading files into tables: a folder of CSV files, single CSV files, `.xlsx` workbooks and
//! `.zip` archives become [`RawTable`]s, each row numbered as Excel shows it.

use std::path::Path;

use crate::error::Detail;

/// A file's name and contents.
pub struct Source {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Source {
    /// Reads a path: a folder gives each `.csv` file in it (sorted by name); a `.csv` file gives
    /// itself.
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
                .map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
                .collect();
            files.sort();
            if files.is_empty() {
                anyhow::bail!("{} holds no .csv files", path.display());
            }
            files.iter().map(|p| one(p)).collect()
        } else {
            match path.extension().and_then(|e| e.to_str()) {
                Some(e) if e.eq_ignore_ascii_case("csv") => Ok(vec![one(path)?]),
                Some(e) if e.eq_ignore_ascii_case("xlsx") || e.eq_ignore_ascii_case("zip") => {
                    anyhow::bail!(
                        "{}: .{e} workbooks are not supported yet; import a folder of CSV files",
                        path.display()
                    )
                }
                _ => anyhow::bail!(
                    "{}: expected a folder of CSV files or a .csv file",
                    path.display()
                ),
            }
        }
    }
}

/// A table as read from a file: its header and its records, each with its 1-based line number
/// (the header is line 1).
pub struct RawTable {
    pub file: String,
    /// The sheet, for a table read from a workbook.
    pub sheet: Option<String>,
    /// The table's name: the file name without its extension (`key_results.csv` → `key_results`).
    pub name: String,
    pub header: csv::StringRecord,
    pub records: Vec<(usize, csv::StringRecord)>,
}

impl RawTable {
    /// Reads a CSV file (UTF-8, header row; a byte-order mark is tolerated).
    pub fn from_csv(file: &str, bytes: &[u8]) -> Result<Self, Vec<Detail>> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let header = reader
            .headers()
            .map_err(|e| vec![csv_problem(file, &e)])?
            .clone();
        let mut records = Vec::new();
        let mut problems = Vec::new();
        for (i, record) in reader.records().enumerate() {
            match record {
                Ok(r) => records.push((r.position().map_or(i + 2, |p| p.line() as usize), r)),
                Err(e) => problems.push(csv_problem(file, &e)),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let name = std::path::Path::new(file)
            .file_stem()
            .map_or(file.to_owned(), |s| s.to_string_lossy().into_owned());
        Ok(Self {
            file: file.to_owned(),
            sheet: None,
            name,
            header,
            records,
        })
    }
}

fn csv_problem(file: &str, e: &csv::Error) -> Detail {
    let d = Detail::message(match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the file is not UTF-8 text".to_owned(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("this row has {len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    })
    .in_file(file);
    match e.position() {
        Some(p) => d.at_row(p.line() as usize),
        None => d,
    }
}
