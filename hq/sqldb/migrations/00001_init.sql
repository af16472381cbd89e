-- HQ schema. Portable SQL: it runs unchanged on SQLite and PostgreSQL (tested on 15; Citus:
-- docs/HQ.md "Scaling out"). Ids are strings; times are fixed-width UTC text
-- (2006-01-02T15:04:05.000000000Z) so they compare as text; booleans are INTEGER 0/1.
-- BYTEA is PostgreSQL's byte type; SQLite gives it NUMERIC affinity, which
-- stores bound []byte values as BLOBs untouched.

-- +goose Up
CREATE TABLE sites (
	id         TEXT PRIMARY KEY,
	parent_id  TEXT NOT NULL,
	name       TEXT NOT NULL,
	address    TEXT NOT NULL,
	contact    TEXT NOT NULL,
	phone      TEXT NOT NULL,
	division   TEXT NOT NULL,
	remarks    TEXT NOT NULL,
	active     INTEGER NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE staff (
	id            TEXT PRIMARY KEY,
	phone_hash    TEXT NOT NULL,
	phone_masked  TEXT NOT NULL,
	name_masked   TEXT NOT NULL,
	role          TEXT NOT NULL,
	site_id       TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	active        INTEGER NOT NULL,
	updated_at    TEXT NOT NULL
);
CREATE INDEX staff_phone_hash ON staff (phone_hash);

CREATE TABLE devices (
	id          TEXT PRIMARY KEY,
	name        TEXT NOT NULL,
	site_id     TEXT NOT NULL,
	secret_hash TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	revoked     INTEGER NOT NULL
);

CREATE TABLE enroll_codes (
	code_hash  TEXT PRIMARY KEY,
	site_id    TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	used_at    TEXT NOT NULL,
	device_id  TEXT NOT NULL
);

CREATE TABLE records (
	id           TEXT PRIMARY KEY,
	kind         TEXT NOT NULL,
	device_id    TEXT NOT NULL,
	site_id      TEXT NOT NULL,
	staff_id     TEXT NOT NULL,
	created_at   TEXT NOT NULL,
	body         BYTEA NOT NULL,
	content_hash TEXT NOT NULL,
	received_at  TEXT NOT NULL
);

CREATE TABLE datasets (
	name    TEXT PRIMARY KEY,
	version BIGINT NOT NULL
);
INSERT INTO datasets (name, version) VALUES
	('trust', 1), ('revocations', 1), ('risk_areas', 1), ('staff', 1), ('sites', 1), ('settings', 1);

CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

CREATE TABLE counters (
	name  TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);

CREATE TABLE issuing_keys (
	id          TEXT PRIMARY KEY,
	private_key TEXT NOT NULL,
	public_key  TEXT NOT NULL,
	not_before  TEXT NOT NULL,
	not_after   TEXT NOT NULL,
	retired_at  TEXT NOT NULL,
	created_at  TEXT NOT NULL
);

CREATE TABLE people (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	id_masked  TEXT NOT NULL,
	id_hash    TEXT NOT NULL,
	household  TEXT NOT NULL,
	status     TEXT NOT NULL,
	reason     TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX people_id_hash ON people (id_hash);

CREATE TABLE codes (
	id         TEXT PRIMARY KEY,
	person_id  TEXT NOT NULL,
	kind       TEXT NOT NULL,
	key_id     TEXT NOT NULL,
	status     TEXT NOT NULL,
	issued_at  TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	revoked    INTEGER NOT NULL,
	revoked_at TEXT NOT NULL
);
CREATE INDEX codes_person ON codes (person_id);
CREATE INDEX codes_revoked ON codes (revoked);

-- +goose Down
DROP TABLE codes;
DROP TABLE people;
DROP TABLE issuing_keys;
DROP TABLE counters;
DROP TABLE settings;
DROP TABLE datasets;
DROP TABLE records;
DROP TABLE enroll_codes;
DROP TABLE devices;
DROP TABLE staff;
DROP TABLE sites;
