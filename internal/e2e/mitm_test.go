package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// mitm is a man in the middle on loopback: a reverse proxy in front of the real HQ handler that
// can rewrite the answers to config pulls and enrollments.
type mitm struct {
	*httptest.Server
	mu       gosync.Mutex
	config   func(r *checkpoint.ConfigResponse)
	enroll   func(r *checkpoint.EnrollResponse)
	rewrites int
}

func newMITM(t *testing.T, upstream string) *mitm {
	t.Helper()
	u, _ := url.Parse(upstream)
	m := &mitm{}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ModifyResponse = func(resp *http.Response) error {
		m.mu.Lock()
		cf, ef := m.config, m.enroll
		m.mu.Unlock()
		path := resp.Request.URL.Path
		if resp.StatusCode != 200 || (path == "/api/v1/config" && cf == nil) || (path == "/api/v1/enroll" && ef == nil) ||
			(path != "/api/v1/config" && path != "/api/v1/enroll") {
			return nil
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		var out []byte
		if path == "/api/v1/config" {
			var c checkpoint.ConfigResponse
			if err := json.Unmarshal(body, &c); err != nil {
				return err
			}
			cf(&c)
			out, _ = json.Marshal(c)
		} else {
			var e checkpoint.EnrollResponse
			if err := json.Unmarshal(body, &e); err != nil {
				return err
			}
			ef(&e)
			out, _ = json.Marshal(e)
		}
		m.mu.Lock()
		m.rewrites++
		m.mu.Unlock()
		resp.Body = io.NopCloser(bytes.NewReader(out))
		resp.ContentLength = int64(len(out))
		resp.Header.Del("Content-Length")
		return nil
	}
	m.Server = httptest.NewServer(p)
	t.Cleanup(m.Close)
	return m
}

func (m *mitm) set(config func(*checkpoint.ConfigResponse), enroll func(*checkpoint.EnrollResponse)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.config, m.enroll = config, enroll
}

// realHQ runs the real HQ (SQLite, demo seed) behind httptest.
func realHQ(t *testing.T) (*hq.Server, *httptest.Server, hqdemo.Info) {
	t.Helper()
	root, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	hs, err := server.New(server.Config{Config: hq.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "hq.db"), RootKey: root}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hs.Close() })
	srv := hs.Core()
	info, err := hqdemo.Seed(context.Background(), srv)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(hs.Handler())
	t.Cleanup(ts.Close)
	return srv, ts, info
}

// verifyWithKiosk checks a code against what the kiosk store holds, as a scan would.
func verifyWithKiosk(t *testing.T, db *store.DB, code string) error {
	t.Helper()
	ctx := context.Background()
	tl, err := db.TrustList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := db.Revocations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = checkpoint.Verify(code, tl, checkpoint.NewRevocationList(0, ids), time.Now(), checkpoint.DefaultConfig())
	return err
}

// TestMITMSwapsIssuingKey: a man in the middle rewrites the trust dataset of a config pull to
// list his own issuing key, first keeping HQ's signature, then signing with a root of his own.
// The kiosk refuses both, keeps HQ's trust list, and a code signed by his key does not verify.
func TestMITMSwapsIssuingKey(t *testing.T) {
	srv, ts, info := realHQ(t)
	proxy := newMITM(t, ts.URL)
	ctx := context.Background()
	db, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := sync.New(db, sync.Config{RequestTimeout: 5 * time.Second})
	if _, err := c.Enroll(ctx, proxy.URL, info.EnrollmentCode); err != nil {
		t.Fatalf("enroll through the (still honest) proxy: %v", err)
	}
	if _, err := c.Pull(ctx); err != nil {
		t.Fatalf("first pull: %v", err)
	}
	if err := verifyWithKiosk(t, db, info.Codes[0].Code); err != nil {
		t.Fatalf("HQ's demo code: %v", err)
	}
	before, _ := db.TrustList(ctx)

	// The attacker's issuing key and a green code it signed.
	evilKey, err := checkpoint.GenerateIssuerKey("evil", time.Now().Add(-time.Hour), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	evil, _ := evilKey.Issuer()
	evilCode, _, err := evil.Issue(checkpoint.Claims{HolderID: checkpoint.NewHolderID(), Name: "假人", IDMasked: "220221********0000", Household: "220221",
		Status: checkpoint.StatusGreen, Kind: checkpoint.KindPrinted, ExpiresAt: time.Now().Add(24 * time.Hour)}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyWithKiosk(t, db, evilCode); err == nil {
		t.Fatal("the attacker's code verifies before any attack")
	}
	evilRoot, _ := checkpoint.GenerateRootKey()
	evilTrust := func(version int64) json.RawMessage {
		b, _ := json.Marshal(checkpoint.TrustList{Version: version, Keys: []checkpoint.TrustedKey{evilKey.TrustedKey()}})
		return b
	}
	attacks := []struct {
		name    string
		rewrite func(env *checkpoint.Envelope)
		reason  string
	}{
		{"body swapped under HQ's signature", func(env *checkpoint.Envelope) {
			var p checkpoint.DatasetPayload
			json.Unmarshal(env.Payload, &p)
			p.Data = evilTrust(p.Version)
			env.Payload, _ = json.Marshal(p)
		}, "bad_signature"},
		{"re-signed with the attacker's root", func(env *checkpoint.Envelope) {
			var p checkpoint.DatasetPayload
			json.Unmarshal(env.Payload, &p)
			p.Data = evilTrust(p.Version)
			*env, _ = checkpoint.SignDataset(evilRoot, p)
		}, "unknown_root"},
		{"re-signed, claiming HQ's root", func(env *checkpoint.Envelope) {
			var p checkpoint.DatasetPayload
			json.Unmarshal(env.Payload, &p)
			p.Data = evilTrust(p.Version)
			root := env.Root
			*env, _ = checkpoint.SignDataset(evilRoot, p)
			env.Root = root
		}, "bad_signature"},
	}
	for i, a := range attacks {
		// HQ publishes a new trust list (a new issuing key), so the pull carries one.
		if _, err := srv.NewIssuingKey(ctx, 0, false); err != nil {
			t.Fatal(err)
		}
		proxy.set(func(r *checkpoint.ConfigResponse) {
			for j := range r.Datasets {
				if r.Datasets[j].Name == checkpoint.DatasetTrust {
					a.rewrite(&r.Datasets[j])
				}
			}
		}, nil)
		_, err := c.Pull(ctx)
		if !errors.Is(err, sync.ErrRefused) {
			t.Errorf("%s: Pull = %v; want the trust dataset refused", a.name, err)
		}
		st := c.Status()
		if st.Refused != int64(i+1) || st.LastRefusal.Code != a.reason {
			t.Errorf("%s: refused %d, reason %q; want %d, %q", a.name, st.Refused, st.LastRefusal.Code, i+1, a.reason)
		}
		after, _ := db.TrustList(ctx)
		if after.Version != before.Version || len(after.Keys) != len(before.Keys) || after.Keys[0].KID != before.Keys[0].KID {
			t.Errorf("%s: trust list changed to %+v; want the last good one", a.name, after)
		}
		if err := verifyWithKiosk(t, db, evilCode); err == nil {
			t.Errorf("%s: the attacker's code verifies", a.name)
		}
		if err := verifyWithKiosk(t, db, info.Codes[0].Code); err != nil {
			t.Errorf("%s: HQ's code no longer verifies: %v", a.name, err)
		}
	}
	// The attacker leaves: HQ's own trust list arrives.
	proxy.set(nil, nil)
	if _, err := c.Pull(ctx); err != nil {
		t.Fatalf("honest pull: %v", err)
	}
	if tl, _ := db.TrustList(ctx); len(tl.Keys) != 1+len(attacks) {
		t.Fatalf("trust list after the attack has %d keys; want %d", len(tl.Keys), 1+len(attacks))
	}
}

// TestMITMAtEnrollment: the man in the middle answers the enrollment with his own root key
// (he would then sign everything). The code's fingerprint names HQ's root: enrollment fails and
// nothing is saved.
func TestMITMAtEnrollment(t *testing.T) {
	_, ts, info := realHQ(t)
	proxy := newMITM(t, ts.URL)
	evilRoot, _ := checkpoint.GenerateRootKey()
	proxy.set(nil, func(r *checkpoint.EnrollResponse) {
		r.RootKey, r.RootChain = evilRoot.Public().(ed25519.PublicKey), nil
	})
	ctx := context.Background()
	db, err := store.OpenDir(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := sync.New(db, sync.Config{RequestTimeout: 5 * time.Second})
	_, err = c.Enroll(ctx, proxy.URL, info.EnrollmentCode)
	if !errors.Is(err, sync.ErrRootMismatch) {
		t.Fatalf("Enroll through the attacker = %v; want ErrRootMismatch", err)
	}
	if _, err := db.Device(ctx); !errors.Is(err, store.ErrNotEnrolled) {
		t.Fatalf("a device was saved: %v", err)
	}
	if cur, _ := db.Cursors(ctx); len(cur) != 0 {
		t.Fatalf("datasets saved: %v", cur)
	}
	if proxy.rewrites != 1 {
		t.Fatalf("proxy rewrote %d answers; want 1", proxy.rewrites)
	}
}
