-- Issuing key states (DESIGN §9): active → retired (no new codes; its codes verify until their own
-- expiry) → distrusted (compromised: nothing it signed verifies). Portable SQL, like 00001.

-- +goose Up
ALTER TABLE issuing_keys ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
ALTER TABLE issuing_keys ADD COLUMN distrusted_at TEXT NOT NULL DEFAULT '';
UPDATE issuing_keys SET state = 'retired' WHERE retired_at <> '';

-- +goose Down
ALTER TABLE issuing_keys DROP COLUMN distrusted_at;
ALTER TABLE issuing_keys DROP COLUMN state;
