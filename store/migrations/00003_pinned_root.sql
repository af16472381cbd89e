-- The HQ root key pinned at enrollment (base64 Ed25519 public key; every dataset must be signed
-- by it), the HQ epoch last seen, and the count of datasets refused because they did not verify.

-- +goose Up
ALTER TABLE device ADD COLUMN root_key TEXT NOT NULL DEFAULT '';
ALTER TABLE device ADD COLUMN hq_epoch TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_state ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sync_state ADD COLUMN last_refusal TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_state ADD COLUMN last_refused_at INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_state DROP COLUMN last_refused_at;
ALTER TABLE sync_state DROP COLUMN last_refusal;
ALTER TABLE sync_state DROP COLUMN refused;
ALTER TABLE device DROP COLUMN hq_epoch;
ALTER TABLE device DROP COLUMN root_key;
