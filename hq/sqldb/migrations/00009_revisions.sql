-- Edits carry the version they were made from (DESIGN §10): every site and staff row has a
-- revision HQ counts up on each change, and the record of the kiosk edit that made it ('' for a
-- change made at HQ). An edit applies only on top of the revision it names; one that does not is
-- kept in superseded_edits, so that a resend is answered superseded again.
--
-- site_history and staff_history keep every revision with HQ's time of the change (from_at), so
-- that a record is judged by the roster and site tree as they were when it was made. Rows that
-- existed before this migration get from_at '' (since always): that is how they were judged
-- until now.
-- +goose Up
ALTER TABLE sites ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE sites ADD COLUMN revision_record TEXT NOT NULL DEFAULT '';
ALTER TABLE staff ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE staff ADD COLUMN revision_record TEXT NOT NULL DEFAULT '';

CREATE TABLE site_history (
	site_id   TEXT NOT NULL,
	revision  BIGINT NOT NULL,
	parent_id TEXT NOT NULL,
	active    INTEGER NOT NULL,
	from_at   TEXT NOT NULL,
	PRIMARY KEY (site_id, revision)
);
INSERT INTO site_history (site_id, revision, parent_id, active, from_at)
	SELECT id, revision, parent_id, active, '' FROM sites;

CREATE TABLE staff_history (
	staff_id TEXT NOT NULL,
	revision BIGINT NOT NULL,
	site_id  TEXT NOT NULL,
	role     TEXT NOT NULL,
	active   INTEGER NOT NULL,
	from_at  TEXT NOT NULL,
	PRIMARY KEY (staff_id, revision)
);
INSERT INTO staff_history (staff_id, revision, site_id, role, active, from_at)
	SELECT id, revision, site_id, role, active, '' FROM staff;

CREATE TABLE superseded_edits (
	record_id     TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	target_id     TEXT NOT NULL,
	base_revision BIGINT NOT NULL,
	base_record   TEXT NOT NULL,
	revision      BIGINT NOT NULL,
	received_at   TEXT NOT NULL
);

-- Kiosks hold sites and staff datasets without revisions: send them again.
UPDATE datasets SET version = version + 1 WHERE name IN ('sites', 'staff');

-- +goose Down
DROP TABLE superseded_edits;
DROP TABLE staff_history;
DROP TABLE site_history;
ALTER TABLE staff DROP COLUMN revision_record;
ALTER TABLE staff DROP COLUMN revision;
ALTER TABLE sites DROP COLUMN revision_record;
ALTER TABLE sites DROP COLUMN revision;
