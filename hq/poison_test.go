package hq

import (
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
)

// A site edit with a NUL byte passed the kiosk's and HQ's checks and made PostgreSQL fail the
// whole batch (SQLSTATE 22021) with a 500, forever. Now it is that record's own rejection and
// the rest of the batch is stored.
func TestPoisonSiteEditRejectedAloneNot500(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		recs := []checkpoint.Record{
			rec(e.devA, "a", "scan-a"),
			edit(e.devA, "sup-a", checkpoint.Site{ID: "a9", ParentID: "a", Name: "卡口\x00九"}, true),
			rec(e.devA, "a", "scan-a"),
			edit(e.devA, "sup-a", checkpoint.Site{ID: "a8", ParentID: "a", Name: "八号卡口", Remarks: "esc\x1b[2J"}, true),
		}
		code, resp := e.push(e.devA, recs...)
		if code != 200 || len(resp.Results) != len(recs) {
			t.Fatalf("push with poison site edits = %d, %+v; want 200 with a result per record", code, resp)
		}
		want := []string{checkpoint.ResultStored, checkpoint.ResultRejected, checkpoint.ResultStored, checkpoint.ResultRejected}
		for i, r := range resp.Results {
			if r.Status != want[i] {
				t.Errorf("record %d: %+v; want %s", i, r, want[i])
			}
		}
		if resp.Results[1].Error != "invalid_site" {
			t.Errorf("poison record answered %+v; want invalid_site", resp.Results[1])
		}
		if st := e.stats(); st.Checks != 2 {
			t.Errorf("HQ holds %d checks; want 2", st.Checks)
		}
	})
}
