package sync

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// fakeHQ is a small HQ that follows the protocol in wire.go: per-record dedupe by id and
// content, versioned datasets, enrollment with one code, live code status. Hooks let a test
// inject faults. The real HQ is exercised by internal/e2e.
type fakeHQ struct {
	srv *httptest.Server

	mu         gosync.Mutex
	records    map[string][]byte // id → envelope as received
	order      []string
	datasets   map[string]checkpoint.Dataset
	batchSizes []int
	queries    []url.Values
	authFails  int

	deviceID, secret, siteID string
	enrollCode               string
	root                     ed25519.PrivateKey    // signs every dataset
	chain                    []checkpoint.RootLink // sent with every config answer
	// mutate, when set, changes a config answer after it is signed (a man in the middle).
	mutate func(resp *checkpoint.ConfigResponse)

	// before, when set, runs first for every request; returning true means it answered.
	before func(w http.ResponseWriter, r *http.Request) bool
	// reject, when set, names records to refuse and the error code.
	reject func(id string) (string, bool)
	// dropAnswer, when set and true for the n-th push (1-based), stores the batch but cuts the
	// connection instead of answering: the answer is lost.
	dropAnswer func(n int) bool
	pushes     int
}

func newFakeHQ(t *testing.T) *fakeHQ {
	t.Helper()
	h := &fakeHQ{
		records:  map[string][]byte{},
		datasets: map[string]checkpoint.Dataset{},
		deviceID: "dev-1",
		secret:   "s3cret",
		siteID:   "site-1",
	}
	h.root, _ = checkpoint.GenerateRootKey()
	h.enrollCode = checkpoint.FormatEnrollCode("ABCDEFGHJKLMNPQR", checkpoint.RootID(h.rootPub()))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/enroll", h.enroll)
	mux.HandleFunc("POST /api/v1/batches", h.auth(h.batches))
	mux.HandleFunc("GET /api/v1/config", h.auth(h.config))
	mux.HandleFunc("GET /api/v1/codes/{id}/status", h.auth(h.codeStatus))
	mux.HandleFunc("POST /api/v1/people/status", h.auth(h.personStatus))
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		before := h.before
		h.mu.Unlock()
		if before != nil && before(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *fakeHQ) URL() string { return h.srv.URL }

func (h *fakeHQ) rootPub() ed25519.PublicKey { return h.root.Public().(ed25519.PublicKey) }

func (h *fakeHQ) fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(checkpoint.ErrorResponse{Error: code, Message: code})
}

func (h *fakeHQ) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+h.deviceID+"."+h.secret {
			h.mu.Lock()
			h.authFails++
			h.mu.Unlock()
			h.fail(w, http.StatusUnauthorized, "bad_credential")
			return
		}
		next(w, r)
	}
}

func (h *fakeHQ) enroll(w http.ResponseWriter, r *http.Request) {
	var req checkpoint.EnrollRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		h.fail(w, http.StatusBadRequest, "malformed")
		return
	}
	if checkpoint.NormEnrollCode(req.Code) != checkpoint.NormEnrollCode(h.enrollCode) {
		h.fail(w, http.StatusUnauthorized, "bad_enroll_code")
		return
	}
	h.mu.Lock()
	resp := checkpoint.EnrollResponse{DeviceID: h.deviceID, Secret: h.secret, SiteID: h.siteID, RootKey: h.rootPub(), RootChain: h.chain}
	h.mu.Unlock()
	json.NewEncoder(w).Encode(resp)
}

func (h *fakeHQ) batches(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Encoding") != "gzip" {
		h.fail(w, http.StatusBadRequest, "not_gzip")
		return
	}
	zr, err := gzip.NewReader(r.Body)
	if err != nil {
		h.fail(w, http.StatusBadRequest, "malformed")
		return
	}
	var req checkpoint.PushRequest
	if err := json.NewDecoder(zr).Decode(&req); err != nil {
		h.fail(w, http.StatusBadRequest, "malformed")
		return
	}
	if len(req.Records) > checkpoint.MaxBatchRecords {
		h.fail(w, http.StatusBadRequest, "too_many_records")
		return
	}
	h.mu.Lock()
	h.pushes++
	n := h.pushes
	h.batchSizes = append(h.batchSizes, len(req.Records))
	resp := checkpoint.PushResponse{Results: make([]checkpoint.RecordResult, 0, len(req.Records))}
	for _, rec := range req.Records {
		env, _ := json.Marshal(rec)
		res := checkpoint.RecordResult{ID: rec.ID}
		if code, bad := h.rejectOf(rec.ID); bad {
			res.Status, res.Error = checkpoint.ResultRejected, code
		} else if old, ok := h.records[rec.ID]; !ok {
			h.records[rec.ID] = env
			h.order = append(h.order, rec.ID)
			res.Status = checkpoint.ResultStored
		} else if string(old) == string(env) {
			res.Status = checkpoint.ResultDuplicate
		} else {
			res.Status, res.Error = checkpoint.ResultConflict, "different_content"
		}
		resp.Results = append(resp.Results, res)
	}
	drop := h.dropAnswer != nil && h.dropAnswer(n)
	h.mu.Unlock()
	if drop {
		panic(http.ErrAbortHandler) // closes the connection with no answer
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

func (h *fakeHQ) rejectOf(id string) (string, bool) {
	if h.reject == nil {
		return "", false
	}
	return h.reject(id)
}

func (h *fakeHQ) config(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.mu.Lock()
	h.queries = append(h.queries, q)
	resp := checkpoint.ConfigResponse{ServerTime: time.Now().Add(time.Hour), RootChain: h.chain}
	for _, name := range checkpoint.Datasets {
		d, ok := h.datasets[name]
		if !ok {
			continue
		}
		var have int64
		fmt.Sscan(q.Get(name), &have)
		if d.Version > have {
			env, err := checkpoint.SignDataset(h.root, checkpoint.DatasetPayload{Name: d.Name, Version: d.Version, Epoch: "epoch-1",
				DeviceID: h.deviceID, IssuedAt: time.Now().UTC(), Data: d.Data})
			if err != nil {
				panic(err)
			}
			resp.Datasets = append(resp.Datasets, env)
		}
	}
	mutate := h.mutate
	h.mu.Unlock()
	if mutate != nil {
		mutate(&resp)
	}
	json.NewEncoder(w).Encode(resp)
}

func (h *fakeHQ) codeStatus(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	json.NewEncoder(w).Encode(checkpoint.CodeStatus{CodeID: id, Known: true, Revoked: id == "revoked", Status: "green"})
}

func (h *fakeHQ) setDataset(name string, version int64, data string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.datasets[name] = checkpoint.Dataset{Name: name, Version: version, Data: json.RawMessage(data)}
}

func (h *fakeHQ) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.records)
}

func (h *fakeHQ) setBefore(f func(w http.ResponseWriter, r *http.Request) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.before = f
}

// newKiosk opens a real store in a temp dir, enrolled with h's credential.
func newKiosk(t *testing.T, h *fakeHQ) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if h != nil {
		if err := db.SaveDevice(ctx, store.Device{ID: h.deviceID, Secret: h.secret, SiteID: h.siteID, HQURL: h.URL(), EnrolledAt: time.Now(), RootKey: h.rootPub()}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// record saves n checks in db and returns their ids in order.
func record(t *testing.T, db *store.DB, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for i := range n {
		now := time.Now().UTC()
		id, err := db.SaveCheck(context.Background(), store.Meta{StaffID: "staff-1"}, checkpoint.Check{
			CodeID: fmt.Sprintf("code-%d", i), Verdict: "pass", Reasons: []string{}, TempTenths: 365,
			NameMasked: "张*", ScannedAt: now, ConfirmedAt: now,
		}, checkpoint.Personal{})
		if err != nil {
			t.Fatalf("SaveCheck: %v", err)
		}
		ids = append(ids, id)
	}
	return ids
}

// fastConfig is a Config whose waits suit tests.
func fastConfig(cfg Config) Config {
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 5 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 50 * time.Millisecond
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = 5 * time.Second
	}
	return cfg
}

func outbox(t *testing.T, db *store.DB) store.OutboxStats {
	t.Helper()
	st, err := db.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// discard drains and closes a body (for hooks that answer themselves).
func discard(r *http.Request) { io.Copy(io.Discard, r.Body); r.Body.Close() }

// readPush decodes a push request and returns a fresh body holding the same bytes.
func readPush(t *testing.T, r *http.Request) (io.ReadCloser, checkpoint.PushRequest) {
	t.Helper()
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		t.Error(err)
	}
	var req checkpoint.PushRequest
	if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
		json.NewDecoder(zr).Decode(&req)
	}
	return io.NopCloser(bytes.NewReader(raw)), req
}
