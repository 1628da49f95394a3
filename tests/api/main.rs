//! Integration tests: the real server on port 0, over SQLite and over PostgreSQL, driven over
//! HTTP (and the binary itself in `cli`). Every test runs on both backends.

mod helpers;

mod access;
mod accreditations;
mod actuals;
mod backup;
mod bad_input;
mod bcn;
mod cli;
mod coes;
mod conformance;
mod crash;
mod dashboard;
mod derived;
mod export;
mod flood;
mod generated;
mod gp;
mod group_commit;
mod import;
mod live;
mod live_abuse;
mod live_flow;
mod live_serving;
mod metrics;
mod outage;
mod platform_sheets;
mod primers;
mod productivity;
mod projects;
mod reference;
mod replay;
mod replicas;
mod revisions;
mod room;
mod series;
mod site;
mod sqlite_log;
mod trainings;
mod workbook;
