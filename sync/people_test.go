package sync

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

const fakeRedID = "220221198505050413"

// personStatus answers red for fakeRedID and unknown for everyone else; it refuses a query
// that carries the number anywhere but the body.
func (h *fakeHQ) personStatus(w http.ResponseWriter, r *http.Request) {
	var q checkpoint.PersonStatusQuery
	if strings.Contains(r.URL.String(), fakeRedID[:6]) || json.NewDecoder(r.Body).Decode(&q) != nil {
		h.fail(w, http.StatusBadRequest, "bad_json")
		return
	}
	if q.IDNumber == fakeRedID {
		json.NewEncoder(w).Encode(checkpoint.PersonStatus{Known: true, Status: "red", Reason: "密接"})
		return
	}
	json.NewEncoder(w).Encode(checkpoint.PersonStatus{})
}

func TestPersonStatus(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	c := New(db, fastConfig(Config{StatusTimeout: 200 * time.Millisecond}))
	ctx := context.Background()
	ps, err := c.PersonStatus(ctx, fakeRedID)
	if err != nil || !ps.Known || ps.Status != "red" || ps.Reason != "密接" {
		t.Fatalf("PersonStatus(red) = %+v, %v", ps, err)
	}
	if ps, err := c.PersonStatus(ctx, "110101199003074477"); err != nil || ps.Known {
		t.Fatalf("PersonStatus(unknown) = %+v, %v; want known=false", ps, err)
	}
	if _, err := c.PersonStatus(ctx, "short"); err == nil {
		t.Error("PersonStatus(\"short\") succeeded")
	}
	release := make(chan struct{})
	defer close(release)
	h.setBefore(func(w http.ResponseWriter, r *http.Request) bool {
		select {
		case <-release:
		case <-r.Context().Done():
		}
		return true
	})
	start := time.Now()
	if _, err := c.PersonStatus(ctx, fakeRedID); Explain(err) != MsgTimeout || time.Since(start) > 2*time.Second {
		t.Errorf("PersonStatus on a slow HQ = %v after %v; want a timeout after ~200ms", err, time.Since(start))
	}
}
