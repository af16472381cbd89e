-- 吉事办, the citizen side (hq/citizen): accounts, SMS codes and their send log, failed logins
-- and sessions. No column holds a phone number, an ID number or a name in the clear: phones and
-- ID numbers are HQ's keyed hashes (the people.id_hash key), name and ID number are sealed
-- (AES-256-GCM bound to the account id) for issuing codes, and masked forms are kept for display.
-- Every statement is plain SQL that SQLite and PostgreSQL read alike.
-- +goose Up
CREATE TABLE citizens (
	id            TEXT PRIMARY KEY,
	phone_hash    TEXT NOT NULL UNIQUE,
	id_hash       TEXT NOT NULL UNIQUE,
	phone_masked  TEXT NOT NULL,
	name_masked   TEXT NOT NULL,
	id_masked     TEXT NOT NULL,
	household     TEXT NOT NULL,
	sealed        TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	updated_at    TEXT NOT NULL
);

-- The live code for (phone, purpose): one row, replaced by every new code.
CREATE TABLE sms_codes (
	phone_hash TEXT NOT NULL,
	purpose    TEXT NOT NULL,
	code_hash  TEXT NOT NULL,
	attempts   INTEGER NOT NULL,
	expires_at TEXT NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (phone_hash, purpose)
);

-- One row per phone that asked for a code: SendCode updates it first, which serialises the
-- sends to one phone across HQ instances while the limits are counted.
CREATE TABLE sms_phones (
	phone_hash TEXT PRIMARY KEY,
	last_at    TEXT NOT NULL
);

-- Every code sent (or answered as sent), for the per-phone and per-address limits. Rows older
-- than a day are pruned.
CREATE TABLE sms_sends (
	phone_hash TEXT NOT NULL,
	id         TEXT NOT NULL,
	addr_hash  TEXT NOT NULL,
	sent_at    TEXT NOT NULL,
	PRIMARY KEY (phone_hash, id)
);
CREATE INDEX sms_sends_phone ON sms_sends (phone_hash, sent_at);
CREATE INDEX sms_sends_addr ON sms_sends (addr_hash, sent_at);
CREATE INDEX sms_sends_at ON sms_sends (sent_at);

-- Failed logins, by key: "phone:" and the phone hash, or "addr:" and the client address hash.
CREATE TABLE login_failures (
	lock_key  TEXT NOT NULL,
	id        TEXT NOT NULL,
	failed_at TEXT NOT NULL,
	PRIMARY KEY (lock_key, id)
);
CREATE INDEX login_failures_key ON login_failures (lock_key, failed_at);
CREATE INDEX login_failures_at ON login_failures (failed_at);

-- Sessions: only the SHA-256 of the token is stored.
CREATE TABLE citizen_sessions (
	token_hash TEXT PRIMARY KEY,
	citizen_id TEXT NOT NULL,
	created_at TEXT NOT NULL,
	seen_at    TEXT NOT NULL,
	idle_until TEXT NOT NULL,
	max_until  TEXT NOT NULL
);
CREATE INDEX citizen_sessions_citizen ON citizen_sessions (citizen_id);
CREATE INDEX citizen_sessions_max ON citizen_sessions (max_until);

-- +goose Down
DROP TABLE citizen_sessions;
DROP TABLE login_failures;
DROP TABLE sms_sends;
DROP TABLE sms_phones;
DROP TABLE sms_codes;
DROP TABLE citizens;
