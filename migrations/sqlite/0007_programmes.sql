-- Project notifications, BCN exchanges and Centers of Excellence (issue 22).
-- migrations/postgres/0007_programmes.sql is the same in PostgreSQL's dialect; keep the two in
-- step. A project becomes a whole notification: scalar fields as columns, its long texts and
-- the lists nothing queries in one JSON column (`notice`), the lists that are queried (members,
-- closing dates, budget rows, key results) in tables of their own.

-- host_iso3 may now be empty (several hosts, or all members): SQLite rebuilds the table.
CREATE TABLE projects_new (
    code          TEXT PRIMARY KEY NOT NULL,
    title         TEXT NOT NULL,
    program       TEXT NOT NULL,
    year          INTEGER NOT NULL,
    pillar        INTEGER NOT NULL REFERENCES pillars (id),
    status        TEXT NOT NULL,
    host_iso3     TEXT REFERENCES members (iso3),
    start_date    TEXT,
    end_date      TEXT,
    reference     INTEGER,
    issued        TEXT,
    modality      TEXT,
    open_all_year TEXT NOT NULL DEFAULT '',
    notice        TEXT NOT NULL DEFAULT '{}'
);
INSERT INTO projects_new (code, title, program, year, pillar, status, host_iso3, start_date,
                          end_date)
    SELECT code, title, program, year, pillar, status, host_iso3, start_date, end_date
    FROM projects;
DROP TABLE projects;
ALTER TABLE projects_new RENAME TO projects;

-- Hosting and participating members of a project, in its order; '*' stands for every member.
CREATE TABLE project_members (
    code     TEXT NOT NULL REFERENCES projects (code),
    role     TEXT NOT NULL CHECK (role IN ('host', 'participant')),
    position INTEGER NOT NULL,
    iso3     TEXT NOT NULL,
    PRIMARY KEY (code, role, position)
);
CREATE INDEX project_members_by_member ON project_members (iso3);
INSERT INTO project_members (code, role, position, iso3)
    SELECT code, 'host', 0, host_iso3 FROM projects WHERE host_iso3 IS NOT NULL;

-- Closing dates with their remarks; `closes` is what they close (applications, proposals, any).
CREATE TABLE project_closing_dates (
    code     TEXT NOT NULL REFERENCES projects (code),
    position INTEGER NOT NULL,
    date     TEXT NOT NULL,
    remark   TEXT NOT NULL,
    closes   TEXT NOT NULL CHECK (closes IN ('applications', 'proposals', 'any')),
    PRIMARY KEY (code, position)
);

-- A project's part of the pillar budgets (a breakdown, never added to them); scope is a
-- member's ISO3 or '' for the regional part.
CREATE TABLE project_budgets (
    code   TEXT NOT NULL REFERENCES projects (code),
    year   INTEGER NOT NULL,
    scope  TEXT NOT NULL,
    amount REAL NOT NULL,
    PRIMARY KEY (code, year, scope)
);
CREATE INDEX project_budgets_by_year ON project_budgets (year);

-- The key results a project contributes to (checked to exist when written).
CREATE TABLE project_key_results (
    code     TEXT NOT NULL REFERENCES projects (code),
    position INTEGER NOT NULL,
    iso3     TEXT NOT NULL,
    kr_code  TEXT NOT NULL,
    PRIMARY KEY (code, position)
);

-- BCN exchanges applied for under a BCN notification.
CREATE TABLE bcn_applications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    project      TEXT NOT NULL REFERENCES projects (code),
    sender       TEXT NOT NULL REFERENCES members (iso3),
    host         TEXT NOT NULL REFERENCES members (iso3),
    topic        TEXT NOT NULL,
    modality     TEXT NOT NULL,
    participants INTEGER NOT NULL,
    start_date   TEXT NOT NULL,
    end_date     TEXT NOT NULL,
    level        TEXT NOT NULL,
    closing_date TEXT,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    reason       TEXT,
    filed_on     TEXT NOT NULL,
    filed_rev    INTEGER NOT NULL,
    decided_rev  INTEGER
);
CREATE INDEX bcn_applications_by_project ON bcn_applications (project, closing_date);

-- The registry of Centers of Excellence, and the Secretariat's assessments of each.
CREATE TABLE coes (
    id          TEXT PRIMARY KEY NOT NULL,
    iso3        TEXT NOT NULL REFERENCES members (iso3),
    institution TEXT NOT NULL,
    area        TEXT NOT NULL,
    designated  TEXT NOT NULL
);
CREATE TABLE coe_assessments (
    coe      TEXT NOT NULL REFERENCES coes (id),
    position INTEGER NOT NULL,
    date     TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('hold', 'advance')),
    note     TEXT NOT NULL,
    rev      INTEGER NOT NULL,
    PRIMARY KEY (coe, position)
);

-- Proposals by existing COEs and applications for new ones, under a COE notification.
CREATE TABLE coe_proposals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    coe          TEXT REFERENCES coes (id),
    iso3         TEXT NOT NULL REFERENCES members (iso3),
    project      TEXT NOT NULL REFERENCES projects (code),
    title        TEXT NOT NULL,
    closing_date TEXT,
    filed_on     TEXT NOT NULL,
    rev          INTEGER NOT NULL
);
