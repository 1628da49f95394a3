//! The APO Productivity Dashboard service.
//!
//! APO's 21 member economies draft Strategic Partnership Program primers for 2026–28 and report
//! progress on their key results; this service takes those in (REST API, imports), stores them
//! (SQLite or PostgreSQL), and serves them.
//!
//! # Layout
//!
//! - [`config`]: typed configuration of each command, from flags and the environment.
//! - [`telemetry`]: tracing, initialised once per process.
//! - [`startup`]: [`startup::Application`]: opens the store, loads demo data, binds, serves
//!   until a shutdown signal; tests build one on port 0.
//! - [`domain`]: validating newtypes of the vocabulary (`Iso3`, `Pillar`, `Year`, `KrCode`,
//!   `ProjectCode`, `Finite`) and the primer workflow.
//! - [`model`]: the records stored and served, which are also the rows of the import files.
//! - [`error`]: the one error type, its HTTP status and JSON body.
//! - [`store`]: the only module with SQL: both backends, migrations, the global revision, the
//!   audit log.
//! - [`http`]: the REST API, one file per resource, and the OpenAPI document built from it.
//! - [`aggregator`]: the task that keeps the dashboard current and publishes patches.
//! - [`analytics`]: the only polars code: the dashboard's numbers and productivity measures.
//! - [`live`]: the hub that serializes each patch once and fans it out to the sockets.
//! - [`import`]: primer workbooks (CSV tables) and series files, all-or-nothing and idempotent.
//! - [`demo`]: the demo data set embedded in the binary, for `serve --demo`.
//! - [`loadgen`]: `apo-dashboard bench live`, the live endpoint's load generator.
//! - [`cli`]: the `apo-dashboard` command line.

pub mod aggregator;
pub mod analytics;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod import;
pub mod live;
pub mod loadgen;
pub mod model;
pub mod startup;
pub mod store;
pub mod telemetry;
