package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// Recheck is a record HQ re-checked on arrival and lists for an operator: someone registered
// (or checked) without a code whose status at HQ is not green. It holds the masked ID only.
type Recheck struct {
	RecordID     string    `json:"record_id"`
	Kind         string    `json:"kind"`
	DeviceID     string    `json:"device_id"`
	SiteID       string    `json:"site_id"`
	StaffID      string    `json:"staff_id"`
	CreatedAt    time.Time `json:"created_at"` // when the kiosk made the record
	PersonID     string    `json:"person_id"`
	IDMasked     string    `json:"id_masked"`
	Status       string    `json:"status"` // the person's colour at HQ when the record arrived
	Reason       string    `json:"reason,omitempty"`
	KioskVerdict string    `json:"kiosk_verdict"` // what the kiosk decided
	KioskReasons []string  `json:"kiosk_reasons"`
	ListedAt     time.Time `json:"listed_at"`
}

// AddRechecks stores rechecks and returns how many are new; one whose record is already
// listed is left as it is, so a record pushed again is listed once.
func (d *DB) AddRechecks(ctx context.Context, rs []Recheck) (int64, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	var added int64
	err := d.tx(ctx, "add rechecks", func(tx *sql.Tx) error {
		added = 0
		for _, r := range rs {
			reasons, err := json.Marshal(r.KioskReasons)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, d.q(`INSERT INTO rechecks (record_id, kind, device_id, site_id, staff_id, created_at,
				person_id, id_masked, status, reason, kiosk_verdict, kiosk_reasons, listed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
				ON CONFLICT (record_id) DO NOTHING`),
				r.RecordID, r.Kind, r.DeviceID, r.SiteID, r.StaffID, ftime(r.CreatedAt), r.PersonID, r.IDMasked, r.Status, r.Reason,
				r.KioskVerdict, string(reasons), ftime(r.ListedAt))
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			added += n
		}
		return nil
	})
	return added, err
}

// Rechecks returns up to limit listed records, newest first.
func (d *DB) Rechecks(ctx context.Context, limit int) ([]Recheck, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT record_id, kind, device_id, site_id, staff_id, created_at, person_id, id_masked,
		status, reason, kiosk_verdict, kiosk_reasons, listed_at FROM rechecks ORDER BY listed_at DESC, record_id LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: rechecks: %w", err)
	}
	defer rows.Close()
	out := []Recheck{}
	for rows.Next() {
		var r Recheck
		var created, listed, reasons string
		if err := rows.Scan(&r.RecordID, &r.Kind, &r.DeviceID, &r.SiteID, &r.StaffID, &created, &r.PersonID, &r.IDMasked,
			&r.Status, &r.Reason, &r.KioskVerdict, &reasons, &listed); err != nil {
			return nil, fmt.Errorf("sqldb: rechecks: %w", err)
		}
		r.CreatedAt, r.ListedAt = ptime(created), ptime(listed)
		if json.Unmarshal([]byte(reasons), &r.KioskReasons) != nil || r.KioskReasons == nil {
			r.KioskReasons = []string{}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: rechecks: %w", err)
	}
	return out, nil
}
