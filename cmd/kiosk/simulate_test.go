package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

func TestSimulate(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := runSimulate(context.Background(), []string{"--data", dir, "--checks", "25"}, &out, &errb); code != 0 {
		t.Fatalf("simulate exit %d: %s", code, errb.String())
	}
	var got simulateOutput
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("simulate output %q: %v", out.String(), err)
	}
	if got.Saved != 25 || got.P99MS <= 0 {
		t.Errorf("simulate = %+v; want 25 saved with latencies", got)
	}
	db, err := store.OpenDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if st, _ := db.OutboxStats(context.Background()); st.Pending != 25 {
		t.Errorf("outbox pending = %d; want 25", st.Pending)
	}
}

func TestSimulateUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"--checks", "x", "--data", "d"}, {"--data", "d", "extra"}, {"--bogus"}} {
		var out, errb bytes.Buffer
		if code := runSimulate(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("simulate %q exit %d; want 2", args, code)
		}
		if lines := strings.Count(strings.TrimSpace(errb.String()), "\n"); lines > 1 {
			t.Errorf("simulate %q: stderr %q; want a short usage message", args, errb.String())
		}
	}
}

func TestSimResidentIDValid(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		id := simResidentID(r, "220221")
		if _, err := checkpoint.ParseResidentID(id); err != nil {
			t.Fatalf("simResidentID = %q: %v", id, err)
		}
	}
}
