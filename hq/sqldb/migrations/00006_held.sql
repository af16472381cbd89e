-- Records HQ stores but does not accept (yet): held with a reason an operator reads, instead of
-- being bounced back to a kiosk that cannot fix them (DESIGN §10). '' means accepted.
-- +goose Up
ALTER TABLE records ADD COLUMN held TEXT NOT NULL DEFAULT '';
CREATE INDEX records_held ON records (held) WHERE held <> '';

-- +goose Down
DROP INDEX records_held;
ALTER TABLE records DROP COLUMN held;
