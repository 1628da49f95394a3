-- Access control (issue 17). migrations/postgres/0002_access.sql is the same in PostgreSQL's
-- dialect; keep the two in step. Secrets are never stored: a credential keeps the SHA-256 of its
-- secret part only. The exception is a workshop's join code, which is not a secret: the wall
-- projects it to the room, and it only lets a phone read.

-- Who made each change, as the credential said (the columns of older rows are empty).
ALTER TABLE audit_log ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN scope TEXT;
ALTER TABLE audit_log ADD COLUMN credential TEXT;
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
-- The member the changed entity belongs to (NULL for APO-wide budgets), for filtering.
ALTER TABLE audit_log ADD COLUMN member TEXT;
CREATE INDEX audit_by_member ON audit_log (member, rev);

CREATE TABLE workshops (
    id         TEXT PRIMARY KEY NOT NULL,
    title      TEXT NOT NULL,
    join_code  TEXT NOT NULL UNIQUE,
    opened_at  TEXT NOT NULL,
    opened_by  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    closed_at  TEXT
);

-- Tokens (bearer, for people and scripts), delegation cards (one-time, a workshop's) and links
-- (a viewer's grant, a one-time sign-in). `id` is public: it is the first part of the secret
-- as given out, and what `token revoke` names.
CREATE TABLE credentials (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('token', 'card', 'link')),
    secret_hash TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('secretariat', 'editor', 'viewer', 'metrics')),
    member      TEXT REFERENCES members (iso3),
    label       TEXT NOT NULL,
    workshop    TEXT REFERENCES workshops (id),
    one_time    INTEGER NOT NULL CHECK (one_time IN (0, 1)),
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    expires_at  TEXT,
    used_at     TEXT,
    revoked_at  TEXT,
    CHECK ((role = 'editor') = (member IS NOT NULL))
);

-- Browser sessions, each made from a credential (a token signed in, a card or code joined).
CREATE TABLE sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT NOT NULL,
    credential  TEXT NOT NULL REFERENCES credentials (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX sessions_by_credential ON sessions (credential);

-- Bumped by every change to the three tables above, so that every replica hears of a
-- revocation, a closed workshop or a sign-out within its next look.
CREATE TABLE access_revision (
    id  INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    rev INTEGER NOT NULL
);
INSERT INTO access_revision (id, rev) VALUES (1, 0);
