package station

import (
	"context"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

func TestEnrollErrorsInWords(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenDir(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st := New(Config{DB: db, Sync: sync.New(db, sync.Config{})})
	code := checkpoint.FormatEnrollCode("ABCDEFGHJKLMNPQR", strings.Repeat("A", checkpoint.RootIDLen))
	for _, c := range []struct{ name, url, code string }{
		{"not a URL", "hq.example", code},
		{"bad code", "http://127.0.0.1:1", "1234"},
		{"HQ not reached", "http://127.0.0.1:1", code},
	} {
		err := st.Enroll(ctx, c.url, c.code, false)
		p, ok := AsProblem(err)
		if !ok || p.ZH == "" || p.EN == "" {
			t.Errorf("%s: Enroll = %v; want a Problem in words", c.name, err)
		}
	}
	if _, err := db.Device(ctx); err == nil {
		t.Error("a failed enrollment saved a device")
	}
	if err := New(Config{DB: db}).Enroll(ctx, "http://127.0.0.1:1", code, false); err == nil {
		t.Error("Enroll without an HQ client succeeded")
	}
}
