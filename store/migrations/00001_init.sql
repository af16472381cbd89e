-- The kiosk's schema. Times are INTEGER unix milliseconds (UTC); ids are UUIDv7 text.

-- +goose Up

-- outbox holds every record the kiosk made, as the exact envelope bytes that go to HQ.
-- seq is the send order; state: 0 pending, 1 synced (HQ has it), 2 quarantined (HQ refused it).
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY,
    id             TEXT    NOT NULL UNIQUE,
    kind           TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    envelope       BLOB    NOT NULL,
    state          INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
    synced_at      INTEGER,
    quarantined_at INTEGER,
    error          TEXT    NOT NULL DEFAULT '',
    message        TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_state_seq ON outbox (state, seq);
CREATE INDEX outbox_state_created ON outbox (state, created_at);

-- entries is the local log of checks and assisted registrations, for the supervisor's log
-- screen, exports and "already checked here" lookups. Masked values only.
CREATE TABLE entries (
    id           TEXT    PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('check', 'registration')),
    at           INTEGER NOT NULL,
    site_id      TEXT    NOT NULL,
    staff_id     TEXT    NOT NULL,
    verdict      TEXT    NOT NULL,
    reasons      TEXT    NOT NULL DEFAULT '[]',
    name_masked  TEXT    NOT NULL DEFAULT '',
    id_masked    TEXT    NOT NULL DEFAULT '',
    phone_masked TEXT    NOT NULL DEFAULT '',
    household    TEXT    NOT NULL DEFAULT '',
    code_status  TEXT    NOT NULL DEFAULT '',
    temp_tenths  INTEGER NOT NULL DEFAULT 0,
    remarks      TEXT    NOT NULL DEFAULT '',
    code_id      TEXT,
    person_hash  TEXT
);
CREATE INDEX entries_at ON entries (at);
CREATE INDEX entries_site_at ON entries (site_id, at);
CREATE INDEX entries_staff_at ON entries (staff_id, at);
CREATE INDEX entries_verdict_at ON entries (verdict, at);
CREATE INDEX entries_person_at ON entries (person_hash, at) WHERE person_hash IS NOT NULL;
CREATE INDEX entries_code_at ON entries (code_id, at) WHERE code_id IS NOT NULL;

-- datasets holds each configuration dataset pulled from HQ, raw, with its version.
CREATE TABLE datasets (
    name       TEXT    PRIMARY KEY,
    version    INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- sites and staff are the "sites" and "staff" datasets unpacked for lookups, plus the
-- supervisor's local edits (record_id: the site_edit or staff_add record that made the row).
-- A dataset from HQ replaces every row except local ones whose record HQ has not yet acknowledged.
CREATE TABLE sites (
    id        TEXT    PRIMARY KEY,
    parent_id TEXT    NOT NULL DEFAULT '',
    data      BLOB    NOT NULL,
    record_id TEXT
);
CREATE INDEX sites_parent ON sites (parent_id);

CREATE TABLE staff (
    id         TEXT    PRIMARY KEY,
    phone_hash TEXT    NOT NULL,
    data       BLOB    NOT NULL,
    record_id  TEXT
);
CREATE INDEX staff_phone_hash ON staff (phone_hash);

CREATE TABLE login_failures (
    staff_id TEXT    NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX login_failures_staff_at ON login_failures (staff_id, at);

-- device and sync_state have one row each.
CREATE TABLE device (
    one         INTEGER PRIMARY KEY CHECK (one = 1),
    id          TEXT    NOT NULL,
    secret      TEXT    NOT NULL,
    site_id     TEXT    NOT NULL,
    hq_url      TEXT    NOT NULL,
    enrolled_at INTEGER NOT NULL
);

CREATE TABLE sync_state (
    one          INTEGER PRIMARY KEY CHECK (one = 1),
    last_success INTEGER NOT NULL DEFAULT 0,
    last_attempt INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE sync_state;
DROP TABLE device;
DROP TABLE login_failures;
DROP TABLE staff;
DROP TABLE sites;
DROP TABLE datasets;
DROP TABLE entries;
DROP TABLE outbox;
