package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

func TestHeldCommand(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hq.db")
	ctx := context.Background()
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	recs := []checkpoint.Record{
		{ID: "r-held", Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s", StaffID: "gone", CreatedAt: now, Body: []byte(`{}`)},
		{ID: "r-ok", Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s", StaffID: "st", CreatedAt: now, Body: []byte(`{}`)},
	}
	if _, err := db.IngestHeld(ctx, recs, []string{"staff_not_allowed", ""}, nil, now); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errOut := runHQ(t, "held", "--db", dsn)
	var h sqldb.HeldRecord
	if code != 0 || strings.Count(out, "\n") != 1 || json.Unmarshal([]byte(out), &h) != nil || h.ID != "r-held" || h.Reason != "staff_not_allowed" {
		t.Errorf("hq held = %d, %q (stderr %q); want one line for r-held with its reason", code, out, errOut)
	}
	code, out, _ = runHQ(t, "stats", "--db", dsn)
	var st struct{ Checks, Held int }
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Checks != 2 || st.Held != 1 {
		t.Errorf("hq stats = %d, %q; want 2 checks, 1 held", code, out)
	}
	if code, _, _ := runHQ(t, "held", "--db", dsn, "extra"); code != 2 {
		t.Errorf("hq held with an extra argument = %d; want 2", code)
	}
	if code, _, _ := runHQ(t, "rechecks", "--db", dsn, "--limit", "0"); code != 2 {
		t.Errorf("hq rechecks --limit 0 = %d; want 2", code)
	}
}
