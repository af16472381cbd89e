-- Pseudonyms, not hashes (DESIGN §9, docs/SECURITY.md "A stolen kiosk"). The kiosk no longer
-- holds a key that turns a masked ID number or phone back into the number:
--   * entries link a person by the holder id their code carries, not by a keyed hash of the ID
--     number; old hashes are dropped (without the key they link nothing here).
--   * the settings dataset loses person_hash_key, and its cursor is reset so the next pull
--     fetches the new settings (with the staff salt) whatever version HQ is at.
--   * the staff roster is found by a slow salted hash of the phone (phone_lookup) with no masked
--     phone beside it; the old roster (HMAC + masked phone) is dropped and pulled again.
-- The writer runs with secure_delete, so the dropped bytes are overwritten, not left in free pages.

-- +goose Up
UPDATE entries SET person_hash = NULL;
DROP INDEX entries_person_at;
ALTER TABLE entries RENAME COLUMN person_hash TO holder_id;
CREATE INDEX entries_holder_at ON entries (holder_id, at) WHERE holder_id IS NOT NULL;

UPDATE datasets SET data = CAST(json_remove(CAST(data AS TEXT), '$.person_hash_key') AS BLOB), version = 0
    WHERE name = 'settings';

DROP TABLE staff;
CREATE TABLE staff (
    id           TEXT    PRIMARY KEY,
    phone_lookup TEXT    NOT NULL,
    data         BLOB    NOT NULL,
    record_id    TEXT
);
CREATE INDEX staff_phone_lookup ON staff (phone_lookup);
DELETE FROM datasets WHERE name = 'staff';
DELETE FROM login_failures;

-- +goose Down
DROP TABLE staff;
CREATE TABLE staff (
    id         TEXT    PRIMARY KEY,
    phone_hash TEXT    NOT NULL,
    data       BLOB    NOT NULL,
    record_id  TEXT
);
CREATE INDEX staff_phone_hash ON staff (phone_hash);
DELETE FROM datasets WHERE name = 'staff';
DROP INDEX entries_holder_at;
ALTER TABLE entries RENAME COLUMN holder_id TO person_hash;
UPDATE entries SET person_hash = NULL;
CREATE INDEX entries_person_at ON entries (person_hash, at) WHERE person_hash IS NOT NULL;
