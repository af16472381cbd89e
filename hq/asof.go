package hq

import (
	"context"
	"slices"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// judgeSlack is how far a kiosk's clock may be off HQ's and a record still be judged by the
// roster and site tree of its own time: a record is allowed if it would have been at any moment
// of [min(created, received) − judgeSlack, min(created + judgeSlack, received)] (docs/SYNC.md,
// "Judging records"). The window never reaches past HQ's receipt, so a record cannot be allowed by
// a change that had not happened when it arrived; a clock far ahead is judged near HQ's now, and
// one far behind by the state around its stamp. The price: staff removed from a site keep being
// accepted for records stamped up to judgeSlack after the removal.
const judgeSlack = 2 * time.Hour

// asOf judges the records of one batch by the roster and site tree as they were when each was
// made. It is asked only about records today's roster would hold, and loads history lazily, once
// per batch (the whole site history, and each staff member's own).
type asOf struct {
	db    *sqldb.DB
	sites map[string][]sqldb.SiteState
	// changes is every site revision's From, sorted: the moments the tree changed.
	changes []time.Time
	staff   map[string][]sqldb.StaffState
}

// judgedAsOf reports whether a rejection may be overturned by history: who may act where for a
// check, a registration or a staff event. Edits always act on HQ's rows as they are now, so they
// are judged by today's roster alone.
func judgedAsOf(rec checkpoint.Record, rj *rejection) bool {
	switch rec.Kind {
	case checkpoint.KindCheck, checkpoint.KindRegistration, checkpoint.KindStaffEvent:
	default:
		return false
	}
	switch rj.code {
	case "site_not_allowed", "staff_not_allowed", "staff_inactive":
		return true
	}
	return false
}

// allowed reports whether dev could hand in rec at some moment of its judging window, given that
// HQ received it at recv.
func (a *asOf) allowed(ctx context.Context, dev sqldb.Device, rec checkpoint.Record, recv time.Time) (bool, error) {
	if a.sites == nil {
		h, err := a.db.SiteHistory(ctx)
		if err != nil {
			return false, err
		}
		a.sites = h
		a.staff = map[string][]sqldb.StaffState{}
		for _, revs := range h {
			for _, r := range revs {
				a.changes = append(a.changes, r.From)
			}
		}
		slices.SortFunc(a.changes, time.Time.Compare)
	}
	var staff []sqldb.StaffState
	if rec.StaffID != "" {
		h, ok := a.staff[rec.StaffID]
		if !ok {
			var err error
			if h, err = a.db.StaffHistory(ctx, rec.StaffID); err != nil {
				return false, err
			}
			a.staff[rec.StaffID] = h
		}
		if len(h) == 0 {
			return false, nil
		}
		staff = h
	}
	lo := minTime(rec.CreatedAt, recv).Add(-judgeSlack)
	hi := minTime(rec.CreatedAt.Add(judgeSlack), recv)
	// The state changes only at a revision's From: trying lo and every change inside the window
	// tries every state the window saw.
	moments := []time.Time{lo}
	i, _ := slices.BinarySearchFunc(a.changes, lo, time.Time.Compare)
	for ; i < len(a.changes) && !a.changes[i].After(hi); i++ {
		if a.changes[i].After(lo) {
			moments = append(moments, a.changes[i])
		}
	}
	for _, s := range staff {
		if s.From.After(lo) && !s.From.After(hi) {
			moments = append(moments, s.From)
		}
	}
	for _, t := range moments {
		if a.allowedAt(dev, rec, staff, t) {
			return true, nil
		}
	}
	return false, nil
}

// allowedAt is authorize's who-may-act-where for rec with the tree and roster as at t.
func (a *asOf) allowedAt(dev sqldb.Device, rec checkpoint.Record, staff []sqldb.StaffState, t time.Time) bool {
	parent := func(id string) (string, bool) {
		s, ok := stateAt(a.sites[id], t, func(s sqldb.SiteState) time.Time { return s.From })
		return s.ParentID, ok
	}
	if !under(parent, rec.SiteID, dev.SiteID) {
		return false
	}
	if rec.StaffID == "" {
		return true
	}
	st, ok := stateAt(staff, t, func(s sqldb.StaffState) time.Time { return s.From })
	return ok && st.Active && under(parent, st.SiteID, dev.SiteID)
}

// stateAt returns the last of revisions (oldest first) in force at t.
func stateAt[S any](revisions []S, t time.Time, from func(S) time.Time) (S, bool) {
	var out S
	ok := false
	for _, s := range revisions {
		if from(s).After(t) {
			break
		}
		out, ok = s, true
	}
	return out, ok
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
