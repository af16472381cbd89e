-- Pseudonyms, not hashes (DESIGN §9, docs/SECURITY.md "A stolen kiosk").
--   * people.holder_id: a random pseudonym per person, carried in every code they get, by which
--     kiosks link and dedupe checks. Not derived from the ID number. People created before this
--     migration get one when their next code is issued ('' until then).
--   * staff.phone_lookup: the slow salted hash of the phone (argon2id, Settings.StaffSalt) that
--     kiosks find a login's account by. HQ can make it only where it knows the phone: accounts
--     created before this migration have '' and are left out of the kiosks' roster until an
--     operator enters the phone again (PUT the account through the admin API).
--   * staff.phone_hash (HQ's own HMAC of the phone, never sent to kiosks) becomes unique: one
--     account per phone number. The migration fails if two accounts already share a phone.
--   * the settings and staff datasets change shape, so their versions move on.
-- Portable SQL: SQLite and PostgreSQL.

-- +goose Up
ALTER TABLE people ADD COLUMN holder_id TEXT NOT NULL DEFAULT '';
CREATE INDEX people_holder_id ON people (holder_id);
ALTER TABLE staff ADD COLUMN phone_lookup TEXT NOT NULL DEFAULT '';
DROP INDEX staff_phone_hash;
CREATE UNIQUE INDEX staff_phone_hash_unique ON staff (phone_hash);
UPDATE datasets SET version = version + 1 WHERE name IN ('settings', 'staff');

-- +goose Down
DROP INDEX staff_phone_hash_unique;
CREATE INDEX staff_phone_hash ON staff (phone_hash);
ALTER TABLE staff DROP COLUMN phone_lookup;
DROP INDEX people_holder_id;
ALTER TABLE people DROP COLUMN holder_id;
