package hq

import (
	"context"
	"fmt"
	"sync"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// Counter names. Request-level rejections all start with "req_".
const (
	cntNoCredential   = "req_no_credential"     // device call without a credential
	cntForged         = "req_forged_credential" // unknown device or wrong secret
	cntAdminDenied    = "req_admin_denied"      // admin call with a missing or wrong token
	cntEnrollFailed   = "req_enroll_failed"     // unknown, used or expired enrollment code
	cntRateLimited    = "req_rate_limited"
	cntTooLarge       = "req_too_large"
	cntBadRequest     = "req_bad_request"
	cntLockedOut      = "req_locked_out" // any authenticated call from a locked-out address
	cntRecordRejected = "records_rejected"
	cntConflict       = "records_conflict"
	cntRecordHeld     = "records_held"
	cntSuperseded     = "records_superseded" // site edits and staff_adds made from an outdated revision
	// Assisted registrations and no-code checks (see people.go).
	cntStatusQueries     = "people_status_queries"      // POST /api/v1/people/status answered
	cntRechecks          = "records_recheck"            // records listed for an operator's re-check
	cntRecheckUnreadable = "records_recheck_unreadable" // no personal data HQ could open and look up
)

// metrics counts in memory; the server flushes the counts to the database every few seconds
// so that `hq stats` sees them.
type metrics struct {
	mu sync.Mutex
	m  map[string]int64
}

func newMetrics() *metrics { return &metrics{m: map[string]int64{}} }

func (m *metrics) add(name string, n int64) {
	if n == 0 {
		return
	}
	m.mu.Lock()
	m.m[name] += n
	m.mu.Unlock()
}

func (m *metrics) take() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.m) == 0 {
		return nil
	}
	d := m.m
	m.m = map[string]int64{}
	return d
}

func (m *metrics) giveBack(d map[string]int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range d {
		m.m[k] += v
	}
}

// Stats is what `hq stats` prints and GET /api/v1/admin/metrics answers: records held per
// kind, and the rejection counters.
type Stats struct {
	Checks           int64            `json:"checks"`
	Registrations    int64            `json:"registrations"`
	SiteEdits        int64            `json:"site_edits"`
	StaffAdds        int64            `json:"staff_adds"`
	StaffEvents      int64            `json:"staff_events"`
	Rejected         int64            `json:"rejected"`          // records rejected
	Conflicts        int64            `json:"conflicts"`         // records refused as conflicts
	Held             int64            `json:"held"`              // records stored but not accepted, waiting for an operator (counted in the kinds above too)
	RejectedRequests int64            `json:"rejected_requests"` // whole requests refused (auth, size, syntax, rate)
	Counters         map[string]int64 `json:"counters"`
}

// ReadStats reads the statistics from db.
func ReadStats(ctx context.Context, db *sqldb.DB) (Stats, error) {
	counts, err := db.CountRecords(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("hq: stats: %w", err)
	}
	cs, err := db.Counters(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("hq: stats: %w", err)
	}
	held, err := db.CountHeld(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("hq: stats: %w", err)
	}
	st := Stats{
		Checks:        counts[checkpoint.KindCheck],
		Registrations: counts[checkpoint.KindRegistration],
		SiteEdits:     counts[checkpoint.KindSiteEdit],
		StaffAdds:     counts[checkpoint.KindStaffAdd],
		StaffEvents:   counts[checkpoint.KindStaffEvent],
		Rejected:      cs[cntRecordRejected],
		Conflicts:     cs[cntConflict],
		Held:          held,
		Counters:      cs,
	}
	for k, v := range cs {
		if len(k) > 4 && k[:4] == "req_" {
			st.RejectedRequests += v
		}
	}
	return st, nil
}
