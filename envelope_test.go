package checkpoint

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func mustRoot(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	k, err := GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func TestEnvelopeVerify(t *testing.T) {
	root, other := mustRoot(t), mustRoot(t)
	p := DatasetPayload{Name: DatasetTrust, Version: 5, Epoch: "ep1", DeviceID: "dev-1", IssuedAt: time.Now().UTC(),
		Data: json.RawMessage(`{"version":5,"keys":[]}`)}
	good, err := SignDataset(root, p)
	if err != nil {
		t.Fatal(err)
	}
	check := DatasetCheck{Root: pubOf(root), DeviceID: "dev-1", Held: 4}
	got, err := good.Verify(check)
	if err != nil || got.Version != 5 || got.Epoch != "ep1" || string(got.Data) != string(p.Data) {
		t.Fatalf("Verify(good) = %+v, %v", got, err)
	}
	if _, err := good.Verify(DatasetCheck{Root: pubOf(root), DeviceID: "dev-1", Held: 5}); err != nil {
		t.Errorf("same version again: %v; want accepted", err)
	}

	tampered := good
	tampered.Payload = append([]byte(nil), good.Payload...)
	i := strings.Index(string(tampered.Payload), `"data"`) + 10
	tampered.Payload[i] ^= 1
	renamed := good
	renamed.Name = DatasetRevocations
	forOther := p
	forOther.DeviceID = "dev-2"
	envOther, _ := SignDataset(root, forOther)
	byOther, _ := SignDataset(other, p)
	byOtherClaimingRoot := byOther
	byOtherClaimingRoot.Root = good.Root
	cases := []struct {
		name  string
		env   Envelope
		check DatasetCheck
		want  error
	}{
		{"one byte of body", tampered, check, ErrEnvelopeSignature},
		{"other device", envOther, check, ErrEnvelopeDevice},
		{"relabelled", renamed, check, ErrEnvelopeName},
		{"older version replayed", good, DatasetCheck{Root: pubOf(root), DeviceID: "dev-1", Held: 6}, ErrEnvelopeVersion},
		{"another root", byOther, check, ErrEnvelopeRoot},
		{"another root claiming ours", byOtherClaimingRoot, check, ErrEnvelopeSignature},
		{"no root pinned", good, DatasetCheck{DeviceID: "dev-1"}, ErrEnvelopeRoot},
		{"no signature", Envelope{Name: good.Name, Root: good.Root, Payload: good.Payload}, check, ErrEnvelopeSignature},
	}
	for _, c := range cases {
		if _, err := c.env.Verify(c.check); !errors.Is(err, c.want) {
			t.Errorf("%s: Verify = %v; want %v", c.name, err, c.want)
		}
	}
}

func TestRootChain(t *testing.T) {
	r1, r2, r3, evil := mustRoot(t), mustRoot(t), mustRoot(t), mustRoot(t)
	now := time.Now()
	l12, _ := SignRootLink(r1, pubOf(r2), now)
	l23, _ := SignRootLink(r2, pubOf(r3), now)
	got, err := FollowRootChain(pubOf(r1), []RootLink{l23, l12})
	if err != nil || !got.Equal(pubOf(r3)) {
		t.Fatalf("FollowRootChain(r1) = %s, %v; want r3", RootID(got), err)
	}
	if got, err := FollowRootChain(pubOf(r3), []RootLink{l12, l23}); err != nil || !got.Equal(pubOf(r3)) {
		t.Fatalf("FollowRootChain(r3) = %v; want r3 unchanged", err)
	}
	// A link that claims to follow r1 but is signed by the attacker's key.
	forged, _ := SignRootLink(evil, pubOf(evil), now)
	var body RootLinkBody
	json.Unmarshal(forged.Payload, &body)
	body.Prev = pubOf(r1)
	forged.Payload, _ = json.Marshal(body)
	forged.Signature = ed25519.Sign(evil, append([]byte(rootLinkContext), forged.Payload...))
	got, err = FollowRootChain(pubOf(r1), []RootLink{forged})
	if !errors.Is(err, ErrRootLink) || !got.Equal(pubOf(r1)) {
		t.Fatalf("forged link: %s, %v; want r1 kept and ErrRootLink", RootID(got), err)
	}
	// A dataset signature is not a root link signature.
	env, _ := SignDataset(r1, DatasetPayload{Name: "x", Data: json.RawMessage(`1`)})
	if _, err := FollowRootChain(pubOf(r1), []RootLink{{Payload: env.Payload, Signature: env.Signature}}); err != nil {
		t.Fatalf("dataset as link: %v", err)
	}
}

func TestEnrollCode(t *testing.T) {
	r1, r2 := mustRoot(t), mustRoot(t)
	id := RootID(pubOf(r1))
	code := FormatEnrollCode("ABCDEFGHJKLMNPQR", id)
	if len(code) != 36+8 || strings.Count(code, "-") != 8 {
		t.Fatalf("FormatEnrollCode = %q", code)
	}
	secret, got, err := SplitEnrollCode(" " + strings.ToLower(code))
	if err != nil || secret != "ABCDEFGHJKLMNPQR" || got != id {
		t.Fatalf("SplitEnrollCode = %q %q %v", secret, got, err)
	}
	for _, bad := range []string{"ABCD-EFGH-JKLM-NPQR", code + "A", strings.Replace(code, code[30:31], "1", 1)} {
		if _, _, err := SplitEnrollCode(bad); err == nil {
			t.Errorf("SplitEnrollCode(%q) accepted", bad)
		}
	}
	if k, err := MatchRoot(id, pubOf(r1), nil); err != nil || !k.Equal(pubOf(r1)) {
		t.Fatalf("MatchRoot = %v", err)
	}
	if _, err := MatchRoot(id, pubOf(r2), nil); !errors.Is(err, ErrEnvelopeRoot) {
		t.Fatalf("MatchRoot with another key = %v; want ErrEnvelopeRoot", err)
	}
	// The code was made before a rotation: the chain leads from its root to the current one.
	l, _ := SignRootLink(r1, pubOf(r2), time.Now())
	if k, err := MatchRoot(id, pubOf(r2), []RootLink{l}); err != nil || !k.Equal(pubOf(r2)) {
		t.Fatalf("MatchRoot across a rotation = %v", err)
	}
}
