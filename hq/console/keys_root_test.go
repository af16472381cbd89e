package console

import (
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
)

// TestKeysPageRootChain: 签发密钥 shows the root key's fingerprint (what kiosks pin) and, after a
// rotation, the chain with the new root as the one in force — never a private key.
func TestKeysPageRootChain(t *testing.T) {
	e := newTenv(t, false)
	admin := e.as(RoleAdmin)
	first := checkpoint.RootID(e.root.Public().(ed25519.PublicKey))
	p := e.get(admin, "/admin/keys")
	if p.status != 200 || !strings.Contains(p.body, `id="root-chain"`) || !strings.Contains(p.body, first) || !strings.Contains(p.body, "hq root rotate") {
		t.Fatalf("keys page: %d, root %s shown: %v", p.status, first, strings.Contains(p.body, first))
	}
	next, err := checkpoint.GenerateRootKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := hq.RotateRoot(context.Background(), e.core.DB(), e.root, next, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	second := checkpoint.RootID(next.Public().(ed25519.PublicKey))
	p = e.get(admin, "/admin/keys")
	i, j := strings.Index(p.body, first), strings.Index(p.body, second)
	if i < 0 || j < i {
		t.Fatalf("after rotation: first at %d, second at %d; want both, the new one after", i, j)
	}
	cur := strings.Index(p.body, `class="current"`)
	if cur < i || cur > j {
		t.Errorf("the row in force is not the new root's")
	}
	for _, k := range []ed25519.PrivateKey{e.root, next} {
		if strings.Contains(p.body, string(k.Seed())) {
			t.Fatal("a private root key is on the page")
		}
	}
}
