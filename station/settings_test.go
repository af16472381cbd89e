package station

import (
	"context"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

func TestSettingsShowHQRulesAndKeepSound(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sup := Session{StaffID: "sup", Supervisor: true, SiteID: "demo-site"}
	v, err := f.st.Settings(ctx, sup)
	if err != nil || !v.Enrolled || v.HQURL != "http://hq.invalid" || !v.FromHQ || !v.Sound {
		t.Fatalf("Settings = %+v, %v; want the enrolled HQ, its rules and sound on", v, err)
	}
	if v.Rules.FeverC != checkpoint.DefaultConfig().FeverC || v.Rules.LocalCounty == "" {
		t.Errorf("rules = %+v; want HQ's with the defaults filled in", v.Rules)
	}
	if err := f.st.SetSound(ctx, sup, false); err != nil {
		t.Fatal(err)
	}
	// A new station on the same store: the choice was kept in the kiosk's database.
	again := New(Config{DB: f.db, Now: func() time.Time { return f.now }})
	if v, err := again.Settings(ctx, sup); err != nil || v.Sound {
		t.Errorf("after SetSound(off) Settings = %+v, %v; want sound off", v, err)
	}
	scan := Session{StaffID: "scan", SiteID: "sub-1"}
	if _, err := f.st.Settings(ctx, scan); err == nil {
		t.Error("a scanner opened the settings; want refused")
	}
	if err := f.st.SetSound(ctx, scan, true); err == nil {
		t.Error("a scanner changed the sound; want refused")
	}
}
