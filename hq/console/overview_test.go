package console

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
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

// newTenvAt is newTenv (not secure) with HQ's database at dsn.
func newTenvAt(t *testing.T, dsn string) *tenv {
	t.Helper()
	clk := &clock{t: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	core, err := hq.New(hq.Config{DSN: dsn, AdminToken: testAdminToken, Now: clk.Now, ClientRate: 1e6, ClientBurst: 1e6,
		DeviceRate: 1e6, DeviceBurst: 1e6, RootKey: root})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.Close() })
	h, err := newHandler(Config{Core: core, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", h.routes())
	mux.Handle("/api/", core.Handler())
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return &tenv{t: t, clk: clk, core: core, h: h, ts: ts, dsn: dsn}
}

// pull makes the first kiosk's config pull with the status header status ("" for none).
func (e *tenv) pull(status string) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/config", nil)
	req.Header.Set("Authorization", "Bearer "+e.kiosk.DeviceID+"."+e.kiosk.Secret)
	if status != "" {
		req.Header.Set(checkpoint.KioskStatusHeader, status)
	}
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != 200 {
		e.t.Fatalf("config pull: %d", r.StatusCode)
	}
}

// fresh drops the cached 总览, as if overviewTTL had passed.
func (e *tenv) fresh() {
	e.h.ovMu.Lock()
	e.h.ovAt = time.Time{}
	e.h.ovMu.Unlock()
}

func (e *tenv) overviewJSON(c *http.Client) Overview {
	e.t.Helper()
	r := e.get(c, "/admin/overview.json")
	var o Overview
	if err := json.Unmarshal([]byte(r.body), &o); err != nil || r.status != 200 {
		e.t.Fatalf("overview: %d %v", r.status, err)
	}
	return o
}

// TestOverview: 总览's numbers come from the kiosks' reports and the day counters: kiosks
// online, last sync, pending and refusals as reported, checks / 劝返 / 复核 / fevers today per
// site, a day later today's counts start again; on both backends.
func TestOverview(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			e := newTenvAt(t, b.DSN(t))
			ids := e.seedKiosks(3)
			if st := e.api("POST", "/api/v1/admin/devices/"+ids[1]+"/revoke", "Bearer "+testAdminToken, nil, nil); st != 200 {
				t.Fatalf("revoke: %d", st)
			}
			e.pushBodies(`{"verdict":"turn_back","reasons":["household_high_risk"],"online":false,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`,
				`{"verdict":"refer","reasons":["fever"],"temp_tenths":385,"online":false,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`)
			// HQ's own fever threshold counts fevers, whatever the kiosk judged: 37.2 °C from 37.0.
			if st := e.api("PUT", "/api/v1/admin/settings", "Bearer "+testAdminToken, map[string]any{"rules": map[string]any{"fever_c": 37.0}}, nil); st != 200 {
				t.Fatalf("settings: %d", st)
			}
			e.pushBodies(`{"verdict":"pass","reasons":[],"temp_tenths":372,"online":false,"scanned_at":"2026-12-01T02:00:00Z","confirmed_at":"2026-12-01T02:00:05Z"}`)
			c := e.as(RoleViewer)
			if o := e.overviewJSON(c); o.LastSync.IsZero() == false || o.KiosksOnline != 0 || o.Sites[0].Pending != nil {
				t.Fatalf("before any pull: %+v", o)
			}
			e.pull("pending=7; quarantined=2; oldest=2026-12-01T01:00:00Z; refused=1; refusal=bad_signature; version=1.4.0")
			e.fresh()
			o := e.overviewJSON(c)
			if o.Kiosks != 2 || o.KiosksActive != 1 || o.KiosksOnline != 1 || o.ChecksToday != 6 || o.Checks != 6 || o.LastSync.IsZero() ||
				len(o.Devices) != 2 || o.Pending != 7 || o.Quarantined != 2 || o.RefusedKiosks != 1 || o.TurnedBackToday != 1 ||
				o.ReviewToday != 1 || o.FeversToday != 2 {
				t.Fatalf("overview = %+v", o)
			}
			if len(o.Sites) != 1 {
				t.Fatalf("sites = %+v", o.Sites)
			}
			s := o.Sites[0]
			if s.Name != "永吉县人民医院" || s.Kiosks != 1 || s.KiosksOnline != 1 || s.Pending == nil || *s.Pending != 7 || *s.Quarantined != 2 ||
				s.ChecksToday != 6 || s.TurnedBack != 1 || s.Review != 1 || s.Fevers != 2 || s.LastSync.IsZero() {
				t.Fatalf("site row = %+v", s)
			}
			d := o.Devices[0]
			if d.ID != ids[0] || d.Pending == nil || *d.Pending != 7 || *d.Refused != 1 || d.Refusal != "bad_signature" || d.Version != "1.4.0" || !d.Online {
				t.Fatalf("kiosk = %+v", d)
			}
			if d := o.Devices[1]; d.Pending != nil || d.Online {
				t.Fatalf("the kiosk that never reported = %+v", d)
			}
			p := e.get(c, "/admin/")
			for _, want := range []string{"一号入口", `data-k="checks">6<`, `data-k="fevers_today">2<`, `data-k="pending">7<`, `data-k="refused_kiosks">1<`,
				`data-k="kiosks_online">1<`, "签名无效（内容被篡改）", "1.4.0", "永吉县人民医院"} {
				if p.status != 200 || !strings.Contains(p.body, want) {
					t.Errorf("overview page (%d) lacks %q", p.status, want)
				}
			}
			// A kiosk that stops reporting refusals leaves the list.
			e.pull("pending=0; quarantined=0; refused=0")
			e.fresh()
			if o := e.overviewJSON(c); o.RefusedKiosks != 0 || o.Pending != 0 || len(o.Refused()) != 0 {
				t.Fatalf("after a clean report: %+v", o)
			}
			if p := e.get(c, "/admin/"); !strings.Contains(p.body, "没有终端拒收配置。") {
				t.Errorf("overview page still lists a refusing kiosk")
			}

			e.clk.Add(24 * time.Hour)
			c = e.as(RoleAdmin)
			// One computation serves every page for overviewTTL.
			e.pushChecks(2)
			if o := e.overviewJSON(c); o.Checks != 6 {
				t.Fatalf("within the TTL: %+v", o)
			}
			e.fresh()
			if o := e.overviewJSON(c); o.ChecksToday != 2 || o.Checks != 8 || o.TurnedBackToday != 0 || o.KiosksOnline != 0 {
				t.Fatalf("next day's overview = %+v", o)
			}
			p = e.get(c, "/admin/")
			if p.status != 200 || !strings.Contains(p.body, `data-k="checks">8<`) || !strings.Contains(p.body, `data-k="kiosks_online">0<`) {
				t.Fatalf("overview page: %d", p.status)
			}
		})
	}
}

// pushBodies pushes one check per body, made now, from the first kiosk seedKiosks enrolled.
func (e *tenv) pushBodies(bodies ...string) {
	e.t.Helper()
	var recs []checkpoint.Record
	for _, b := range bodies {
		recs = append(recs, checkpoint.Record{ID: uuid.Must(uuid.NewV7()).String(), Kind: checkpoint.KindCheck, DeviceID: e.kiosk.DeviceID,
			SiteID: "s1", StaffID: "scan-1", CreatedAt: e.clk.Now().UTC().Truncate(time.Microsecond), Body: json.RawMessage(b)})
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
