package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Each kiosk tells HQ, on its config pull, how its outbox stands and which datasets it refused
// (the X-Checkpoint-Kiosk-Status header, docs/SYNC.md). HQ keeps the latest report, with when it
// came and which risk-area version the kiosk said it held, in device_status: one row per
// device, written once per pull (migration 14).

// Unknown is a DeviceStatus count or version the kiosk did not report (an older kiosk, or one
// that has not pulled since HQ began keeping them).
const Unknown = -1

// DeviceStatus is a kiosk's latest report.
type DeviceStatus struct {
	DeviceID    string
	SeenAt      time.Time // the pull that brought it
	Pending     int64     // records waiting in its outbox (Unknown when not reported)
	Quarantined int64     // records HQ refused that wait for its supervisor
	Oldest      time.Time // when its oldest pending record was made; zero when none or unknown
	Refused     int64     // datasets from HQ it refused
	Refusal     string    // why it refused the last one (a reason code, e.g. "bad_signature")
	AppVersion  string
	Epoch       string // HQ's epoch the kiosk last saw ("" when not reported)
	// RiskHave is the risk-area version the kiosk said it held when it pulled; RiskSent the one
	// HQ sent it in answer (Unknown: none sent, it was current).
	RiskHave, RiskSent int64
}

func (d *DB) deviceStatusUp(ctx context.Context, tx *sql.Tx) error {
	for _, s := range []string{
		`CREATE TABLE device_status (
			device_id   TEXT PRIMARY KEY,
			seen_at     TEXT NOT NULL,
			pending     BIGINT NOT NULL,
			quarantined BIGINT NOT NULL,
			oldest      TEXT NOT NULL,
			refused     BIGINT NOT NULL,
			refusal     TEXT NOT NULL,
			app_version TEXT NOT NULL,
			risk_have   BIGINT NOT NULL,
			risk_sent   BIGINT NOT NULL,
			epoch       TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE TABLE day_counts (
			site_id TEXT NOT NULL,
			day     TEXT NOT NULL,
			counter TEXT NOT NULL,
			n       BIGINT NOT NULL,
			PRIMARY KEY (site_id, day, counter)
		)`,
		`CREATE INDEX day_counts_day ON day_counts (day)`,
	} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("device status: %w", err)
		}
	}
	return d.backfillDayCounts(ctx, tx)
}

func (d *DB) deviceStatusDown(ctx context.Context, tx *sql.Tx) error {
	for _, s := range []string{`DROP TABLE day_counts`, `DROP TABLE device_status`} {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

// PutDeviceStatus stores a kiosk's report, replacing the one before.
func (d *DB) PutDeviceStatus(ctx context.Context, s DeviceStatus) error {
	_, err := d.db.ExecContext(ctx, d.q(`INSERT INTO device_status
		(device_id, seen_at, pending, quarantined, oldest, refused, refusal, app_version, risk_have, risk_sent, epoch)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (device_id) DO UPDATE SET seen_at = excluded.seen_at, pending = excluded.pending,
			quarantined = excluded.quarantined, oldest = excluded.oldest, refused = excluded.refused,
			refusal = excluded.refusal, app_version = excluded.app_version, risk_have = excluded.risk_have,
			risk_sent = excluded.risk_sent, epoch = excluded.epoch`),
		s.DeviceID, ftime(s.SeenAt), s.Pending, s.Quarantined, ftime(s.Oldest), s.Refused, s.Refusal, s.AppVersion, s.RiskHave, s.RiskSent, s.Epoch)
	if err != nil {
		return fmt.Errorf("sqldb: put device status: %w", err)
	}
	return nil
}

// DeviceStatuses returns every kiosk's latest report, by device id.
func (d *DB) DeviceStatuses(ctx context.Context) (map[string]DeviceStatus, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT device_id, seen_at, pending, quarantined, oldest, refused, refusal, app_version,
		risk_have, risk_sent, epoch FROM device_status`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: device statuses: %w", err)
	}
	defer rows.Close()
	out := map[string]DeviceStatus{}
	for rows.Next() {
		var s DeviceStatus
		var seen, oldest string
		if err := rows.Scan(&s.DeviceID, &seen, &s.Pending, &s.Quarantined, &oldest, &s.Refused, &s.Refusal, &s.AppVersion,
			&s.RiskHave, &s.RiskSent, &s.Epoch); err != nil {
			return nil, fmt.Errorf("sqldb: device statuses: %w", err)
		}
		s.SeenAt, s.Oldest = ptime(seen), ptime(oldest)
		out[s.DeviceID] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: device statuses: %w", err)
	}
	return out, nil
}
