package store

import (
	"context"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// An edit is made from the revision the kiosk holds, or from its own edit HQ has not answered
// yet; when HQ answers superseded, the record leaves the outbox, the supervisor gets a notice and
// the site shows HQ's version again, even when no newer dataset will come.
func TestSupersededEditNoticeAndRestore(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	hq := site("s1", "site-1")
	hq.Revision = 4
	hq.Name = "总部版本"
	if err := db.ApplyDatasets(ctx, []checkpoint.Dataset{{Name: checkpoint.DatasetSites, Version: 7,
		Data: mustJSON(t, []checkpoint.Site{site("site-1", ""), hq})}}); err != nil {
		t.Fatal(err)
	}
	if b, err := db.EditBase(ctx, "sites", "s1"); err != nil || b != (checkpoint.EditBase{BaseRevision: 4}) {
		t.Fatalf("EditBase of HQ's row = %+v, %v; want revision 4", b, err)
	}
	if b, err := db.EditBase(ctx, "sites", "nope"); err != nil || b != (checkpoint.EditBase{}) {
		t.Fatalf("EditBase of an unknown site = %+v, %v; want zero", b, err)
	}
	edited := hq
	edited.Name = "本地修改"
	id, err := db.SaveSiteEdit(ctx, Meta{StaffID: "sup"}, checkpoint.SiteEdit{Site: edited, EditBase: checkpoint.EditBase{BaseRevision: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := db.EditBase(ctx, "sites", "s1"); err != nil || b.BaseRecord != id {
		t.Fatalf("EditBase after a local edit = %+v, %v; want base_record %s", b, err, id)
	}
	msg := "您对站点「本地修改」的修改未生效：总部已有更新的版本 / your edit of site \"本地修改\" did not take effect: HQ has a newer version"
	if err := db.ApplyResults(ctx, []checkpoint.RecordResult{{ID: id, Status: checkpoint.ResultSuperseded, Error: "superseded", Message: msg}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	st, err := db.OutboxStats(ctx)
	if err != nil || st.Pending != 0 || st.Quarantined != 0 {
		t.Errorf("outbox = %+v, %v; want the superseded edit done", st, err)
	}
	got, err := db.Site(ctx, "s1")
	if err != nil || got.Name != "总部版本" || got.Revision != 4 {
		t.Errorf("site after superseded = %+v, %v; want HQ's version back", got, err)
	}
	if b, _ := db.EditBase(ctx, "sites", "s1"); b != (checkpoint.EditBase{BaseRevision: 4}) {
		t.Errorf("EditBase after superseded = %+v; want HQ's revision 4 again", b)
	}
	notes, err := db.Notices(ctx)
	if err != nil || len(notes) != 1 {
		t.Fatalf("Notices = %+v, %v; want one", notes, err)
	}
	if n := notes[0]; n.RecordID != id || n.Kind != checkpoint.KindSiteEdit || n.SubjectID != "s1" || n.SubjectName != "本地修改" ||
		n.Code != checkpoint.ResultSuperseded || n.Message != msg {
		t.Errorf("notice = %+v", n)
	}
	// The same answer again (a resend) keeps one notice.
	if err := db.ApplyResults(ctx, []checkpoint.RecordResult{{ID: id, Status: checkpoint.ResultSuperseded}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if notes, _ := db.Notices(ctx); len(notes) != 1 {
		t.Errorf("%d notices after the same answer twice; want 1", len(notes))
	}
}
