-- Accreditations, GP 2.0 themes and initiatives, trainings (issue 23).
-- migrations/postgres/0008_platforms.sql is the same in the other dialect; keep the two in
-- step. Each record is also logged whole in the audit log (so any revision can be replayed);
-- these tables are the current state.

-- Accreditations of members' bodies. criteria_scores is a JSON object (criterion → score).
CREATE TABLE accreditations (
    id              TEXT PRIMARY KEY NOT NULL,
    iso3            TEXT NOT NULL REFERENCES members (iso3),
    body            TEXT NOT NULL,
    body_kind       TEXT NOT NULL CHECK (body_kind IN ('npo', 'other')),
    scheme          TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('applied', 'under_assessment', 'accredited',
                                                    'renewal_due', 'expired', 'withdrawn')),
    applied_on      TEXT,
    assessment_date TEXT,
    criteria_scores TEXT NOT NULL DEFAULT '{}',
    certificate     TEXT,
    conferred_on    TEXT,
    occasion        TEXT,
    valid_until     TEXT,
    note            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX accreditations_by_member ON accreditations (iso3);

-- GP 2.0 themes: the five built in, and those the Secretariat adds.
CREATE TABLE gp_themes (
    id       TEXT PRIMARY KEY NOT NULL,
    label    TEXT NOT NULL,
    position INTEGER NOT NULL
);
INSERT INTO gp_themes (id, label, position) VALUES
    ('energy_efficiency', 'Energy efficiency', 0),
    ('circular_economy', 'Circular economy', 1),
    ('green_supply_chains', 'Green supply chains', 2),
    ('eco_products', 'Eco-products', 3),
    ('sustainable_agriculture', 'Sustainable agriculture', 4);

-- GP 2.0 initiatives of members, and their outcomes by metric and year.
CREATE TABLE gp_initiatives (
    id         TEXT PRIMARY KEY NOT NULL,
    iso3       TEXT NOT NULL REFERENCES members (iso3),
    title      TEXT NOT NULL,
    theme      TEXT NOT NULL REFERENCES gp_themes (id),
    type       TEXT NOT NULL,
    sector     TEXT NOT NULL,
    start_year INTEGER NOT NULL,
    end_year   INTEGER NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('planned', 'ongoing', 'completed', 'cancelled'))
);
CREATE INDEX gp_initiatives_by_member ON gp_initiatives (iso3);
CREATE TABLE gp_outcomes (
    initiative TEXT NOT NULL REFERENCES gp_initiatives (id) ON DELETE CASCADE,
    metric     TEXT NOT NULL,
    year       INTEGER NOT NULL,
    value      REAL NOT NULL,
    PRIMARY KEY (initiative, metric, year)
);

-- Trainings delivered: counts only, no personal data.
CREATE TABLE trainings (
    id                    TEXT PRIMARY KEY NOT NULL,
    iso3                  TEXT NOT NULL REFERENCES members (iso3),
    title                 TEXT NOT NULL,
    provider              TEXT NOT NULL,
    sector                TEXT NOT NULL,
    topic                 TEXT NOT NULL,
    start_date            TEXT NOT NULL,
    end_date              TEXT NOT NULL,
    mode                  TEXT NOT NULL CHECK (mode IN ('in_person', 'online', 'blended')),
    hours                 REAL NOT NULL,
    government            INTEGER NOT NULL,
    enterprises           INTEGER NOT NULL,
    universities          INTEGER NOT NULL,
    female                INTEGER NOT NULL,
    male                  INTEGER NOT NULL,
    unspecified           INTEGER NOT NULL,
    smes                  INTEGER NOT NULL,
    certified_specialists INTEGER NOT NULL
);
CREATE INDEX trainings_by_member ON trainings (iso3, end_date);
