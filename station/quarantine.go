package station

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// QuarantineRow is a record HQ could not store, for the supervisor's screen.
type QuarantineRow struct {
	ID            string
	Kind          checkpoint.RecordKind
	StaffID       string
	CreatedAt     time.Time
	QuarantinedAt time.Time
	Reason        string // HQ's words (Chinese first), or its code when it sent none
}

var errNotQuarantined = problem("not_quarantined", "该记录已不在隔离区", "that record is no longer quarantined", nil)

// Quarantined lists the records HQ refused, oldest first (supervisors only).
func (st *Station) Quarantined(ctx context.Context, s Session) ([]QuarantineRow, error) {
	if !s.Supervisor {
		return nil, errNotSupervisor
	}
	recs, err := st.db.Quarantined(ctx)
	if err != nil {
		return nil, errStore(err)
	}
	out := make([]QuarantineRow, 0, len(recs))
	for _, q := range recs {
		reason := sync.QuarantineReason(q.Error, q.Message)
		out = append(out, QuarantineRow{ID: q.ID, Kind: q.Kind, StaffID: q.StaffID, CreatedAt: q.CreatedAt,
			QuarantinedAt: q.QuarantinedAt, Reason: reason})
	}
	return out, nil
}

// Requeue puts quarantined records back in the queue (after the cause was fixed at HQ) and
// asks for a sync. Supervisors only.
func (st *Station) Requeue(ctx context.Context, s Session, ids ...string) error {
	if !s.Supervisor {
		return errNotSupervisor
	}
	for _, id := range ids {
		if err := st.db.Requeue(ctx, id); errors.Is(err, store.ErrNotFound) {
			return errNotQuarantined
		} else if err != nil {
			return errStore(err)
		}
	}
	if st.sync != nil && len(ids) > 0 {
		st.sync.SyncNow()
	}
	return nil
}

// ExportQuarantine writes every quarantined record with its envelope to a JSON-lines file in the
// data directory's exports/ folder and returns its path and the count: the copy the supervisor
// hands to HQ (it holds masked values and sealed boxes only).
func (st *Station) ExportQuarantine(ctx context.Context, s Session) (string, int, error) {
	if !s.Supervisor {
		return "", 0, errNotSupervisor
	}
	path := filepath.Join(filepath.Dir(st.db.Path()), "exports", "quarantine-"+st.now().Format("20060102-150405")+".jsonl")
	n, err := st.db.ExportQuarantined(ctx, path)
	if err != nil {
		return "", 0, errStore(err)
	}
	return path, n, nil
}
