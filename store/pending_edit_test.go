package store

import (
	"context"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
)

// A sites dataset that arrives while a supervisor's edit of an existing site is still waiting
// for HQ must not overwrite the edit: the supervisor would see the old values again and think
// the edit lost.
func TestIncomingSitesKeepPendingLocalEdit(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	hq := site("s1", "site-1")
	apply := func(v int64, sites ...checkpoint.Site) {
		t.Helper()
		if err := db.ApplyDatasets(ctx, []checkpoint.Dataset{{Name: checkpoint.DatasetSites, Version: v, Data: mustJSON(t, sites)}}); err != nil {
			t.Fatal(err)
		}
	}
	apply(1, site("site-1", ""), hq)
	edited := hq
	edited.Name = "本地修改"
	if _, err := db.SaveSiteEdit(ctx, Meta{StaffID: "sup"}, checkpoint.SiteEdit{Site: edited}); err != nil {
		t.Fatal(err)
	}
	changed := hq
	changed.Address = "总部修改的地址"
	apply(2, site("site-1", ""), changed)
	got, err := db.Site(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "本地修改" {
		t.Errorf("after a sites dataset the pending edit reads %q; want the supervisor's %q", got.Name, "本地修改")
	}
}
