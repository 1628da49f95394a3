//! GET /productivity and /productivity/series against hand computations from the CSV.
