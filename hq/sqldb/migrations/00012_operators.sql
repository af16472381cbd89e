-- The operator console (hq/console): operator accounts, their sessions, and the append-only
-- audit log of every change made through the console or the admin API. Operators are HQ's
-- staff, not citizens: their names and client addresses are kept as they are. No column of
-- audit_log holds a citizen's ID number or phone number: sqldb masks them before writing.
-- Every statement is plain SQL that SQLite and PostgreSQL read alike.
-- +goose Up
CREATE TABLE operators (
	name           TEXT PRIMARY KEY,
	role           TEXT NOT NULL,
	password_hash  TEXT NOT NULL,
	totp_secret    TEXT NOT NULL,
	totp_confirmed INTEGER NOT NULL,
	totp_last_step BIGINT NOT NULL,
	setup_hash     TEXT NOT NULL,
	setup_until    TEXT NOT NULL,
	active         INTEGER NOT NULL,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL
);
CREATE INDEX operators_setup ON operators (setup_hash);

-- Sessions: only the SHA-256 of the token is stored.
CREATE TABLE operator_sessions (
	token_hash TEXT PRIMARY KEY,
	operator   TEXT NOT NULL,
	created_at TEXT NOT NULL,
	seen_at    TEXT NOT NULL,
	idle_until TEXT NOT NULL,
	max_until  TEXT NOT NULL
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator);
CREATE INDEX operator_sessions_max ON operator_sessions (max_until);

-- The audit log: rows are only ever inserted. id sorts by time (hex nanoseconds, then random).
CREATE TABLE audit_log (
	id          TEXT PRIMARY KEY,
	at          TEXT NOT NULL,
	operator    TEXT NOT NULL,
	role        TEXT NOT NULL,
	action      TEXT NOT NULL,
	object      TEXT NOT NULL,
	before_json TEXT NOT NULL,
	after_json  TEXT NOT NULL,
	client_addr TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE operator_sessions;
DROP TABLE operators;
