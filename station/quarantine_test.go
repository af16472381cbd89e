package station

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

func TestQuarantineForSupervisor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sup := Session{StaffID: "sup", Supervisor: true, SiteID: "demo-site"}
	scan := Session{StaffID: "scan", SiteID: "sub-1"}
	var ids []string
	for range 3 {
		id, err := f.db.SaveCheck(ctx, store.Meta{StaffID: "scan", SiteID: "sub-1"}, checkpoint.Check{Verdict: "pass", Reasons: []string{}}, checkpoint.Personal{})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := f.db.ApplyResults(ctx, []checkpoint.RecordResult{
		{ID: ids[0], Status: checkpoint.ResultRejected, Error: "invalid_record", Message: "记录格式无效 / invalid record"},
		{ID: ids[2], Status: checkpoint.ResultRejected, Error: "too_large"},
	}, f.now); err != nil {
		t.Fatal(err)
	}

	if _, err := f.st.Quarantined(ctx, scan); err == nil {
		t.Error("a scanner listed quarantined records; want refused")
	}
	rows, err := f.st.Quarantined(ctx, sup)
	if err != nil || len(rows) != 2 || rows[0].ID != ids[0] || rows[0].Reason != "记录格式无效 / invalid record" || rows[1].Reason != "记录过大，总部无法接收 / record too large for HQ" {
		t.Fatalf("Quarantined = %+v, %v; want both, with HQ's words or the words for its code", rows, err)
	}

	path, n, err := f.st.ExportQuarantine(ctx, sup)
	if err != nil || n != 2 || !strings.HasPrefix(path, f.dir) {
		t.Fatalf("ExportQuarantine = %q, %d, %v; want 2 records in the data directory", path, n, err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	lines := 0
	for sc.Scan() {
		var l store.QuarantineLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Record == nil || l.Record.Validate() != nil {
			t.Errorf("export line %q: %v; want a record envelope", sc.Text(), err)
		}
		lines++
	}
	if lines != 2 {
		t.Errorf("export has %d lines; want 2", lines)
	}

	if err := f.st.Requeue(ctx, scan, ids[0]); err == nil {
		t.Error("a scanner requeued a record; want refused")
	}
	if err := f.st.Requeue(ctx, sup, ids[0], ids[2]); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.db.OutboxStats(ctx); st.Pending != 3 || st.Quarantined != 0 {
		t.Errorf("after requeue outbox = %+v; want 3 pending", st)
	}
	if err := f.st.Requeue(ctx, sup, ids[0]); err == nil {
		t.Error("requeue of a record no longer quarantined succeeded; want a problem")
	}
}
