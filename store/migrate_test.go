package store

import (
	"bytes"
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/pressly/goose/v3"
)

// TestMigrationDropsKeyedHashes upgrades a kiosk file made by the first schema, holding HQ's
// person-hash key, person hashes and an HMAC roster with masked phones, and checks that
// afterwards no byte of the key, the hashes or the masked phones is left in the file (secure
// delete), and that the settings will be pulled again.
func TestMigrationDropsKeyedHashes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	first, err := fs.ReadFile(migrations, "migrations/00001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	const (
		key        = "S2V5Qnl0ZXNPZkhRc1BlcnNvbkhhc2hLZXlYWFhYWFg=" // what HQ used to send
		personHash = "9b1d4c0e2f3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"
		phoneHash  = "77aa4c0e2f3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d77"
		masked     = "139****5678"
	)
	old, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, old, fstest.MapFS{"00001_init.sql": {Data: first}}, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO outbox (id, kind, created_at, envelope, state) VALUES ('r1', 'registration', 1, '{}', 1)`,
		`INSERT INTO entries (id, kind, at, site_id, staff_id, verdict, person_hash) VALUES ('r1', 'registration', 1, 's', 'st', 'pass', '` + personHash + `')`,
		`INSERT INTO datasets (name, version, data, updated_at) VALUES ('settings', 4, CAST('{"hq_seal_key":"","person_hash_key":"` + key + `","retention_days":28}' AS BLOB), 1)`,
		`INSERT INTO datasets (name, version, data, updated_at) VALUES ('staff', 3, CAST('[{"id":"st","phone_hash":"` + phoneHash + `","phone_masked":"` + masked + `"}]' AS BLOB), 1)`,
		`INSERT INTO staff (id, phone_hash, data) VALUES ('st', '` + phoneHash + `', CAST('{"phone_masked":"` + masked + `"}' AS BLOB))`,
		`INSERT INTO login_failures (staff_id, at) VALUES ('phone:` + phoneHash + `', 1)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	db, err := OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := db.Cursors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := cur["settings"]; !ok || v != 0 {
		t.Errorf("settings cursor after upgrade = %d, %v; want 0 (pull again)", v, ok)
	}
	if _, ok := cur["staff"]; ok {
		t.Errorf("staff cursor kept after upgrade; want the roster pulled again")
	}
	if _, err := db.Settings(ctx); err != nil {
		t.Errorf("Settings after upgrade: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{key, personHash, phoneHash, masked} {
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s still holds %q after the upgrade", filepath.Base(f), secret)
			}
		}
	}
}
