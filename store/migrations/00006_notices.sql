-- Notices for the supervisor about edits HQ answered but did not apply (superseded: HQ had a newer
-- version of the site or account). One per record; the supervisor reads them on the site
-- management screen and with `kiosk notices`.

-- +goose Up
CREATE TABLE notices (
    record_id    TEXT    PRIMARY KEY,
    kind         TEXT    NOT NULL,
    subject_id   TEXT    NOT NULL,
    subject_name TEXT    NOT NULL,
    code         TEXT    NOT NULL,
    message      TEXT    NOT NULL,
    at           INTEGER NOT NULL
);

-- +goose Down
DROP TABLE notices;
