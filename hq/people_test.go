package hq

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/sealbox"
)

// Demo-style resident IDs: one red at HQ, one green, one HQ has never seen.
var (
	redID     = residentID("220221", "19850505", 41)
	greenID   = residentID("220221", "19860606", 42)
	unknownID = residentID("220221", "19870707", 43)
)

// seedPeople gives HQ a red and a green person (through the issue path, as in production).
func (e *env) seedPeople() {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.srv.NewIssuingKey(ctx, 0, false); err != nil {
		e.t.Fatal(err)
	}
	for _, id := range []string{redID, greenID} {
		if _, err := e.srv.IssueCode(ctx, IssueRequest{Name: "张三", IDNumber: id}); err != nil {
			e.t.Fatal(err)
		}
	}
	var resp PersonStatusResponse
	if st := e.do("POST", "/api/v1/admin/people/status", "Bearer "+testAdmin,
		PersonStatusRequest{IDNumber: redID, Status: "red", Reason: "密接"}, &resp); st != 200 {
		e.t.Fatalf("set red: %d", st)
	}
}

func (e *env) personStatus(d checkpoint.EnrollResponse, id string) (int, map[string]any) {
	e.t.Helper()
	var out map[string]any
	st := e.do("POST", "/api/v1/people/status", devAuth(d), checkpoint.PersonStatusQuery{IDNumber: id}, &out)
	return st, out
}

// TestPeopleStatus: a kiosk asks for the colour of a person without a code, and gets the
// colour and the reason only.
func TestPeopleStatus(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		e.seedPeople()
		cases := []struct {
			id   string
			want map[string]any
		}{
			{redID, map[string]any{"known": true, "status": "red", "reason": "密接"}},
			{greenID, map[string]any{"known": true, "status": "green"}},
			{unknownID, map[string]any{"known": false}},
		}
		for _, c := range cases {
			st, got := e.personStatus(e.devA, c.id)
			if st != 200 || len(got) != len(c.want) {
				t.Errorf("status of %s: %d %v; want 200 %v (nothing more: no name, no household)", c.id[:6], st, got, c.want)
				continue
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("status of %s: %s = %v; want %v", c.id[:6], k, got[k], v)
				}
			}
		}
		if st, _ := e.personStatus(e.devA, "110101199003074478"); st != 400 {
			t.Errorf("bad check digit: %d; want 400", st)
		}
		if st := e.do("POST", "/api/v1/people/status", "", checkpoint.PersonStatusQuery{IDNumber: redID}, nil); st != 401 {
			t.Errorf("without a device credential: %d; want 401", st)
		}
		if st := e.do("POST", "/api/v1/people/status", "Bearer "+testAdmin, checkpoint.PersonStatusQuery{IDNumber: redID}, nil); st != 401 {
			t.Errorf("with the admin token: %d; want 401 (device API)", st)
		}
	})
}

// TestPeopleStatusRateLimited: the status query is an oracle over ID numbers, so each device
// gets a small budget of its own, apart from its sync traffic.
func TestPeopleStatusRateLimited(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{StatusQueryRate: 0.001, StatusQueryBurst: 3})
	for i := range 3 {
		if st, _ := e.personStatus(e.devA, unknownID); st != 200 {
			t.Fatalf("query %d: %d", i, st)
		}
	}
	if st, _ := e.personStatus(e.devA, unknownID); st != 429 {
		t.Fatalf("4th query: %d; want 429", st)
	}
	if st := e.do("GET", "/api/v1/config", devAuth(e.devA), nil, nil); st != 200 {
		t.Fatalf("config pull after the status budget is spent: %d", st)
	}
	if st, _ := e.personStatus(e.devB, unknownID); st != 200 {
		t.Fatalf("another device: %d", st)
	}
}

// registration makes a registration record as a kiosk does, with the personal data sealed to
// HQ's key.
func (e *env) registration(d checkpoint.EnrollResponse, id string, reasons ...string) checkpoint.Record {
	e.t.Helper()
	r := rec(d, "a", "scan-a")
	body := checkpoint.Registration{NameMasked: "张*", IDMasked: id[:6] + "********" + id[14:], PhoneMasked: "139****5678",
		Household: id[:6], TempTenths: 365, Verdict: "refer", Reasons: reasons, Sealed: e.seal(r.ID, id), RegisteredAt: time.Now().UTC()}
	b, _ := json.Marshal(body)
	r.Kind, r.Body = checkpoint.KindRegistration, b
	return r
}

func (e *env) seal(recordID, id string) string {
	e.t.Helper()
	set, err := e.srv.settings(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	pub, err := sealbox.ParseKey(set.HQSealKey)
	if err != nil {
		e.t.Fatal(err)
	}
	s, err := sealbox.Seal(pub, recordID, checkpoint.Personal{Name: "张三", ID: id, Phone: "13912345678"})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) rechecks() []sqldb.Recheck {
	e.t.Helper()
	var out []sqldb.Recheck
	if st := e.do("GET", "/api/v1/admin/rechecks", "Bearer "+testAdmin, nil, &out); st != 200 {
		e.t.Fatalf("rechecks: %d", st)
	}
	return out
}

// TestRecheckOnIngest: a registration made offline of someone red at HQ is listed for the
// operator when it arrives, once, however often it is pushed; green and unknown people are not.
func TestRecheckOnIngest(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		e.seedPeople()
		red := e.registration(e.devA, redID, "no_code", "status_unknown_offline")
		green := e.registration(e.devA, greenID, "no_code", "status_unknown_offline")
		unknown := e.registration(e.devA, unknownID, "no_code", "status_unknown_offline")
		unsealable := e.registration(e.devA, redID)
		unsealable.Body = json.RawMessage(`{"verdict":"refer","reasons":[],"sealed":"AAAA"}`)
		// A check without a code whose sealed data names the red person (no code shown).
		noCode := rec(e.devA, "a", "scan-a")
		noCode.Body = json.RawMessage(`{"verdict":"refer","reasons":["no_code"],"online":false,"sealed":"` + e.seal(noCode.ID, redID) + `","scanned_at":"2022-04-01T08:00:00Z","confirmed_at":"2022-04-01T08:00:05Z"}`)
		ordinary := rec(e.devA, "a", "scan-a")
		code, resp := e.push(e.devA, red, green, unknown, unsealable, noCode, ordinary)
		if code != 200 || statusesOf(resp) != "stored,stored,stored,stored,stored,stored" {
			t.Fatalf("push: %d %s", code, statusesOf(resp))
		}
		got := e.rechecks()
		ids := []string{}
		for _, r := range got {
			ids = append(ids, r.RecordID)
		}
		want := []string{red.ID, noCode.ID}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("rechecks = %v; want the red registration and the red no-code check %v", ids, want)
		}
		for _, r := range got {
			if r.Status != "red" || r.Reason != "密接" || r.SiteID != "a" || r.DeviceID != e.devA.DeviceID || r.PersonID == "" ||
				r.IDMasked != redID[:6]+"********"+redID[14:] || r.KioskVerdict != "refer" {
				t.Errorf("recheck = %+v", r)
			}
		}
		// Pushed again (a kiosk that missed the answer): duplicates, still listed once.
		if _, resp := e.push(e.devA, red, noCode); statusesOf(resp) != "duplicate,duplicate" {
			t.Fatalf("again: %s", statusesOf(resp))
		}
		if n := len(e.rechecks()); n != 2 {
			t.Fatalf("after a re-push, %d rechecks; want 2", n)
		}
		if c := e.stats().Counters; c[cntRecheckUnreadable] != 1 || c[cntRechecks] != 2 {
			t.Fatalf("counters = %v; want 1 unreadable, 2 listed", c)
		}
		if st := e.do("GET", "/api/v1/admin/rechecks", devAuth(e.devA), nil, nil); st != 401 {
			t.Fatalf("rechecks with a device credential: %d; want 401", st)
		}
		// The record must also not be lost when it was stored earlier but never re-checked
		// (HQ stopped between the two): a duplicate push lists it.
		late := e.registration(e.devA, redID, "no_code")
		if _, err := e.srv.db.Ingest(context.Background(), []checkpoint.Record{late}, time.Now()); err != nil {
			t.Fatal(err)
		}
		e.push(e.devA, late)
		if n := len(e.rechecks()); n != 3 {
			t.Fatalf("a stored-but-unchecked record pushed again: %d rechecks; want 3", n)
		}
	})
}

// residentID builds a valid 18-character ID number (GB 11643) from a region, a birth date
// (YYYYMMDD) and a 3-digit sequence.
func residentID(region, birth string, seq int) string {
	base := region + birth + fmt.Sprintf("%03d", seq)
	sum := 0
	for i, w := range []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2} {
		sum += int(base[i]-'0') * w
	}
	return base + string("10X98765432"[sum%11])
}
