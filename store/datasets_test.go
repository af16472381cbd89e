package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func site(id, parent string) checkpoint.Site {
	return checkpoint.Site{ID: id, ParentID: parent, Name: "站点" + id, Address: "永吉县", Contact: "王*", Phone: "0432-1234", Active: true, UpdatedAt: t0}
}

func staffMember(id, lookup string) checkpoint.Staff {
	return checkpoint.Staff{ID: id, PhoneLookup: lookup, NameMasked: "李*", Role: checkpoint.RoleScanner,
		SiteID: "site-1", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", Active: true, UpdatedAt: t0}
}

func TestDatasets(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)

	// Before any pull: defaults, empty lists, no cursors.
	s, err := db.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.RetentionDays != DefaultRetentionDays || s.Rules != checkpoint.DefaultConfig() || s.HQSealKey != "" {
		t.Errorf("default Settings = %+v", s)
	}
	if c, _ := db.Cursors(ctx); len(c) != 0 {
		t.Errorf("Cursors before any pull = %v; want none", c)
	}
	if tl, err := db.TrustList(ctx); err != nil || len(tl.Keys) != 0 {
		t.Errorf("TrustList before pull = %+v, %v", tl, err)
	}

	ik, err := checkpoint.GenerateIssuerKey("k1", t0.Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	trust := checkpoint.TrustList{Version: 3, Keys: []checkpoint.TrustedKey{ik.TrustedKey()}}
	sets := []checkpoint.Dataset{
		{Name: checkpoint.DatasetTrust, Version: 3, Data: mustJSON(t, trust)},
		{Name: checkpoint.DatasetRevocations, Version: 7, Data: json.RawMessage(`{"version":7,"code_ids":["c1","c2"]}`)},
		{Name: checkpoint.DatasetRisk, Version: 2, Data: json.RawMessage(`[{"code":"220100","level":"high","from":"2022-03-01"}]`)},
		{Name: checkpoint.DatasetStaff, Version: 4, Data: mustJSON(t, []checkpoint.Staff{staffMember("st-1", "h1"), staffMember("st-2", "h2")})},
		{Name: checkpoint.DatasetSites, Version: 5, Data: mustJSON(t, []checkpoint.Site{site("site-1", ""), site("site-2", "site-1")})},
		{Name: checkpoint.DatasetSettings, Version: 6, Data: json.RawMessage(`{"rules":{"fever_c":37.5},"retention_days":14}`)},
		{Name: "future_thing", Version: 1, Data: json.RawMessage(`{}`)},
		{Name: checkpoint.DatasetRisk, Version: 9, Data: json.RawMessage(`[{"code":"x"}]`)}, // refused, v2 stays
	}
	err = db.ApplyDatasets(ctx, sets)
	if err == nil || !strings.Contains(err.Error(), `store: apply dataset "risk_areas"`) {
		t.Errorf("ApplyDatasets with a bad risk list: %v; want an error naming risk_areas", err)
	}
	cur, _ := db.Cursors(ctx)
	want := map[string]int64{"trust": 3, "revocations": 7, "risk_areas": 2, "staff": 4, "sites": 5, "settings": 6, "future_thing": 1}
	if mustJSONString(t, cur) != mustJSONString(t, want) {
		t.Errorf("Cursors = %v; want %v", cur, want)
	}
	if tl, err := db.TrustList(ctx); err != nil || len(tl.Keys) != 1 || tl.Keys[0].KID != "k1" {
		t.Errorf("TrustList = %+v, %v", tl, err)
	}
	if rv, err := db.Revocations(ctx); err != nil || strings.Join(rv, ",") != "c1,c2" {
		t.Errorf("Revocations = %v, %v", rv, err)
	}
	if ra, err := db.RiskAreas(ctx); err != nil || len(ra) != 1 || ra[0].Code != "220100" {
		t.Errorf("RiskAreas = %+v, %v", ra, err)
	}
	if s, _ := db.Settings(ctx); s.Rules.FeverC != 37.5 || s.Rules.LocalCounty != "220221" || s.RetentionDays != 14 {
		t.Errorf("Settings = %+v; want fever 37.5 from HQ, other rules default, retention 14", s)
	}
	if st, err := db.StaffByPhoneLookup(ctx, "h2"); err != nil || st.ID != "st-2" {
		t.Errorf("StaffByPhoneLookup(h2) = %+v, %v", st, err)
	}
	if _, err := db.StaffByPhoneLookup(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("StaffByPhoneLookup(nope) = %v; want ErrNotFound", err)
	}

	// Local edits show at once, survive a dataset that predates them, and go once HQ has them.
	edited := site("site-2", "site-1")
	edited.Name = "新名字"
	editID, err := db.SaveSiteEdit(ctx, Meta{StaffID: "sup"}, checkpoint.SiteEdit{Site: edited})
	if err != nil {
		t.Fatal(err)
	}
	added := site("site-3", "site-1")
	if _, err := db.SaveSiteEdit(ctx, Meta{StaffID: "sup"}, checkpoint.SiteEdit{Site: added, Created: true}); err != nil {
		t.Fatal(err)
	}
	keys(t, db, 0)
	if _, err := db.SaveStaffAdd(ctx, Meta{StaffID: "sup"}, checkpoint.StaffAdd{Staff: staffMember("st-3", "h3")}, checkpoint.Personal{Phone: fullPhone}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.Site(ctx, "site-2"); got.Name != "新名字" {
		t.Errorf("Site(site-2) after edit = %q; want the edit", got.Name)
	}
	if st, err := db.StaffByPhoneLookup(ctx, "h3"); err != nil || st.ID != "st-3" {
		t.Errorf("added staff not found at once: %+v, %v", st, err)
	}
	// An older sites dataset arrives before the edit reaches HQ: the local rows stay.
	db.ApplyDatasets(ctx, []checkpoint.Dataset{{Name: checkpoint.DatasetSites, Version: 6, Data: mustJSON(t, []checkpoint.Site{site("site-1", ""), site("site-2", "site-1")})}})
	sites, _ := db.Sites(ctx)
	if len(sites) != 3 {
		t.Errorf("Sites after stale dataset = %d; want 3 (local edits pinned)", len(sites))
	}
	// HQ acknowledges the edit; the next dataset replaces the local rows.
	db.ApplyResults(ctx, []checkpoint.RecordResult{{ID: editID, Status: checkpoint.ResultStored}}, t0)
	db.ApplyDatasets(ctx, []checkpoint.Dataset{{Name: checkpoint.DatasetSites, Version: 7, Data: mustJSON(t, []checkpoint.Site{site("site-1", ""), site("site-2", "site-1")})}})
	if got, _ := db.Site(ctx, "site-2"); got.Name != "站点site-2" {
		t.Errorf("Site(site-2) after HQ dataset = %q; want HQ's", got.Name)
	}
	if _, err := db.Site(ctx, "site-3"); err != nil {
		t.Errorf("site-3 (still unacknowledged) = %v; want kept", err)
	}
	if _, err := db.Site(ctx, "site-9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Site(site-9) = %v; want ErrNotFound", err)
	}
	if r, _ := db.Roster(ctx); len(r) != 3 {
		t.Errorf("Roster = %d accounts; want 3", len(r))
	}
}

func mustJSONString(t testing.TB, v any) string { return string(mustJSON(t, v)) }

func TestDeviceSyncStateLogin(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	d, err := db.Device(ctx)
	if err != nil || d.ID != "dev-1" || d.Secret != "s3cret-value" || !d.EnrolledAt.Equal(t0) {
		t.Errorf("Device = %+v, %v", d, err)
	}
	if err := db.SaveDevice(ctx, Device{ID: "dev-2"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("SaveDevice without secret = %v; want ErrInvalid", err)
	}
	if s, err := db.SyncState(ctx); err != nil || s != (SyncState{}) {
		t.Errorf("SyncState before any = %+v, %v", s, err)
	}
	want := SyncState{LastSuccess: t0, LastAttempt: t0.Add(time.Minute), LastError: "网络不可用 network unreachable"}
	if err := db.SetSyncState(ctx, want); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.SyncState(ctx); s != want {
		t.Errorf("SyncState = %+v; want %+v", s, want)
	}
	for i := range 3 {
		if err := db.RecordLoginFailure(ctx, "st-1", t0.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	db.RecordLoginFailure(ctx, "st-2", t0)
	for _, tt := range []struct {
		since time.Time
		want  int
	}{{t0, 3}, {t0.Add(time.Minute), 2}, {t0.Add(time.Hour), 0}} {
		if n, err := db.LoginFailures(ctx, "st-1", tt.since); err != nil || n != tt.want {
			t.Errorf("LoginFailures(st-1, %v) = %d, %v; want %d", tt.since, n, err, tt.want)
		}
	}
	db.ResetLoginFailures(ctx, "st-1")
	if n, _ := db.LoginFailures(ctx, "st-1", time.Time{}); n != 0 {
		t.Errorf("after reset: %d failures", n)
	}
	if n, _ := db.LoginFailures(ctx, "st-2", time.Time{}); n != 1 {
		t.Errorf("reset of st-1 touched st-2: %d", n)
	}
}

func TestSettingsWithBadKeysRefused(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	for _, data := range []string{
		`{"hq_seal_key":"AAAA"}`,                         // 3 bytes, not an X25519 key
		`{"hq_seal_key":"not base64!!"}`,                 // not base64
		`{"person_hash_key":"MDEyMzQ1Njc4OWFiY2RlZg=="}`, // HQ's hash key: never on a kiosk
		`{"staff_salt":"AAAA"}`,                          // too short
		`{"rules":{"fever_c":"hot"}}`,                    // not a number
		`{"retention_days":"forever"}`,                   // not a number
	} {
		err := db.ApplyDatasets(ctx, []checkpoint.Dataset{{Name: checkpoint.DatasetSettings, Version: 2, Data: json.RawMessage(data)}})
		if err == nil {
			t.Errorf("ApplyDatasets(settings %s) succeeded; want it refused", data)
		}
	}
	if c, _ := db.Cursors(ctx); len(c) != 0 {
		t.Errorf("refused settings left a cursor: %v", c)
	}
	// With no usable settings, personal data is simply not kept.
	if _, err := db.SaveCheck(ctx, Meta{}, greenCheck(), checkpoint.Personal{ID: fullID}); err != nil {
		t.Errorf("SaveCheck: %v", err)
	}
}
