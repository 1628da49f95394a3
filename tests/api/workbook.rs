//! Workbooks from the real world: .xlsx, folders and .zip of CSV files, with their quirks; every
//! problem in one pass at the row Excel shows; export then import reproduces the dashboard.
