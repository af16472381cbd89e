package station

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

func TestLogFiltersDetailAndExport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sup := Session{StaffID: "sup", Supervisor: true, SiteID: "demo-site"}
	scan := Session{StaffID: "scan", SiteID: "sub-1"}
	save := func(m store.Meta, c checkpoint.Check) string {
		t.Helper()
		c.ScannedAt, c.ConfirmedAt = f.now, f.now
		id, err := f.db.SaveCheck(ctx, m, c, checkpoint.Personal{})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := save(store.Meta{StaffID: "scan", SiteID: "sub-1"}, checkpoint.Check{Verdict: "refer", Reasons: []string{"fever"}, NameMasked: "张*", IDMasked: "220221********1234", Household: "220221", TempTenths: 385})
	b := save(store.Meta{StaffID: "sup", SiteID: "demo-site"}, checkpoint.Check{Verdict: "pass", Reasons: []string{}, NameMasked: "李*"})
	if err := f.db.ApplyResults(ctx, []checkpoint.RecordResult{
		{ID: a, Status: checkpoint.ResultRejected, Error: "invalid_record", Message: "记录格式无效 / invalid record"},
		{ID: b, Status: checkpoint.ResultStored},
	}, f.now); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		s    Session
		f    LogFilter
		want []string
	}{
		{"supervisor, all", sup, LogFilter{}, []string{a, b}},
		{"supervisor, staff scan", sup, LogFilter{StaffID: "scan"}, []string{a}},
		{"supervisor, site demo-site", sup, LogFilter{SiteID: "demo-site"}, []string{b}},
		{"supervisor, after the checks", sup, LogFilter{From: f.now.Add(time.Second)}, nil},
		{"scanner asks for another's", scan, LogFilter{StaffID: "sup"}, []string{a}},
	} {
		rows, _, err := f.st.QueryLog(ctx, c.s, c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.ID)
		}
		slices.Sort(got)
		slices.Sort(c.want)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: QueryLog = %v; want %v", c.name, got, c.want)
		}
	}

	staff, err := f.st.LogStaff(ctx, sup)
	if err != nil || len(staff) != 2 {
		t.Errorf("LogStaff = %+v, %v; want sup and scan", staff, err)
	}
	if _, err := f.st.LogStaff(ctx, scan); err == nil {
		t.Error("LogStaff for a scanner; want refused")
	}

	d, err := f.st.LogDetail(ctx, sup, a)
	if err != nil || d.Sync != "quarantined" || d.Reason != "记录格式无效 / invalid record" || d.Reasons[0] != "fever" || d.TempC == "" || d.Household != "220221" {
		t.Errorf("LogDetail(quarantined) = %+v, %v", d, err)
	}
	d, err = f.st.LogDetail(ctx, sup, b)
	if err != nil || d.Sync != "synced" || !d.SyncedAt.Equal(f.now) {
		t.Errorf("LogDetail(synced) = %+v, %v; want synced at %v", d, err, f.now)
	}
	if _, err := f.st.LogDetail(ctx, scan, b); err == nil {
		t.Error("a scanner opened another's record; want refused")
	}
	if _, err := f.st.LogDetail(ctx, sup, "nope"); err == nil {
		t.Error("LogDetail(nope) found a record")
	}

	for _, format := range []string{FormatCSV, FormatXLSX} {
		path, n, err := f.st.ExportLog(ctx, sup, LogFilter{StaffID: "scan"}, format)
		if err != nil || n != 1 || !strings.HasPrefix(path, f.dir) || !strings.HasSuffix(path, "."+format) {
			t.Fatalf("ExportLog(%s) = %q, %d, %v; want 1 row in the data directory", format, path, n, err)
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) == 0 {
			t.Errorf("export %s: %d bytes, %v", path, len(b), err)
		}
		if format == FormatCSV && (!strings.Contains(string(b), "220221********1234") || strings.Contains(string(b), "李*")) {
			t.Errorf("CSV export = %q; want scan's masked row only", b)
		}
	}
	if _, _, err := f.st.ExportLog(ctx, scan, LogFilter{}, FormatCSV); err == nil {
		t.Error("a scanner exported the log; want refused")
	}
	if _, _, err := f.st.ExportLog(ctx, sup, LogFilter{}, "pdf"); err == nil {
		t.Error("ExportLog(pdf) succeeded")
	}
}
