-- What a held dataset's signed payload said beyond its version: the content tag of a per-device
-- dataset (staff, sites; the next pull's cursor), HQ's epoch and the issue time (which order
-- datasets across an HQ restore, when versions start again lower). docs/SYNC.md "Cursors".

-- +goose Up
ALTER TABLE datasets ADD COLUMN tag TEXT NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
ALTER TABLE datasets ADD COLUMN issued_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE datasets DROP COLUMN issued_at;
ALTER TABLE datasets DROP COLUMN epoch;
ALTER TABLE datasets DROP COLUMN tag;
