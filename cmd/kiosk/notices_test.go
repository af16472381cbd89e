package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// Two kiosks of one site edit it from the same version: the first edit to reach HQ applies, the
// second is answered superseded. Its kiosk's outbox empties, `kiosk notices` lists the edit with
// HQ's words, and the kiosk shows HQ's version of the site after its sync.
func TestSupersededEditNoticed(t *testing.T) {
	srv, code1 := testHQServer(t)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	ctx := context.Background()
	dirs := []string{filepath.Join(t.TempDir(), "k1"), filepath.Join(t.TempDir(), "k2")}
	var site string
	for i, dir := range dirs {
		code := code1
		if i == 1 {
			c, err := srv.CreateEnrollCode(ctx, site, 0)
			if err != nil {
				t.Fatal(err)
			}
			code = c.Code
		}
		if rc, out, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", code); rc != 0 {
			t.Fatalf("enroll %d = %d: %s", i, rc, errOut)
		} else {
			var e struct {
				SiteID string `json:"site_id"`
			}
			json.Unmarshal([]byte(out), &e)
			site = e.SiteID
		}
	}
	edit := func(dir, name string) {
		t.Helper()
		db, err := store.OpenDir(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		roster, err := db.Roster(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sup := ""
		for _, s := range roster {
			if s.Role == checkpoint.RoleSupervisor && s.SiteID == site {
				sup = s.ID
			}
		}
		s, err := db.Site(ctx, site)
		if err != nil || sup == "" {
			t.Fatalf("site %s, supervisor %q: %v", site, sup, err)
		}
		base, err := db.EditBase(ctx, "sites", site)
		if err != nil || base.BaseRevision == 0 {
			t.Fatalf("EditBase = %+v, %v; want HQ's revision", base, err)
		}
		s.Name = name
		if _, err := db.SaveSiteEdit(ctx, store.Meta{StaffID: sup, SiteID: site}, checkpoint.SiteEdit{Site: s, EditBase: base}); err != nil {
			t.Fatal(err)
		}
	}
	edit(dirs[0], "第一台的名字")
	edit(dirs[1], "第二台的名字")
	for i, dir := range dirs {
		if rc, out, errOut := dispatchTest(t, "sync", "--data", dir, "--timeout", "30s"); rc != 0 {
			t.Fatalf("sync %d = %d, %s %s", i, rc, out, errOut)
		}
	}
	rc, out, errOut := dispatchTest(t, "notices", "--data", dirs[1])
	var got struct {
		Count   int          `json:"count"`
		Notices []noticeJSON `json:"notices"`
	}
	if err := json.Unmarshal([]byte(out), &got); rc != 0 || err != nil || got.Count != 1 || got.Notices[0].ID != site ||
		got.Notices[0].Status != checkpoint.ResultSuperseded || got.Notices[0].Name != "第二台的名字" || got.Notices[0].Message == "" {
		t.Fatalf("kiosk notices = %d, %q (%s); want the second kiosk's edit, superseded", rc, out, errOut)
	}
	if _, out, _ := dispatchTest(t, "notices", "--data", dirs[0]); out != `{"count":0,"notices":[]}`+"\n" {
		t.Errorf("first kiosk's notices = %q; want none", out)
	}
	db, err := store.OpenDir(ctx, dirs[1])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if s, err := db.Site(ctx, site); err != nil || s.Name != "第一台的名字" {
		t.Errorf("second kiosk's site after sync = %+v, %v; want HQ's version (the first kiosk's edit)", s, err)
	}
	if st, _ := db.OutboxStats(ctx); st.Pending != 0 || st.Quarantined != 0 {
		t.Errorf("second kiosk's outbox = %+v; want empty", st)
	}
}
