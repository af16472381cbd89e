package hq

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// skewed returns r stamped by a kiosk whose clock is off HQ's by d: its created_at and, for a
// site edit, the site's updated_at.
func skewed(r checkpoint.Record, d time.Duration) checkpoint.Record {
	r.CreatedAt = r.CreatedAt.Add(d)
	if r.Kind == checkpoint.KindSiteEdit {
		var e map[string]json.RawMessage
		json.Unmarshal(r.Body, &e)
		var s checkpoint.Site
		json.Unmarshal(e["site"], &s)
		s.UpdatedAt = s.UpdatedAt.Add(d)
		e["site"], _ = json.Marshal(s)
		r.Body, _ = json.Marshal(e)
	}
	return r
}

// An edit made from a revision HQ no longer has is stored but not applied, and answered
// superseded with words naming the site; sent again it is superseded again. An edit made on top
// of the kiosk's own edit HQ had not answered yet applies.
func TestEditOnOldBaseSuperseded(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		first := withBase(edit(e.devA, "sup-a", checkpoint.Site{ID: "a1", ParentID: "a", Name: "A1 第一次"}, false), checkpoint.EditBase{BaseRevision: 1})
		chained := withBase(edit(e.devA, "sup-a", checkpoint.Site{ID: "a1", ParentID: "a", Name: "A1 第二次"}, false), checkpoint.EditBase{BaseRevision: 1, BaseRecord: first.ID})
		if _, resp := e.push(e.devA, first, chained); statusesOf(resp) != "stored,stored" {
			t.Fatalf("first and chained edit: %s; want stored,stored", statusesOf(resp))
		}
		stale := withBase(edit(e.devA, "sup-a", checkpoint.Site{ID: "a1", ParentID: "a", Name: "旧版本"}, false), checkpoint.EditBase{BaseRevision: 1})
		_, resp := e.push(e.devA, stale)
		if statusesOf(resp) != "superseded(superseded)" {
			t.Fatalf("edit on revision 1 after revision 3: %s; want superseded", statusesOf(resp))
		}
		if m := resp.Results[0].Message; !strings.Contains(m, "旧版本") || !strings.Contains(m, "未生效") || !strings.Contains(m, "did not take effect") {
			t.Errorf("message = %q; want the site's name, in Chinese and English", m)
		}
		if !resp.Results[0].Done() {
			t.Errorf("superseded is not Done: the kiosk would send it forever")
		}
		if _, resp := e.push(e.devA, stale); statusesOf(resp) != "superseded(superseded)" {
			t.Errorf("resend of a superseded edit: %s; want superseded again", statusesOf(resp))
		}
		s, err := e.srv.db.Site(ctx, "a1")
		if err != nil || s.Name != "A1 第二次" || s.Revision != 3 {
			t.Fatalf("a1 = %+v, %v; want the chained edit at revision 3", s, err)
		}
		if _, err := e.srv.db.Record(ctx, stale.ID); err != nil {
			t.Errorf("superseded edit not stored: %v", err)
		}
		// A staff_add over an account made from an old revision is superseded too.
		if err := e.srv.db.PutStaff(ctx, sqldb.StaffAccount{Staff: checkpoint.Staff{ID: "scan-a1", Role: checkpoint.RoleScanner,
			SiteID: "a1", PhoneLookup: "pl-scan-a1", NameMasked: "王*", PasswordHash: fakePHC, Active: true, UpdatedAt: time.Now().UTC()},
			PhoneHash: "ph-scan-a1", PhoneMasked: "138****0000"}); err != nil {
			t.Fatal(err)
		}
		add := withBase(e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "scan-a1", Role: checkpoint.RoleScanner, SiteID: "a"}), checkpoint.EditBase{BaseRevision: 1})
		if _, resp := e.push(e.devA, add); statusesOf(resp) != "superseded(superseded)" {
			t.Errorf("staff_add on revision 1 of an account at revision 2: %s; want superseded", statusesOf(resp))
		}
		if n := e.stats().Counters[cntSuperseded]; n != 3 {
			t.Errorf("%s = %d; want 3", cntSuperseded, n)
		}
	})
}

// Two kiosks, one with its clock 2 h behind HQ's and one 2 h ahead, edit the same site in turn,
// each from the revision it last pulled: every edit applies, in HQ's receive order, none is
// dropped, and HQ's own time, not a kiosk's, is the site's updated_at.
func TestEditsUnderClockSkew(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		ahead, behind := e.devA, e.enroll("a")
		steps := []struct {
			dev  checkpoint.EnrollResponse
			skew time.Duration
			name string
		}{
			{ahead, 2 * time.Hour, "先快"},
			{behind, -2 * time.Hour, "后慢"},
			{ahead, 2 * time.Hour, "再快"},
			{behind, -2 * time.Hour, "再慢"},
		}
		for i, st := range steps {
			cur, err := e.srv.db.Site(ctx, "a1") // what the kiosk pulled
			if err != nil {
				t.Fatal(err)
			}
			r := skewed(withBase(edit(st.dev, "sup-a", checkpoint.Site{ID: "a1", ParentID: "a", Name: st.name}, false),
				checkpoint.EditBase{BaseRevision: cur.Revision}), st.skew)
			before := time.Now().UTC()
			if _, resp := e.push(st.dev, r); statusesOf(resp) != "stored" {
				t.Fatalf("edit %d (clock %v): %s; want stored", i, st.skew, statusesOf(resp))
			}
			got, _ := e.srv.db.Site(ctx, "a1")
			if got.Name != st.name || got.Revision != cur.Revision+1 {
				t.Fatalf("after edit %d (clock %v): a1 = %q at revision %d; want %q at %d", i, st.skew, got.Name, got.Revision, st.name, cur.Revision+1)
			}
			if got.UpdatedAt.Before(before.Add(-time.Minute)) || got.UpdatedAt.After(time.Now().Add(time.Minute)) {
				t.Errorf("edit %d: updated_at = %v; want HQ's receive time, not the kiosk's clock", i, got.UpdatedAt)
			}
		}
		// A kiosk that edits from what it pulled before the others' edits loses, and is told.
		r := skewed(withBase(edit(ahead, "sup-a", checkpoint.Site{ID: "a1", ParentID: "a", Name: "过时"}, false),
			checkpoint.EditBase{BaseRevision: 2}), 2*time.Hour)
		if _, resp := e.push(ahead, r); statusesOf(resp) != "superseded(superseded)" {
			t.Errorf("edit from revision 2 of 5: %s; want superseded", statusesOf(resp))
		}
		hist, err := e.srv.db.SiteHistory(ctx)
		if err != nil || len(hist["a1"]) != 5 {
			t.Errorf("a1's history = %+v, %v; want 5 revisions", hist["a1"], err)
		}
	})
}

// Records are judged by the roster and site tree of their time: a check made before a transfer
// (or a site move, or a disabled account) and pushed after it is stored; one made well after it,
// or by a staff member who never belonged to the device's sites, is held.
func TestRecordsJudgedAsOfTheirTime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		now := time.Now().UTC()
		changed := now.Add(-3 * time.Hour)
		put := func(id, site string, role checkpoint.Role, active bool) {
			t.Helper()
			st := checkpoint.Staff{ID: id, Role: role, SiteID: site, PhoneLookup: "pl-" + id, NameMasked: "张*",
				PasswordHash: fakePHC, Active: active, UpdatedAt: changed}
			if err := e.srv.db.PutStaff(ctx, sqldb.StaffAccount{Staff: st, PhoneHash: "ph-" + id, PhoneMasked: "138****0000"}); err != nil {
				t.Fatal(err)
			}
		}
		put("scan-a", "b", checkpoint.RoleScanner, true)    // transferred to b 3 h ago
		put("sup-a", "a", checkpoint.RoleSupervisor, false) // disabled 3 h ago
		moved := checkpoint.Site{ID: "a1", ParentID: "b", Name: "A1", Address: "x", Contact: "c", Phone: "1", Active: true, UpdatedAt: changed}
		if err := e.srv.db.PutSite(ctx, moved); err != nil { // a1 moved under b 3 h ago
			t.Fatal(err)
		}
		at := func(r checkpoint.Record, t time.Time) checkpoint.Record { r.CreatedAt = t; return r }
		yesterday := now.Add(-20 * time.Hour)
		tests := []struct {
			name string
			r    checkpoint.Record
			want string
		}{
			{"check made yesterday by the transferred scanner", at(rec(e.devA, "a", "scan-a"), yesterday), "stored"},
			{"check made 1 h before the transfer", at(rec(e.devA, "a", "scan-a"), changed.Add(-time.Hour)), "stored"},
			{"check made now by the transferred scanner", rec(e.devA, "a", "scan-a"), "held(staff_not_allowed)"},
			{"check made yesterday at the moved site", at(rec(e.devA, "a1", "scan-a1"), yesterday), "stored"},
			{"check made now at the moved site", rec(e.devA, "a1", "scan-a1"), "held(site_not_allowed)"},
			{"staff event yesterday by the disabled supervisor", at(staffEvent(e.devA, "sup-a"), yesterday), "stored"},
			{"check now by the disabled supervisor", rec(e.devA, "a", "sup-a"), "held(staff_inactive)"},
			{"check yesterday by staff of another site", at(rec(e.devA, "a", "scan-b"), yesterday), "held(staff_not_allowed)"},
			{"check now by staff of another site", rec(e.devA, "a", "scan-b"), "held(staff_not_allowed)"},
			{"check by staff HQ never had", at(rec(e.devA, "a", "nobody"), yesterday), "held(staff_not_allowed)"},
			{"check stamped before HQ knew the scanner", at(rec(e.devA, "a", "scan-a"), now.Add(-30*24*time.Hour)), "held(staff_not_allowed)"},
			{"check stamped far ahead: judged near HQ's now", at(rec(e.devA, "a", "scan-a"), now.Add(48*time.Hour)), "held(staff_not_allowed)"},
		}
		for _, tt := range tests {
			if _, resp := e.push(e.devA, tt.r); statusesOf(resp) != tt.want {
				t.Errorf("%s: %s; want %s", tt.name, statusesOf(resp), tt.want)
			}
		}
		// In one batch too, with the history loaded once.
		var recs []checkpoint.Record
		want := ""
		for i, tt := range tests {
			r := tt.r
			r.ID = r.ID[:len(r.ID)-4] + "ffff"
			recs = append(recs, r)
			if i > 0 {
				want += ","
			}
			want += tt.want
		}
		if _, resp := e.push(e.devA, recs...); statusesOf(resp) != want {
			t.Errorf("one batch:\n got %s\nwant %s", statusesOf(resp), want)
		}
	})
}

func staffEvent(d checkpoint.EnrollResponse, staff string) checkpoint.Record {
	r := rec(d, "a", staff)
	r.Kind = checkpoint.KindStaffEvent
	r.Body = json.RawMessage(`{"event":"login","at":"2022-04-01T08:00:00Z"}`)
	return r
}
