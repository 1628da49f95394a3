//! The APO Productivity Dashboard service.
//!
//! APO's 21 member economies draft Strategic Partnership Program primers for 2026–28 and report
//! progress on their key results; this service takes those in (REST API, browser forms,
//! workbook imports), stores them (SQLite or PostgreSQL), keeps a dashboard document of each
//! cycle year current, and pushes every change to the browsers over a WebSocket.
//!
//! # The path of a change
//!
//! A report posted to `POST /api/v1/actuals`, one line per stop:
//!
//! 1. `http::actuals` parses and validates it into [`model::ActualInput`]s;
//! 2. [`feed::Feed::write`] runs the write: [`store::Write`] appends it in one transaction,
//!    takes the next revision and returns the typed [`records::Change`] it committed;
//! 3. the feed publishes the change and wakes its subscriber;
//! 4. [`aggregator`] takes it from the feed ([`feed::Feed::since`], from memory) and applies
//!    it to each period's [`analytics::current::CurrentDashboard`], which returns the patch's
//!    ops (the new ticker line made by [`analytics::ticker`] among them);
//! 5. [`live::Hub`] encodes the patch once ([`live::protocol`]) and its fan-out tasks write
//!    the same bytes to every socket of the period ([`live::connection`]).
//!
//! The store is entered once and the aggregator once. A change another process committed
//! reaches step 4 through the feed too: heard by LISTEN on PostgreSQL (or found by a look at
//! the revision), read from the log as the same typed value.
//!
//! # Layout
//!
//! Dependencies point down: `http` → `aggregator`, `live` → `analytics` → `records` ←
//! `store` (and `feed` between `store` and `aggregator`). `live::protocol`, the frames' types,
//! depends on `analytics` only: the aggregator builds the patch it publishes with it, and the
//! hub encodes it.
//!
//! - [`access`]: roles, tokens, delegation cards, sessions and workshops: who may do what.
//! - [`config`]: typed configuration of each command, from flags and the environment.
//! - [`clock`]: the server's day (UTC), which closing dates and COE phases are judged by; tests
//!   set it.
//! - [`telemetry`]: tracing, initialised once per process.
//! - [`startup`]: [`startup::Application`]: opens the store, loads demo data, binds, serves
//!   until a shutdown signal; tests build one on port 0.
//! - [`domain`]: validating newtypes of the vocabulary (`Iso3`, `Pillar`, `Year`, `KrCode`,
//!   `ProjectCode`, `Finite`) and the primer workflow.
//! - [`model`]: the records stored and served, which are also the rows of the import files.
//! - [`records`]: the values storage, the feed and analytics pass between them: the typed
//!   [`records::Change`] and the [`records::Facts`] a document is computed from.
//! - [`error`]: the one error type, its HTTP status and JSON body.
//! - [`store`]: the only module with SQL: both backends, migrations, the global revision, the
//!   audit log, NOTIFY and LISTEN.
//! - [`feed`]: the change feed: this process's commits and other processes' revisions, in
//!   order, to the aggregator.
//! - [`http`]: the REST API, one file per resource, and the OpenAPI document built from it.
//! - [`aggregator`]: the task that keeps the dashboard documents current and publishes patches.
//! - [`analytics`]: the only polars code: the dashboard's numbers, the ticker's lines and
//!   productivity measures.
//! - [`live`]: the wire protocol, and the hub that frames each patch once and fans it out.
//! - [`import`]: workbooks (`.xlsx`, folders and `.zip` of CSV tables) and series files, read
//!   as Excel shows them, every problem in one pass, all-or-nothing and idempotent.
//! - [`export`]: the dashboard's tables as people read them and the raw data in the import
//!   format, of one revision, as `.xlsx` or CSV.
//! - [`demo`]: the demo data set embedded in the binary, for `serve --demo`.
//! - [`cli`]: the `apo-dashboard` command line.
//!
//! The load generator is not part of the library or the server: it is `apo-loadgen`, under
//! `benches/loadgen`.

pub mod access;
pub mod aggregator;
pub mod analytics;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod feed;
pub mod http;
pub mod import;
pub mod live;
pub mod memory;
pub mod model;
pub mod records;
pub mod serve;
pub mod startup;
pub mod store;
pub mod telemetry;
