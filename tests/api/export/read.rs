//! Reading an export back: downloads, workbooks through calamine, zips and CSV files; and what
//! an export should hold.

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use serde_json::Value;

use crate::helpers::TestApp;

pub(super) const VIEWS: [&str; 6] = [
    "README",
    "Overview",
    "Pillars",
    "Members",
    "Focus areas",
    "Key result progress",
];
pub(super) const RAW: [&str; 13] = [
    "primers",
    "key_results",
    "targets",
    "actuals",
    "budgets",
    "projects",
    "series",
    "series_catalogue",
    "accreditations",
    "gp_themes",
    "gp_initiatives",
    "gp_outcomes",
    "trainings",
];
pub(super) const STATUSES: [&str; 5] = ["Achieved", "On track", "At risk", "Off track", "No data"];

/// The sheet names an export should have, in order.
pub(super) fn expected_sheets(audit: bool) -> Vec<String> {
    let mut names: Vec<String> = VIEWS.iter().chain(&RAW).map(|s| s.to_string()).collect();
    if audit {
        names.push("audit_log".into());
    }
    names
}

pub(super) struct Download {
    pub(super) status: u16,
    pub(super) headers: reqwest::header::HeaderMap,
    pub(super) bytes: Vec<u8>,
}

pub(super) async fn download(app: &TestApp, client: &reqwest::Client, query: &str) -> Download {
    let resp = client
        .get(app.url(&format!("/export?{query}")))
        .send()
        .await
        .expect("GET /export");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.expect("body").to_vec();
    Download {
        status,
        headers,
        bytes,
    }
}

impl Download {
    pub(super) fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .unwrap_or_else(|| panic!("no {name} header"))
            .to_str()
            .unwrap()
            .to_owned()
    }
}

/// A workbook read back: its sheets in order, each as rows of cells (the header first).
pub(super) struct Book {
    pub(super) xlsx: Xlsx<Cursor<Vec<u8>>>,
    pub(super) sheets: Vec<(String, Vec<Vec<Data>>)>,
}

pub(super) fn open(bytes: &[u8]) -> Book {
    let mut xlsx: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("calamine opens it");
    let names = xlsx.sheet_names();
    let sheets = names
        .into_iter()
        .map(|n| {
            let range = xlsx.worksheet_range(&n).expect("a sheet");
            let rows = range.rows().map(|r| r.to_vec()).collect();
            (n, rows)
        })
        .collect();
    Book { xlsx, sheets }
}

impl Book {
    pub(super) fn names(&self) -> Vec<String> {
        self.sheets.iter().map(|(n, _)| n.clone()).collect()
    }

    pub(super) fn rows(&self, sheet: &str) -> &[Vec<Data>] {
        &self
            .sheets
            .iter()
            .find(|(n, _)| n == sheet)
            .unwrap_or_else(|| panic!("no sheet {sheet}"))
            .1
    }

    /// A table sheet's rows as maps from header to cell, without the header.
    pub(super) fn table(&self, sheet: &str) -> Vec<BTreeMap<String, Data>> {
        let rows = self.rows(sheet);
        let header: Vec<String> = rows[0].iter().map(|c| c.to_string()).collect();
        rows[1..]
            .iter()
            .map(|r| {
                header
                    .iter()
                    .cloned()
                    .zip(r.iter().cloned().chain(std::iter::repeat(Data::Empty)))
                    .collect()
            })
            .collect()
    }

    pub(super) fn header(&self, sheet: &str) -> Vec<String> {
        self.rows(sheet)[0].iter().map(|c| c.to_string()).collect()
    }

    /// The number format of a cell (0-based row and column).
    pub(super) fn format(&mut self, sheet: &str, row: u32, col: u32) -> String {
        let styles = self.xlsx.worksheet_style(sheet).expect("styles");
        styles
            .get((row, col))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
            .unwrap_or_default()
    }
}

pub(super) fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

pub(super) fn num(d: &Data) -> f64 {
    match d {
        Data::Float(v) => *v,
        Data::Int(i) => *i as f64,
        other => panic!("{other:?} is not a number"),
    }
}

/// Every audit entry, through the API's pages.
pub(super) async fn all_audit(app: &TestApp, query: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut before = String::new();
    loop {
        let page = app.get(&format!("/audit?limit=10000{query}{before}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let entries = page.body.as_array().expect("a list").clone();
        let Some(last) = entries.last() else { break };
        before = format!("&before_id={}", last["id"]);
        all.extend(entries);
    }
    all
}

/// The CSV files of a zip, by name, as rows of fields (a byte-order mark first, for Excel).
pub(super) fn unzip(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).expect("a zip");
    (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (name, read_csv(&data))
        })
        .collect()
}

pub(super) fn read_csv(data: &[u8]) -> Vec<Vec<String>> {
    let data = data
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a byte-order mark");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(data)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}
