//! `apo-dashboard export`: a folder of CSV files, a zip of one member's, a workbook of another
//! period, and a refusal that writes nothing.

use std::process::Command;

use super::read::{expected_sheets, num, open, read_csv, text, unzip};
use crate::helpers::{Backend, spawn_demo_app};

crate::on_both_backends!(the_command_writes_a_folder_a_zip_and_a_workbook);

const BIN: &str = env!("CARGO_BIN_EXE_apo-dashboard");

async fn the_command_writes_a_folder_a_zip_and_a_workbook(b: Backend) {
    let app = spawn_demo_app(b).await;
    let rev = app.store.current_rev().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .arg("export")
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env_remove("RUST_LOG")
            .output()
            .expect("the binary runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let folder = dir.path().join("export");
    let (ok, stdout, stderr) = run(&["--format", "csv", "--out", folder.to_str().unwrap()]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("revision {rev}")), "{stdout}");
    for sheet in expected_sheets(true) {
        let path = folder.join(format!("{sheet}.csv"));
        assert!(path.is_file(), "{} missing", path.display());
    }
    let primers = read_csv(&std::fs::read(folder.join("primers.csv")).unwrap());
    assert_eq!(
        primers.len() - 1,
        app.get("/primers").await.body.as_array().unwrap().len()
    );

    let zip = dir.path().join("export.zip");
    let (ok, stdout, stderr) = run(&[
        "--format",
        "csv",
        "--out",
        zip.to_str().unwrap(),
        "--iso3",
        "VNM",
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    let files = unzip(&std::fs::read(&zip).unwrap());
    let actuals = &files.iter().find(|(n, _)| n == "actuals.csv").unwrap().1;
    assert!(actuals[1..].iter().all(|r| r[0] == "VNM"));

    let xlsx = dir.path().join("export.xlsx");
    let (ok, stdout, stderr) = run(&[
        "--format",
        "xlsx",
        "--out",
        xlsx.to_str().unwrap(),
        "--period",
        "2027",
    ]);
    assert!(ok, "{stdout}\n{stderr}");
    let book = open(&std::fs::read(&xlsx).unwrap());
    assert_eq!(book.names(), expected_sheets(true));
    let period = book
        .rows("README")
        .iter()
        .find(|r| text(&r[0]) == "Period")
        .map(|r| num(&r[1]));
    assert_eq!(period, Some(2027.0));

    let bad = dir.path().join("bad.xlsx");
    let (ok, _, stderr) = run(&[
        "--format",
        "xlsx",
        "--out",
        bad.to_str().unwrap(),
        "--iso3",
        "ZZZ",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains("iso3") && stderr.contains("ZZZ"),
        "{stderr}"
    );
    assert!(!bad.exists());
    app.stop().await;
}
