//! Two replicas behind a reverse proxy (being written).
