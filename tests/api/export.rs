//! Exports (the library entry point, `GET /export` and the CLI): the dashboard tables as people read
//! them, and the raw data in the import format.
