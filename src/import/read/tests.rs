//! The readers against files as the real world writes them: workbooks written in the test with
//! rust_xlsxwriter, CSV files as Excel saves them, a zip with folders inside.

use std::io::Write;

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use super::*;

type Cells = Vec<(usize, Vec<String>)>;

fn cells(t: &RawTable) -> Cells {
    t.records
        .iter()
        .map(|(row, r)| (*row, r.iter().map(str::to_owned).collect()))
        .collect()
}

fn row(n: usize, cells: &[&str]) -> (usize, Vec<String>) {
    (n, cells.iter().map(|c| (*c).to_owned()).collect())
}

fn header(t: &RawTable) -> Vec<&str> {
    t.header.iter().collect()
}

fn read(name: &str, bytes: &[u8]) -> (Vec<RawTable>, Vec<Detail>) {
    raw_tables(&[Source {
        name: name.to_owned(),
        bytes: bytes.to_vec(),
    }])
}

/// What a problem says, where: `file|sheet|row|field|message`.
fn said(p: &Detail) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        p.file.as_deref().unwrap_or(""),
        p.sheet.as_deref().unwrap_or(""),
        p.row.map_or(String::new(), |r| r.to_string()),
        p.field.as_deref().unwrap_or(""),
        p.message
    )
}

/// A primer officer's workbook: a merged title banner, the headings on row 3 with stray spaces,
/// case and hyphens, a merged heading cell, numbers typed as numbers and as text, dates as date
/// cells and as serials, an error value, values under no heading, empty rows and columns (blank
/// cells and cells of spaces) after and between the rows, an empty sheet, and a sheet that
/// starts at C5.
fn season_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let stamp = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let plain = Format::new();

    let ws = wb.add_worksheet().set_name("Key Results").unwrap();
    ws.merge_range(0, 0, 0, 7, "Viet Nam — SPP primer 2026–28", &plain)
        .unwrap();
    for (c, h) in [
        " ISO3 ",
        "KR code",
        "Focus-area",
        "Baseline value",
        "Weight",
        "",
        "End date",
        "reported_at",
    ]
    .iter()
    .enumerate()
    {
        if c == 4 {
            ws.merge_range(2, 4, 2, 5, h, &plain).unwrap();
        } else if c != 5 {
            ws.write_string(2, c as u16, *h).unwrap();
        }
    }
    // Row 4: numbers as numbers, a serial in a date column, a date-and-time cell.
    ws.write_string(3, 0, "VNM").unwrap();
    ws.write_string(3, 1, "VNM-KR1").unwrap();
    ws.write_string(3, 2, "Digital").unwrap();
    ws.write_number(3, 3, 12.5).unwrap();
    ws.write_number(3, 4, 1000.0).unwrap();
    ws.write_number(3, 6, 46052.0).unwrap();
    let at = ExcelDateTime::parse_from_str("2026-01-30T09:15:00").unwrap();
    ws.write_datetime_with_format(3, 7, &at, &stamp).unwrap();
    // Row 5: empty (blank cells and spaces).
    ws.write_blank(4, 0, &date).unwrap();
    ws.write_string(4, 2, "   ").unwrap();
    // Row 6: stray spaces, a number stored as text, an error value, a value under the merged
    // heading's second column, a text date, a serial timestamp.
    ws.write_string(5, 0, "  VNM ").unwrap();
    ws.write_string(5, 1, "VNM-KR2").unwrap();
    ws.write_string(5, 2, "Green growth").unwrap();
    ws.write_string(5, 3, " 1000 ").unwrap();
    ws.write_formula(5, 4, Formula::new("=NA()").set_result("#N/A"))
        .unwrap();
    ws.write_string(5, 5, "oops").unwrap();
    ws.write_string(5, 6, "30/01/2026").unwrap();
    ws.write_number(5, 7, 46052.385416667).unwrap();
    // Row 7: a boolean, a date cell in a date column, a value in column J (no heading).
    ws.write_string(6, 0, "VNM").unwrap();
    ws.write_string(6, 1, "VNM-KR3").unwrap();
    ws.write_boolean(6, 2, true).unwrap();
    ws.write_number(6, 3, -0.25).unwrap();
    ws.write_datetime_with_format(6, 6, ExcelDateTime::from_ymd(2028, 12, 31).unwrap(), &date)
        .unwrap();
    ws.write_string(6, 9, "note").unwrap();
    // Trailing empty rows and columns.
    for r in 7..12 {
        ws.write_string(r, 0, " ").unwrap();
        ws.write_blank(r, 11, &date).unwrap();
    }
    ws.write_string(2, 12, "  ").unwrap();

    wb.add_worksheet(); // Sheet2, left empty as Excel leaves it.

    let ws = wb.add_worksheet().set_name("Targets").unwrap();
    for (c, h) in ["iso3", "kr_code", "year", "target"].iter().enumerate() {
        ws.write_string(4, 2 + c as u16, *h).unwrap();
    }
    ws.write_string(5, 2, "VNM").unwrap();
    ws.write_string(5, 3, "VNM-KR1").unwrap();
    ws.write_number(5, 4, 2026).unwrap();
    ws.write_number(5, 5, 1.0 / 3.0).unwrap();
    ws.write_number(6, 6, 7).unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn a_workbook_with_every_quirk_reads_as_typed_at_excels_rows() {
    let (tables, problems) = read("season.xlsx", &season_workbook());
    assert_eq!(tables.len(), 2, "the empty Sheet2 is left out");

    let kr = &tables[0];
    assert_eq!(
        (kr.file.as_str(), kr.sheet.as_deref(), kr.name.as_str()),
        ("season.xlsx", Some("Key Results"), "key_results")
    );
    assert_eq!(
        header(kr),
        [
            "iso3",
            "kr_code",
            "focus_area",
            "baseline_value",
            "weight",
            "end_date",
            "reported_at"
        ]
    );
    assert_eq!(
        cells(kr),
        [
            row(
                4,
                &[
                    "VNM",
                    "VNM-KR1",
                    "Digital",
                    "12.5",
                    "1000",
                    "2026-01-30",
                    "2026-01-30T09:15:00Z"
                ]
            ),
            row(
                6,
                &[
                    "VNM",
                    "VNM-KR2",
                    "Green growth",
                    "1000",
                    "",
                    "30/01/2026",
                    "2026-01-30T09:15:00Z"
                ]
            ),
            row(
                7,
                &["VNM", "VNM-KR3", "true", "-0.25", "", "2028-12-31", ""]
            ),
        ]
    );

    let targets = &tables[1];
    assert_eq!(
        (targets.sheet.as_deref(), targets.name.as_str()),
        (Some("Targets"), "targets")
    );
    assert_eq!(header(targets), ["iso3", "kr_code", "year", "target"]);
    assert_eq!(
        cells(targets),
        [row(6, &["VNM", "VNM-KR1", "2026", "0.3333333333333333"])],
        "the row with only a value under no heading is reported, not kept"
    );

    let problems: Vec<_> = problems.iter().map(said).collect();
    assert_eq!(
        problems,
        [
            "season.xlsx|Key Results|6||column F has values but no heading (its heading cell \
             is merged into column E's \"Weight\")",
            "season.xlsx|Key Results|6|weight|Excel error #N/A in cell E6; correct it or type \
             the value",
            "season.xlsx|Key Results|7||column J has values but no heading",
            "season.xlsx|Targets|7||column G has values but no heading",
        ]
    );
}

#[test]
fn a_csv_file_counts_rows_as_excel_does() {
    // A byte-order mark, a trailing empty column, a quoted cell over two lines, a blank line,
    // a row of empty cells, a cell over three lines, a short row and a serial date.
    let text = "\u{FEFF} ISO3 ,KR code,Title,End-date,\n\
                VNM,VNM-KR1,\"two\nlines\",46052,\n\
                \n\
                THA , THA-KR2 ,plain,2026-02-01,\n\
                ,,,,\n\
                SGP,SGP-KR3,\"a\nb\nc\"\n\
                MYS,MYS-KR4,last,,\n";
    for text in [text.to_owned(), text.replace('\n', "\r\n")] {
        let (tables, problems) = read("Key Results.csv", text.as_bytes());
        assert!(problems.is_empty(), "{problems:?}");
        let t = &tables[0];
        assert_eq!(
            (t.file.as_str(), t.sheet.as_deref(), t.name.as_str()),
            ("Key Results.csv", None, "key_results")
        );
        assert_eq!(header(t), ["iso3", "kr_code", "title", "end_date"]);
        let nl = if text.contains('\r') { "\r\n" } else { "\n" };
        assert_eq!(
            cells(t),
            [
                row(
                    2,
                    &["VNM", "VNM-KR1", &format!("two{nl}lines"), "2026-01-30"]
                ),
                row(4, &["THA", "THA-KR2", "plain", "2026-02-01"]),
                row(6, &["SGP", "SGP-KR3", &format!("a{nl}b{nl}c"), ""]),
                row(7, &["MYS", "MYS-KR4", "last", ""]),
            ]
        );
    }
}

#[test]
fn a_csv_title_above_the_headings_is_skipped_and_stray_values_are_named() {
    let text = "Viet Nam — SPP primer 2026–28,,,\n\
                ,,,\n\
                iso3,series,year,value\n\
                VNM,tfp_index,2024,101.5\n\
                VNM,tfp_index,2025,103,,stray\n";
    let (tables, problems) = read("series.csv", text.as_bytes());
    assert_eq!(
        cells(&tables[0]),
        [
            row(4, &["VNM", "tfp_index", "2024", "101.5"]),
            row(5, &["VNM", "tfp_index", "2025", "103"]),
        ]
    );
    let problems: Vec<_> = problems.iter().map(said).collect();
    assert_eq!(
        problems,
        ["series.csv||5||column F has values but no heading"]
    );
}

#[test]
fn a_semicolon_csv_is_read_too() {
    let (tables, problems) = read("targets.csv", b"iso3;kr_code;year;target\nVNM;K1;2026;5\n");
    assert!(problems.is_empty());
    assert_eq!(cells(&tables[0]), [row(2, &["VNM", "K1", "2026", "5"])]);
}

#[test]
fn a_csv_file_that_is_not_utf8_says_how_to_save_it() {
    let (tables, problems) = read("members.csv", b"iso3,name\nCIV,C\xf4te d'Ivoire\n");
    assert!(tables.is_empty());
    assert_eq!(problems.len(), 1);
    let p = said(&problems[0]);
    assert!(
        p.starts_with("members.csv||2||the file is not UTF-8 text"),
        "{p}"
    );
    assert!(p.contains("Windows-1252") && p.contains("CSV UTF-8"), "{p}");

    let (_, problems) = read("members.csv", b"\xFF\xFEi\0s\0o\0");
    assert!(said(&problems[0]).contains("UTF-16"), "{:?}", problems[0]);
    let (_, problems) = read("empty.csv", b"\xEF\xBB\xBF\n\n");
    assert_eq!(said(&problems[0]), "empty.csv||||the file is empty");
}

#[test]
fn a_zip_is_read_file_by_file_in_its_folders() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut add = |name: &str, bytes: &[u8]| {
        zip.start_file(name, options).unwrap();
        zip.write_all(bytes).unwrap();
    };
    add(
        "export/targets.csv",
        b"iso3,kr_code,year,target\nVNM,K1,2026,5\n",
    );
    add(
        "export/2026/actuals.csv",
        b"iso3,kr_code,year,value\n\nVNM,K1,2026,4\n",
    );
    add("export/season.xlsx", &season_workbook());
    add("__MACOSX/export/._targets.csv", b"\0\x05\x16\x07");
    add("export/.DS_Store", b"\0\0\0\x01Bud1");
    add("export/~$season.xlsx", b"lock");
    add("export/notes.docx", b"not data");
    add("export/old.xls", b"\xD0\xCF\x11\xE0");
    let bytes = zip.finish().unwrap().into_inner();

    let (tables, problems) = read("Export.ZIP", &bytes);
    let named: Vec<_> = tables
        .iter()
        .map(|t| format!("{} {:?} {}", t.file, t.sheet, t.name))
        .collect();
    assert_eq!(
        named,
        [
            "Export.ZIP/export/2026/actuals.csv None actuals",
            "Export.ZIP/export/season.xlsx Some(\"Key Results\") key_results",
            "Export.ZIP/export/season.xlsx Some(\"Targets\") targets",
            "Export.ZIP/export/targets.csv None targets",
        ]
    );
    assert_eq!(cells(&tables[0]), [row(3, &["VNM", "K1", "2026", "4"])]);
    let problems: Vec<_> = problems.iter().map(said).collect();
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(problems[0].starts_with("Export.ZIP/export/old.xls||||this file is not read"));
    assert!(problems[0].contains("Excel Workbook (.xlsx)"));
    assert!(problems[1].starts_with("Export.ZIP/export/season.xlsx|Key Results|6|"));
}

#[test]
fn other_files_are_problems_naming_what_is_read() {
    let (tables, problems) = read("notes.txt", b"iso3\nVNM\n");
    assert!(tables.is_empty());
    assert_eq!(
        said(&problems[0]),
        "notes.txt||||this file is not read: import .csv (UTF-8), .xlsx or .zip files; in \
         Excel, save it as \"CSV UTF-8 (Comma delimited)\""
    );
    let (_, problems) = read("season.xlsx", b"iso3,year\n");
    assert!(
        said(&problems[0]).starts_with("season.xlsx||||it cannot be read as an .xlsx workbook"),
        "{:?}",
        problems[0]
    );
    let (_, problems) = read("export.zip", b"iso3,year\n");
    assert!(said(&problems[0]).starts_with("export.zip||||cannot be read as a .zip archive"));
}

#[test]
fn a_folder_gives_its_csv_and_xlsx_files_sorted() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "b.csv",
        "a.XLSX",
        "~$a.xlsx",
        ".hidden.csv",
        "notes.txt",
        "c.zip",
    ] {
        std::fs::write(dir.path().join(name), name).unwrap();
    }
    std::fs::create_dir(dir.path().join("sub.csv")).unwrap();
    let names: Vec<_> = Source::read(dir.path())
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["a.XLSX", "b.csv"]);

    let zip = dir.path().join("c.zip");
    assert_eq!(Source::read(&zip).unwrap()[0].bytes, b"c.zip");
    let e = Source::read(&dir.path().join("notes.txt"))
        .map(drop)
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("import .csv (UTF-8), .xlsx or .zip files"),
        "{e}"
    );
    let e = Source::read(&dir.path().join("missing.csv"))
        .map(drop)
        .unwrap_err();
    assert!(e.to_string().ends_with("missing.csv does not exist"), "{e}");
    let empty = tempfile::tempdir().unwrap();
    let e = Source::read(empty.path()).map(drop).unwrap_err();
    assert!(
        e.to_string().ends_with("holds no .csv or .xlsx files"),
        "{e}"
    );
}

#[test]
fn a_zip_entry_is_inflated_only_up_to_the_limit() {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("big.csv", options).unwrap();
    zip.write_all(&[b'9'; 5000]).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
    assert_eq!(
        inflate(&mut archive, 0, 1000).unwrap_err(),
        "larger than 1000 bytes once unpacked; split it into smaller files"
    );
    assert_eq!(inflate(&mut archive, 0, 5000).unwrap().len(), 5000);
}

#[test]
fn serials_in_csv_date_columns_become_iso_and_a_lone_column_is_a_table() {
    let text = "iso3,kr_code,year,value,Reported at\n\
                VNM,K1,2026,4,46052.385416667\n\
                VNM,K2,2026,5,2026-01-30T09:15:00+07:00\n\
                VNM,K3,2026,6,61\n";
    let (tables, problems) = read("actuals.csv", text.as_bytes());
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(header(&tables[0])[4], "reported_at");
    let stamps: Vec<_> = tables[0]
        .records
        .iter()
        .map(|(_, r)| r[4].to_owned())
        .collect();
    assert_eq!(
        stamps,
        [
            "2026-01-30T09:15:00Z",
            "2026-01-30T09:15:00+07:00",
            "1900-03-01T00:00:00Z"
        ]
    );

    let (tables, problems) = read("members.csv", b"Members\n\nVNM\nTHA\n");
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(header(&tables[0]), ["members"]);
    assert_eq!(cells(&tables[0]), [row(3, &["VNM"]), row(4, &["THA"])]);
}
