package sync

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// revocations reads the kiosk's revocation list.
func revocations(t *testing.T, db *store.DB) []string {
	t.Helper()
	ids, err := db.Revocations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRefusedEnvelopes feeds the kiosk one bad envelope after another; each is refused with its
// reason, counted, and the last good revocation list is kept.
func TestRefusedEnvelopes(t *testing.T) {
	h := newFakeHQ(t)
	h.setDataset(checkpoint.DatasetRevocations, 3, `{"version":3,"code_ids":["good"]}`)
	db := newKiosk(t, h)
	c := New(db, fastConfig(Config{}))
	ctx := context.Background()
	if _, err := c.Pull(ctx); err != nil {
		t.Fatalf("first pull: %v", err)
	}
	attacker, _ := checkpoint.GenerateRootKey()
	evil := json.RawMessage(`{"version":9,"code_ids":[]}`)
	cases := []struct {
		name   string
		mutate func(r *checkpoint.ConfigResponse)
		reason string
	}{
		{"one byte of the body changed", func(r *checkpoint.ConfigResponse) {
			p := r.Datasets[0].Payload
			p[len(p)-5] ^= 0x01
		}, "bad_signature"},
		{"an envelope for another device", func(r *checkpoint.ConfigResponse) {
			r.Datasets[0], _ = checkpoint.SignDataset(h.root, checkpoint.DatasetPayload{Name: checkpoint.DatasetRevocations,
				Version: 9, DeviceID: "dev-other", Data: evil})
		}, "wrong_device"},
		{"an older version replayed", func(r *checkpoint.ConfigResponse) {
			old, _ := checkpoint.SignDataset(h.root, checkpoint.DatasetPayload{Name: checkpoint.DatasetRevocations,
				Version: 2, DeviceID: h.deviceID, Data: json.RawMessage(`{"version":2,"code_ids":[]}`)})
			r.Datasets[0] = old
		}, "old_version"},
		{"signed by another root", func(r *checkpoint.ConfigResponse) {
			r.Datasets[0], _ = checkpoint.SignDataset(attacker, checkpoint.DatasetPayload{Name: checkpoint.DatasetRevocations,
				Version: 9, DeviceID: h.deviceID, Data: evil})
		}, "unknown_root"},
		{"relabelled as another dataset", func(r *checkpoint.ConfigResponse) {
			r.Datasets[0].Name = checkpoint.DatasetTrust
		}, "wrong_name"},
	}
	for i, tc := range cases {
		h.setDataset(checkpoint.DatasetRevocations, int64(4+i), `{"version":4,"code_ids":[]}`)
		h.mu.Lock()
		h.mutate = tc.mutate
		h.mu.Unlock()
		_, err := c.Pull(ctx)
		if !errors.Is(err, ErrRefused) || Explain(err) != MsgRefused {
			t.Errorf("%s: Pull = %v (%v); want refused", tc.name, err, Explain(err))
		}
		st := c.Status()
		if st.Refused != int64(i+1) || st.LastRefusal.Code != tc.reason || st.LastError != MsgRefused {
			t.Errorf("%s: status refused %d, last %q, error %q; want %d, %q", tc.name, st.Refused, st.LastRefusal.Code, st.LastError.Code, i+1, tc.reason)
		}
		if got := revocations(t, db); len(got) != 1 || got[0] != "good" {
			t.Errorf("%s: revocations now %v; want the last good list kept", tc.name, got)
		}
		if cur, _ := db.Cursors(ctx); cur[checkpoint.DatasetRevocations] != 3 {
			t.Errorf("%s: revocations version %d; want 3", tc.name, cur[checkpoint.DatasetRevocations])
		}
	}
	saved, err := db.SyncState(ctx)
	if err != nil || saved.Refused != int64(len(cases)) || saved.LastRefusal != "wrong_name" {
		t.Errorf("saved sync state %+v, %v; want %d refusals", saved, err, len(cases))
	}
	// A fresh client (a restart) shows the count saved.
	c2 := New(db, fastConfig(Config{}))
	if st, _ := c2.Refresh(ctx); st.Refused != int64(len(cases)) || st.LastRefusal.Code != "wrong_name" {
		t.Errorf("after restart: refused %d %q", st.Refused, st.LastRefusal.Code)
	}
	// HQ's own next version goes through again.
	h.mu.Lock()
	h.mutate = nil
	h.mu.Unlock()
	h.setDataset(checkpoint.DatasetRevocations, 20, `{"version":20,"code_ids":["good","c2"]}`)
	if _, err := c.Pull(ctx); err != nil || len(revocations(t, db)) != 2 {
		t.Fatalf("honest pull after the attacks: %v, %v", err, revocations(t, db))
	}
	// The store refuses to go backwards even when handed a verified older dataset.
	if err := db.ApplyDatasets(ctx, []checkpoint.Dataset{{Name: checkpoint.DatasetRevocations, Version: 3, Data: json.RawMessage(`{"version":3,"code_ids":[]}`)}}); !errors.Is(err, store.ErrStale) {
		t.Errorf("ApplyDatasets(older) = %v; want ErrStale", err)
	}
}

// TestNoRootPinned: a kiosk enrolled before roots were pinned trusts nothing it pulls.
func TestNoRootPinned(t *testing.T) {
	h := newFakeHQ(t)
	h.setDataset(checkpoint.DatasetRevocations, 3, `{"version":3,"code_ids":["x"]}`)
	db := newKiosk(t, nil)
	ctx := context.Background()
	if err := db.SaveDevice(ctx, store.Device{ID: h.deviceID, Secret: h.secret, SiteID: h.siteID, HQURL: h.URL()}); err != nil {
		t.Fatal(err)
	}
	c := New(db, fastConfig(Config{}))
	if _, err := c.Pull(ctx); !errors.Is(err, ErrRefused) || c.Status().LastRefusal.Code != "unknown_root" {
		t.Fatalf("pull without a pinned root = %v, %q", err, c.Status().LastRefusal.Code)
	}
	if got := revocations(t, db); len(got) != 0 {
		t.Fatalf("revocations = %v; want none", got)
	}
}

// TestRootRotationFollowed: HQ rotates its root; a kiosk pinned to the old one walks the chain,
// repins and accepts datasets signed by the new root. A link not signed by the trusted root is
// refused and what the new root signed with it is refused too.
func TestRootRotationFollowed(t *testing.T) {
	h := newFakeHQ(t)
	h.setDataset(checkpoint.DatasetRevocations, 3, `{"version":3,"code_ids":["a"]}`)
	db := newKiosk(t, h)
	c := New(db, fastConfig(Config{}))
	ctx := context.Background()
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	oldRoot := h.root
	next, _ := checkpoint.GenerateRootKey()
	link, err := checkpoint.SignRootLink(oldRoot, next.Public().(ed25519.PublicKey), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	h.root, h.chain = next, []checkpoint.RootLink{link}
	h.mu.Unlock()
	h.setDataset(checkpoint.DatasetRevocations, 4, `{"version":4,"code_ids":["a","b"]}`)
	if _, err := c.Pull(ctx); err != nil {
		t.Fatalf("pull after rotation: %v", err)
	}
	dev, _ := db.Device(ctx)
	if !dev.RootKey.Equal(next.Public().(ed25519.PublicKey)) || dev.Epoch != "epoch-1" {
		t.Fatalf("pinned root %s, epoch %q; want the new root", checkpoint.RootID(dev.RootKey), dev.Epoch)
	}
	if got := revocations(t, db); len(got) != 2 {
		t.Fatalf("revocations after rotation = %v", got)
	}

	// A second kiosk, still pinned to the old root, is offered a link the attacker signed.
	h2 := newFakeHQ(t)
	h2.setDataset(checkpoint.DatasetRevocations, 3, `{"version":3,"code_ids":["a"]}`)
	db2 := newKiosk(t, h2)
	c2 := New(db2, fastConfig(Config{}))
	if _, err := c2.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	pinned := h2.rootPub()
	attacker, _ := checkpoint.GenerateRootKey()
	forged, _ := checkpoint.SignRootLink(attacker, attacker.Public().(ed25519.PublicKey), time.Now())
	var body checkpoint.RootLinkBody
	json.Unmarshal(forged.Payload, &body)
	body.Prev = pinned // claims to follow the kiosk's root, signed by the attacker
	forged.Payload, _ = json.Marshal(body)
	forged.Signature = ed25519.Sign(attacker, append([]byte("checkpoint root link v1\x00"), forged.Payload...))
	h2.mu.Lock()
	h2.root, h2.chain = attacker, []checkpoint.RootLink{forged}
	h2.mu.Unlock()
	h2.setDataset(checkpoint.DatasetRevocations, 4, `{"version":4,"code_ids":[]}`)
	if _, err := c2.Pull(ctx); !errors.Is(err, ErrRefused) {
		t.Fatalf("pull with a forged link = %v; want refused", err)
	}
	if st := c2.Status(); st.Refused != 2 {
		t.Errorf("refused %d (last %q); want 2: the link and the dataset", st.Refused, st.LastRefusal.Code)
	}
	dev2, _ := db2.Device(ctx)
	if !dev2.RootKey.Equal(pinned) {
		t.Fatal("kiosk repinned to the attacker's root")
	}
	if got := revocations(t, db2); len(got) != 1 || got[0] != "a" {
		t.Fatalf("revocations = %v; want the last good list", got)
	}
}

// TestEnrollRefusesWrongRoot: a man in the middle at enrollment answers with his own root key;
// the kiosk saves nothing.
func TestEnrollRefusesWrongRoot(t *testing.T) {
	h := newFakeHQ(t)
	db := newKiosk(t, nil)
	c := New(db, fastConfig(Config{}))
	ctx := context.Background()
	attacker, _ := checkpoint.GenerateRootKey()
	code := h.enrollCode
	h.mu.Lock()
	h.root = attacker // HQ's answer now carries the attacker's key; the code names the real one
	h.mu.Unlock()
	_, err := c.Enroll(ctx, h.URL(), code)
	if !errors.Is(err, ErrRootMismatch) || Explain(err) != MsgRootMismatch {
		t.Fatalf("Enroll = %v (%v); want the root mismatch", err, Explain(err))
	}
	if _, err := db.Device(ctx); !errors.Is(err, store.ErrNotEnrolled) {
		t.Fatalf("device saved after a refused enrollment: %v", err)
	}
}

func TestInsecureHQURL(t *testing.T) {
	for _, u := range []string{"http://hq.example.org", "http://10.0.0.1:8080", "http://[2001:db8::1]/"} {
		if err := CheckHQURL(u); !errors.Is(err, ErrInsecureURL) || Explain(err) != MsgInsecure {
			t.Errorf("CheckHQURL(%q) = %v; want ErrInsecureURL", u, err)
		}
	}
	for _, u := range []string{"https://hq.example.org", "http://127.0.0.1:8080", "http://127.8.0.1", "http://[::1]:80", "http://localhost:8080"} {
		if err := CheckHQURL(u); err != nil {
			t.Errorf("CheckHQURL(%q) = %v; want accepted", u, err)
		}
	}
	// A kiosk whose saved or overridden address is plain http elsewhere does not sync.
	h := newFakeHQ(t)
	db := newKiosk(t, h)
	c := New(db, fastConfig(Config{BaseURL: "http://hq.example.org"}))
	if _, err := c.Sync(context.Background()); !errors.Is(err, ErrInsecureURL) {
		t.Fatalf("Sync over http to a remote host = %v", err)
	}
}
