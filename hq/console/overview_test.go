package console

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

const fakePHC = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

// seedKiosks gives HQ a site, a scanner, two enrolled kiosks, and n checks from the first
// kiosk made now; it returns the kiosks' ids.
func (e *tenv) seedKiosks(n int) []string {
	e.t.Helper()
	ctx := context.Background()
	now := e.clk.Now().UTC().Add(-24 * time.Hour)
	db := e.core.DB()
	if err := db.PutSite(ctx, checkpoint.Site{ID: "s1", Name: "永吉县人民医院", Address: "x", Contact: "c", Phone: "1", Active: true, UpdatedAt: now}); err != nil {
		e.t.Fatal(err)
	}
	st := checkpoint.Staff{ID: "scan-1", Role: checkpoint.RoleScanner, SiteID: "s1", PhoneLookup: "pl-1", NameMasked: "张*", PasswordHash: fakePHC, Active: true, UpdatedAt: now}
	if err := db.PutStaff(ctx, sqldb.StaffAccount{Staff: st, PhoneHash: "ph-1", PhoneMasked: "138****0000"}); err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	var first checkpoint.EnrollResponse
	for i, name := range []string{"一号入口", "二号入口"} {
		code, err := e.core.CreateEnrollCode(ctx, "s1", 0)
		if err != nil {
			e.t.Fatal(err)
		}
		var resp checkpoint.EnrollResponse
		if st := e.api("POST", "/api/v1/enroll", "", checkpoint.EnrollRequest{Code: code.Code, DeviceName: name}, &resp); st != 200 {
			e.t.Fatalf("enroll: %d", st)
		}
		if i == 0 {
			first = resp
		}
		ids = append(ids, resp.DeviceID)
	}
	e.kiosk = first
	e.pushChecks(n)
	return ids
}

// api calls HQ's JSON API.
func (e *tenv) api(method, path, auth string, body, out any) int {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	if out != nil {
		json.NewDecoder(r.Body).Decode(out)
	}
	return r.StatusCode
}

// TestOverview: 总览's numbers come from the core: kiosks, last sync, checks today.
func TestOverview(t *testing.T) {
	e := newTenv(t, false)
	ids := e.seedKiosks(3)
	if st := e.api("POST", "/api/v1/admin/devices/"+ids[1]+"/revoke", "Bearer "+testAdminToken, nil, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	c := e.as(RoleViewer)
	r := e.get(c, "/admin/overview.json")
	var o Overview
	if err := json.Unmarshal([]byte(r.body), &o); err != nil || r.status != 200 {
		t.Fatalf("overview: %d %v", r.status, err)
	}
	if o.Kiosks != 2 || o.KiosksActive != 1 || o.ChecksToday != 3 || o.Checks != 3 || o.LastSync.IsZero() || len(o.Devices) != 2 {
		t.Fatalf("overview = %+v", o)
	}
	e.clk.Add(24 * time.Hour)
	r = e.get(c, "/admin/overview.json")
	if r.status != http.StatusUnauthorized {
		// a day later the session has ended: log in again
		t.Fatalf("a day later: %d", r.status)
	}
	c = e.as(RoleAdmin)
	// One computation serves every page for overviewTTL.
	e.pushChecks(2)
	if r := e.get(c, "/admin/overview.json"); json.Unmarshal([]byte(r.body), &o) != nil || o.Checks != 3 {
		t.Fatalf("within the TTL: %+v", o)
	}
	e.h.ovMu.Lock()
	e.h.ovAt = time.Time{} // as if overviewTTL had passed
	e.h.ovMu.Unlock()
	if r := e.get(c, "/admin/overview.json"); json.Unmarshal([]byte(r.body), &o) != nil || o.ChecksToday != 2 || o.Checks != 5 {
		t.Fatalf("next day's overview = %+v", o)
	}
	e.h.ovMu.Lock()
	e.h.ovAt = time.Time{}
	e.h.ovMu.Unlock()
	if r := e.get(c, "/admin/overview.json"); json.Unmarshal([]byte(r.body), &o) != nil || o.ChecksToday != 2 || o.Checks != 5 {
		t.Fatalf("again = %+v", o)
	}
	p := e.get(c, "/admin/")
	if p.status != 200 || !bytes.Contains([]byte(p.body), []byte("一号入口")) || !bytes.Contains([]byte(p.body), []byte(`data-k="checks">5<`)) {
		t.Fatalf("overview page: %d", p.status)
	}
}

// pushChecks pushes n checks made now from the first kiosk seedKiosks enrolled.
func (e *tenv) pushChecks(n int) {
	e.t.Helper()
	if n == 0 {
		return
	}
	var recs []checkpoint.Record
	for range n {
		recs = append(recs, checkpoint.Record{ID: uuid.Must(uuid.NewV7()).String(), Kind: checkpoint.KindCheck, DeviceID: e.kiosk.DeviceID,
			SiteID: "s1", StaffID: "scan-1", CreatedAt: e.clk.Now().UTC().Truncate(time.Microsecond),
			Body: json.RawMessage(`{"verdict":"pass","reasons":[],"online":false,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`)})
	}
	var pr checkpoint.PushResponse
	if st := e.api("POST", "/api/v1/batches", "Bearer "+e.kiosk.DeviceID+"."+e.kiosk.Secret, checkpoint.PushRequest{Records: recs}, &pr); st != 200 {
		e.t.Fatalf("push: %d", st)
	}
	for _, r := range pr.Results {
		if r.Status != checkpoint.ResultStored {
			e.t.Fatalf("push result %+v", r)
		}
	}
}
