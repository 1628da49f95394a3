//! Reading a million-row series file (issue 20, point 4): the readers alone
//! (`import::read::raw_tables`), as CSV (28 MB) and as one `.xlsx` worksheet, beside the csv
//! crate reading the same bytes with nothing else done, as the reference in the same run.
//!
//! Run with `cargo bench --bench read` (release; about a minute). The whole import, database
//! included, is `benches/import.sh`.

use std::hint::black_box;

use apo_dashboard::import::{Source, read::raw_tables};
use criterion::{Criterion, criterion_group, criterion_main};

const ROWS: u32 = 1_000_000;

fn csv_file() -> Vec<u8> {
    use std::fmt::Write;
    let mut text = String::from("iso3,series,year,value\n");
    for i in 0..ROWS {
        let _ = writeln!(
            text,
            "{},tfp_index,{},{}",
            ["VNM", "THA", "IDN", "MYS"][i as usize % 4],
            1950 + i % 75,
            100.0 + f64::from(i % 997) / 8.0
        );
    }
    text.into_bytes()
}

fn xlsx_file() -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("series").unwrap();
    for (c, h) in ["iso3", "series", "year", "value"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for i in 0..ROWS {
        let r = i + 1;
        ws.write_string(r, 0, ["VNM", "THA", "IDN", "MYS"][i as usize % 4])
            .unwrap();
        ws.write_string(r, 1, "tfp_index").unwrap();
        ws.write_number(r, 2, 1950 + i % 75).unwrap();
        ws.write_number(r, 3, 100.0 + f64::from(i % 997) / 8.0)
            .unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// The tables read from one file; panics on any problem (the files are well formed).
fn read(name: &str, bytes: &[u8]) -> usize {
    let (tables, problems) = raw_tables(&[Source {
        name: name.to_owned(),
        bytes: bytes.to_vec(),
    }]);
    assert!(problems.is_empty(), "{problems:?}");
    tables[0].records.len()
}

fn bench(c: &mut Criterion) {
    let csv = csv_file();
    let xlsx = xlsx_file();
    assert_eq!(read("series.csv", &csv), ROWS as usize);
    assert_eq!(read("series.xlsx", &xlsx), ROWS as usize);
    let mut g = c.benchmark_group("read 1,000,000 series rows");
    g.sample_size(10);
    g.bench_function("reference: the csv crate, records only", |b| {
        b.iter(|| {
            let mut reader = csv::Reader::from_reader(black_box(&csv[..]));
            reader.records().filter_map(Result::ok).count()
        })
    });
    g.bench_function("raw_tables, CSV", |b| {
        b.iter(|| read("series.csv", black_box(&csv)))
    });
    g.bench_function("raw_tables, xlsx", |b| {
        b.iter(|| read("series.xlsx", black_box(&xlsx)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
