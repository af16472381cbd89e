package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

func TestQueryLog(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	type row struct {
		min            int
		staff, verdict string
		name           string
		reg            bool
	}
	rows := []row{
		{0, "st-1", "pass", "张*", false},
		{1, "st-1", "turn_back", "李*", false},
		{2, "st-2", "pass", "王*明", false},
		{3, "st-2", "refer", "赵*", true},
		{4, "st-1", "pass", "100%_*", false},
	}
	var id []string
	for _, r := range rows {
		at := t0.Add(time.Duration(r.min) * time.Minute)
		var i string
		var err error
		if r.reg {
			i, err = db.SaveRegistration(ctx, Meta{StaffID: r.staff, At: at}, checkpoint.Registration{Verdict: r.verdict, NameMasked: r.name, IDMasked: "110101********0011", PhoneMasked: "139****1111"}, checkpoint.Personal{})
		} else {
			c := greenCheck()
			c.Verdict, c.NameMasked = r.verdict, r.name
			i, err = db.SaveCheck(ctx, Meta{StaffID: r.staff, At: at}, c, checkpoint.Personal{})
		}
		if err != nil {
			t.Fatal(err)
		}
		id = append(id, i)
	}
	db.ApplyResults(ctx, []checkpoint.RecordResult{{ID: id[0], Status: checkpoint.ResultStored}}, t0)
	tests := []struct {
		name      string
		f         LogFilter
		want      []string
		wantTotal int
	}{
		{"all newest first", LogFilter{}, []string{id[4], id[3], id[2], id[1], id[0]}, 5},
		{"time window", LogFilter{From: t0.Add(time.Minute), To: t0.Add(3 * time.Minute)}, []string{id[2], id[1]}, 2},
		{"verdict", LogFilter{Verdict: "pass"}, []string{id[4], id[2], id[0]}, 3},
		{"staff", LogFilter{StaffID: "st-2"}, []string{id[3], id[2]}, 2},
		{"site", LogFilter{SiteID: "site-1", Verdict: "refer"}, []string{id[3]}, 1},
		{"other site", LogFilter{SiteID: "site-9"}, nil, 0},
		{"search name", LogFilter{Search: "王"}, []string{id[2]}, 1},
		{"search masked id", LogFilter{Search: "110101"}, []string{id[3]}, 1},
		{"search phone", LogFilter{Search: "1111"}, []string{id[3]}, 1},
		{"search wildcard is literal", LogFilter{Search: "%_"}, []string{id[4]}, 1},
		{"page", LogFilter{Limit: 2, Offset: 1}, []string{id[3], id[2]}, 5},
	}
	for _, tt := range tests {
		got, total, err := db.QueryLog(ctx, tt.f)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var gotIDs []string
		for _, e := range got {
			gotIDs = append(gotIDs, e.ID)
		}
		if fmt.Sprint(gotIDs) != fmt.Sprint(tt.want) || total != tt.wantTotal {
			t.Errorf("%s: QueryLog(%+v) = %v (total %d); want %v (total %d)", tt.name, tt.f, gotIDs, total, tt.want, tt.wantTotal)
		}
	}
	all, _, _ := db.QueryLog(ctx, LogFilter{})
	if e := all[4]; e.Sync != "synced" || e.Kind != checkpoint.KindCheck || e.NameMasked != "张*" || e.TempTenths != 366 || fmt.Sprint(e.Reasons) != "[green_code]" {
		t.Errorf("oldest entry = %+v", e)
	}
	if e := all[1]; e.Sync != "pending" || e.Kind != checkpoint.KindRegistration || e.PhoneMasked != "139****1111" {
		t.Errorf("registration entry = %+v", e)
	}
	if _, _, err := db.QueryLog(ctx, LogFilter{Search: strings.Repeat("x", 100)}); err == nil {
		t.Error("QueryLog with a 100-character search: no error")
	}
	var n int
	db.EachLog(ctx, LogFilter{Verdict: "pass"}, func(LogEntry) error { n++; return nil })
	if n != 3 {
		t.Errorf("EachLog(pass) visited %d; want 3", n)
	}
}

func TestLastCheckOf(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	// Two codes of one holder (a live code refreshes every few minutes): one holder id.
	c := greenCheck()
	c.CodeID, c.HolderID = "code-77", "0011223344556677"
	db.SaveCheck(ctx, Meta{At: t0}, c, checkpoint.Personal{})
	c.CodeID = "code-78"
	db.SaveCheck(ctx, Meta{At: t0.Add(10 * time.Minute)}, c, checkpoint.Personal{})
	other := greenCheck()
	other.CodeID, other.HolderID = "code-79", "8899aabbccddeeff"
	db.SaveCheck(ctx, Meta{At: t0.Add(20 * time.Minute)}, other, checkpoint.Personal{})
	for _, tt := range []struct {
		key    string
		since  time.Time
		want   time.Time
		wantOK bool
	}{
		{"0011223344556677", t0.Add(-time.Hour), t0.Add(10 * time.Minute), true},
		{"0011223344556677", t0.Add(11 * time.Minute), time.Time{}, false},
		{"8899aabbccddeeff", t0.Add(-time.Hour), t0.Add(20 * time.Minute), true},
		{"0011223344556678", t0.Add(-time.Hour), time.Time{}, false},
		{"code-77", t0.Add(-time.Hour), time.Time{}, false}, // a code id is not a holder id
		{"", t0.Add(-time.Hour), time.Time{}, false},
	} {
		got, ok, err := db.LastCheckOf(ctx, tt.key, tt.since)
		if err != nil || ok != tt.wantOK || !got.Equal(tt.want) {
			t.Errorf("LastCheckOf(%q, %v) = %v, %v, %v; want %v, %v", tt.key, tt.since, got, ok, err, tt.want, tt.wantOK)
		}
	}
}
