-- The APO dashboard's data model (PostgreSQL). migrations/sqlite/0001_initial.sql is the same model
-- in SQLite's dialect; keep the two in step. Timestamps are RFC 3339 UTC text with a fixed
-- width (2026-01-30T09:00:00.000000Z), so that they sort as text on both backends.

-- Reference data, seeded by the service from data/members.csv and the domain module.
CREATE TABLE members (
    iso3       TEXT PRIMARY KEY NOT NULL,
    iso_num    TEXT NOT NULL,
    name       TEXT NOT NULL,
    short_name TEXT NOT NULL
);
CREATE TABLE pillars (
    id   BIGINT PRIMARY KEY NOT NULL CHECK (id BETWEEN 1 AND 4),
    name TEXT NOT NULL
);
CREATE TABLE cycles (
    code       TEXT PRIMARY KEY NOT NULL,
    first_year BIGINT NOT NULL,
    last_year  BIGINT NOT NULL
);

-- The global, monotonic revision: one row, bumped first thing in every write transaction, so
-- that writers serialise on it and commit order equals revision order.
CREATE TABLE revision (
    id  BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    rev BIGINT NOT NULL
);
INSERT INTO revision (id, rev) VALUES (1, 0);

CREATE TABLE primers (
    iso3             TEXT PRIMARY KEY NOT NULL REFERENCES members (iso3),
    cycle            TEXT NOT NULL REFERENCES cycles (code),
    status           TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'endorsed')),
    national_context TEXT NOT NULL,
    endorsed_on      TEXT,
    updated_rev      BIGINT NOT NULL,
    updated_at       TEXT NOT NULL
);

CREATE TABLE focus_areas (
    iso3     TEXT NOT NULL REFERENCES primers (iso3),
    position BIGINT NOT NULL,
    label    TEXT NOT NULL,
    PRIMARY KEY (iso3, position)
);

CREATE TABLE key_results (
    iso3           TEXT NOT NULL REFERENCES primers (iso3),
    code           TEXT NOT NULL,
    position       BIGINT NOT NULL,
    pillar         BIGINT NOT NULL REFERENCES pillars (id),
    focus_area     TEXT NOT NULL,
    title          TEXT NOT NULL,
    unit           TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('increase', 'decrease')),
    baseline_year  BIGINT,
    baseline_value DOUBLE PRECISION,
    weight         DOUBLE PRECISION NOT NULL CHECK (weight > 0),
    PRIMARY KEY (iso3, code)
);

CREATE TABLE targets (
    iso3    TEXT NOT NULL,
    kr_code TEXT NOT NULL,
    year    BIGINT NOT NULL,
    target  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (iso3, kr_code, year),
    FOREIGN KEY (iso3, kr_code) REFERENCES key_results (iso3, code)
);

-- Append-only: a new report never overwrites an old one; the latest by reported_at (then rev)
-- is the current value.
CREATE TABLE actuals (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    iso3        TEXT NOT NULL,
    kr_code     TEXT NOT NULL,
    year        BIGINT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    reported_at TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    rev         BIGINT NOT NULL,
    FOREIGN KEY (iso3, kr_code) REFERENCES key_results (iso3, code)
);
CREATE INDEX actuals_by_kr ON actuals (iso3, kr_code, year, reported_at);
CREATE INDEX actuals_by_rev ON actuals (rev);

-- Budgets per pillar and year; scope is a member's ISO3 or '' for APO-wide rows.
CREATE TABLE budgets (
    pillar  BIGINT NOT NULL REFERENCES pillars (id),
    year    BIGINT NOT NULL,
    scope   TEXT NOT NULL,
    planned DOUBLE PRECISION NOT NULL,
    spent   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (pillar, year, scope)
);

CREATE TABLE projects (
    code       TEXT PRIMARY KEY NOT NULL,
    title      TEXT NOT NULL,
    program    TEXT NOT NULL,
    year       BIGINT NOT NULL,
    pillar     BIGINT NOT NULL REFERENCES pillars (id),
    status     TEXT NOT NULL,
    host_iso3  TEXT NOT NULL REFERENCES members (iso3),
    start_date TEXT,
    end_date   TEXT
);

-- Yearly productivity series per member, named as in Penn World Table (rgdpo, emp, avh, ...).
CREATE TABLE series (
    iso3   TEXT NOT NULL REFERENCES members (iso3),
    series TEXT NOT NULL,
    year   BIGINT NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (iso3, series, year)
);

-- Every change, written in the same transaction as the change: who, when, what, old and new
-- value (JSON text). It is also the append-only log from which past revisions are rebuilt.
CREATE TABLE audit_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rev        BIGINT NOT NULL,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    entity     TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    old_value  TEXT,
    new_value  TEXT
);
CREATE INDEX audit_by_rev ON audit_log (rev);
