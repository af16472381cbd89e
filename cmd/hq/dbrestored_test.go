package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// hq db restored gives HQ a new epoch each time, and says which.
func TestDBRestoredNewEpoch(t *testing.T) {
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "hq.db")
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	seen := map[string]bool{}
	for range 2 {
		rc, out, errOut := dispatchTest(t, "db", "restored", "--db", dsn)
		var v struct{ Epoch string }
		if rc != 0 || json.Unmarshal([]byte(out), &v) != nil || v.Epoch == "" || seen[v.Epoch] {
			t.Fatalf("hq db restored = %d, %q, %q; want 0 and a new epoch", rc, out, errOut)
		}
		seen[v.Epoch] = true
		db, _ := sqldb.Open(context.Background(), dsn)
		got, _, _ := db.Setting(context.Background(), "hq_epoch")
		db.Close()
		if got != v.Epoch {
			t.Errorf("settings hq_epoch = %q; want %q", got, v.Epoch)
		}
	}
	if rc, _, _ := dispatchTest(t, "db", "nonsense"); rc != 2 {
		t.Errorf("hq db nonsense = %d; want 2", rc)
	}
}
