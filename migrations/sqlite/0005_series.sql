-- What each series is, beside its values: the label read in a selector and under a chart, its
-- unit and its source (issue 20). Series of any name are stored (a member's own indexes beside
-- Penn World Table's); the Penn World Table series have built-in entries in the code, which a
-- row here overrides.
CREATE TABLE series_catalogue (
    series TEXT PRIMARY KEY,
    label  TEXT NOT NULL,
    unit   TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT ''
);
