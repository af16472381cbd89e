-- HQ's root key chain: the public halves only (the private root key lives in a key file or the
-- environment, never here). seq 1 is the first root; every later row carries the link (JSON
-- checkpoint.RootLink) by which the row before it handed over.

-- +goose Up
CREATE TABLE root_keys (
	seq        INTEGER PRIMARY KEY,
	root_id    TEXT NOT NULL UNIQUE,
	public_key TEXT NOT NULL,
	link       TEXT NOT NULL,
	created_at TEXT NOT NULL
);

-- +goose Down
DROP TABLE root_keys;
