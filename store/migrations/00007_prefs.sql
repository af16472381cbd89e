-- The kiosk's local preferences, set on its settings screen (sound on or off, ...): one row per
-- key. HQ's rules are datasets, never here.

-- +goose Up
CREATE TABLE prefs (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE prefs;
