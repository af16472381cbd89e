-- Records HQ re-checked on arrival and lists for an operator: an assisted registration (or a
-- check without a code) of a person whose status at HQ is not green. Portable SQL, as 00001.

-- +goose Up
CREATE TABLE rechecks (
	record_id     TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	device_id     TEXT NOT NULL,
	site_id       TEXT NOT NULL,
	staff_id      TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	person_id     TEXT NOT NULL,
	id_masked     TEXT NOT NULL,
	status        TEXT NOT NULL,
	reason        TEXT NOT NULL,
	kiosk_verdict TEXT NOT NULL,
	kiosk_reasons TEXT NOT NULL,
	listed_at     TEXT NOT NULL
);
CREATE INDEX rechecks_listed_at ON rechecks (listed_at);

-- +goose Down
DROP TABLE rechecks;
