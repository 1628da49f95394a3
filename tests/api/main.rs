//! Integration tests: the real server on port 0, over SQLite and over PostgreSQL, driven over
//! HTTP (and the binary itself in `cli`). Every test runs on both backends.

mod helpers;

mod actuals;
mod bad_input;
mod cli;
mod import;
mod primers;
mod reference;
mod revisions;
