package console

import (
	"context"
	"slices"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// OnlineWithin is how recently a kiosk must have pulled its configuration to count as online
// on 总览 (a kiosk pulls every few minutes while it can reach HQ).
const OnlineWithin = 10 * time.Minute

// HQ's named counters 总览 shows (hq/metrics.go).
const (
	counterRejected = "records_rejected"
	counterConflict = "records_conflict"
	counterRechecks = "records_recheck"
)

// computeOverview reads 总览 from small tables only: devices, device_status (one row per
// kiosk), day_counts (rows per site for today and for all days), counters, sites and the held
// index — never a scan of records, so it costs the same at a million records as at ten.
func (h *handler) computeOverview(ctx context.Context) (Overview, error) {
	h.core.Flush()
	devs, err := h.db.Devices(ctx)
	if err != nil {
		return Overview{}, err
	}
	reports, err := h.db.DeviceStatuses(ctx)
	if err != nil {
		return Overview{}, err
	}
	now := h.cfg.Now()
	today, err := h.db.DayCounts(ctx, now.In(checkpoint.ChinaTime).Format(sqldb.DayFormat))
	if err != nil {
		return Overview{}, err
	}
	total, err := h.db.DayCounts(ctx, sqldb.TotalDay)
	if err != nil {
		return Overview{}, err
	}
	cs, err := h.db.Counters(ctx)
	if err != nil {
		return Overview{}, err
	}
	held, err := h.db.CountHeld(ctx)
	if err != nil {
		return Overview{}, err
	}
	sites, err := h.db.Sites(ctx)
	if err != nil {
		return Overview{}, err
	}
	o := Overview{At: now.UTC(), Kiosks: len(devs), Held: held, Rejected: cs[counterRejected], Conflicts: cs[counterConflict],
		Rechecks: cs[counterRechecks], Sites: []OverviewSite{}, Devices: make([]OverviewDevice, 0, len(devs))}
	for k, v := range cs {
		if strings.HasPrefix(k, "req_") {
			o.RejectedRequests += v
		}
	}
	for _, c := range total {
		o.Checks += c[sqldb.CountChecks]
		o.Registrations += c[sqldb.CountRegistrations]
	}
	rows := map[string]*OverviewSite{}
	row := func(id string) *OverviewSite {
		if r, ok := rows[id]; ok {
			return r
		}
		r := &OverviewSite{ID: id, Name: id}
		rows[id] = r
		return r
	}
	for id, c := range today {
		o.ChecksToday += c[sqldb.CountChecks]
		o.TurnedBackToday += c[sqldb.CountTurnedBack]
		o.ReviewToday += c[sqldb.CountReview]
		o.FeversToday += c[sqldb.CountFever]
		o.RegistrationsToday += c[sqldb.CountRegistrations]
		if c[sqldb.CountChecks] > 0 || c[sqldb.CountRegistrations] > 0 {
			r := row(id)
			r.ChecksToday, r.TurnedBack, r.Review, r.Fevers = c[sqldb.CountChecks], c[sqldb.CountTurnedBack], c[sqldb.CountReview], c[sqldb.CountFever]
		}
	}
	known := func(n int64) *int64 {
		if n < 0 {
			return nil
		}
		return &n
	}
	addTo := func(p **int64, n int64) {
		if n < 0 {
			return
		}
		if *p == nil {
			*p = new(int64)
		}
		**p += n
	}
	for _, dv := range devs {
		st, reported := reports[dv.ID]
		d := OverviewDevice{ID: dv.ID, Name: dv.Name, SiteID: dv.SiteID, Revoked: dv.Revoked}
		if reported {
			d.LastSeen, d.Oldest, d.Refusal, d.Version = st.SeenAt, st.Oldest, st.Refusal, st.AppVersion
			d.Pending, d.Quarantined, d.Refused = known(st.Pending), known(st.Quarantined), known(st.Refused)
			d.Online = !dv.Revoked && now.Sub(st.SeenAt) < OnlineWithin
		}
		o.Devices = append(o.Devices, d)
		if d.LastSeen.After(o.LastSync) {
			o.LastSync = d.LastSeen
		}
		if dv.Revoked {
			continue
		}
		o.KiosksActive++
		r := row(dv.SiteID)
		r.Kiosks++
		if d.Online {
			o.KiosksOnline++
			r.KiosksOnline++
		}
		if d.LastSeen.After(r.LastSync) {
			r.LastSync = d.LastSeen
		}
		if reported {
			addTo(&r.Pending, st.Pending)
			addTo(&r.Quarantined, st.Quarantined)
			o.Pending += max(st.Pending, 0)
			o.Quarantined += max(st.Quarantined, 0)
			if st.Refused > 0 {
				o.RefusedKiosks++
			}
		}
	}
	for _, s := range sites {
		if r, ok := rows[s.ID]; ok {
			r.Name = s.Name
		}
	}
	for _, r := range rows {
		o.Sites = append(o.Sites, *r)
	}
	slices.SortFunc(o.Sites, func(a, b OverviewSite) int { return strings.Compare(a.ID, b.ID) })
	return o, nil
}

// Refused lists the active kiosks that have refused a dataset, for 总览.
func (o Overview) Refused() []OverviewDevice {
	var out []OverviewDevice
	for _, d := range o.Devices {
		if !d.Revoked && d.Refused != nil && *d.Refused > 0 {
			out = append(out, d)
		}
	}
	return out
}

// refusalCodes are the reasons a kiosk gives for a refused dataset (sync.RefusalMessage).
var refusalCodes = []string{"bad_signature", "wrong_device", "wrong_name", "old_version", "unknown_root", "bad_root_link", "malformed", "invalid_data"}

// RefusalKey is the string key of the words for the kiosk's last refusal.
func (d OverviewDevice) RefusalKey() string {
	if slices.Contains(refusalCodes, d.Refusal) {
		return "refusal_" + d.Refusal
	}
	return "refusal_other"
}

// RefusalKeys pairs each refusal code with its string key, for the page's script.
func (o Overview) RefusalKeys() []struct{ Code, Key string } {
	out := make([]struct{ Code, Key string }, 0, len(refusalCodes)+1)
	for _, c := range refusalCodes {
		out = append(out, struct{ Code, Key string }{c, "refusal_" + c})
	}
	return append(out, struct{ Code, Key string }{"", "refusal_other"})
}
