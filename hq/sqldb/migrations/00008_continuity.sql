-- Re-enrollment continuity and idempotent enrollment (DESIGN §10, docs/SYNC.md "Enrollment").
--   devices.replaces       the device this one succeeds: HQ accepts that device's records from it.
--   enroll_codes.replaces  a code made for replacing a device (hq enroll-code --replaces).
--   enroll_codes.device_name, answer  the first enrollment's device name and its answer, the
--                          secret sealed with a key derived from the code (which HQ does not
--                          store), so a retry within the window gets the same credential.
-- +goose Up
ALTER TABLE devices ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
CREATE INDEX devices_replaces ON devices (replaces) WHERE replaces <> '';
ALTER TABLE enroll_codes ADD COLUMN replaces TEXT NOT NULL DEFAULT '';
ALTER TABLE enroll_codes ADD COLUMN device_name TEXT NOT NULL DEFAULT '';
ALTER TABLE enroll_codes ADD COLUMN answer TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE enroll_codes DROP COLUMN answer;
ALTER TABLE enroll_codes DROP COLUMN device_name;
ALTER TABLE enroll_codes DROP COLUMN replaces;
DROP INDEX devices_replaces;
ALTER TABLE devices DROP COLUMN replaces;
