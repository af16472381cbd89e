package sqldb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// TestStatusChanges: a change of colour is recorded with the colour it replaced, the reason,
// the codes it revoked and who made it, newest first; CodesOf lists a person's codes newest
// first with the revoked ones marked, and counts them all; a change for nobody records nothing.
func TestStatusChanges(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
			p := Person{ID: "p-1", HolderID: "h1", Name: "张三丰", IDMasked: "220221********1233", IDHash: "x", Household: "220221", Status: "green", UpdatedAt: t0}
			if err := d.PutPerson(ctx, p); err != nil {
				t.Fatal(err)
			}
			for i, id := range []string{"c1", "c2", "c3"} {
				c := Code{ID: id, PersonID: "p-1", Kind: "live", KeyID: "k1", Status: "green", IssuedAt: t0.Add(time.Duration(i) * time.Minute), ExpiresAt: t0.Add(time.Hour)}
				if i == 0 {
					c.Kind, c.ExpiresAt = "printed", t0.Add(7*24*time.Hour)
				}
				if err := d.AddCode(ctx, c); err != nil {
					t.Fatal(err)
				}
			}
			n, err := d.SetPersonStatus(ctx, StatusChange{PersonID: "p-1", Status: "red", Reason: "密接", At: t0.Add(5 * time.Minute), Actor: "wang"})
			if err != nil || n != 3 {
				t.Fatalf("set red: %d, %v", n, err)
			}
			if n, err := d.SetPersonStatus(ctx, StatusChange{PersonID: "p-1", Status: "yellow", At: t0.Add(6 * time.Minute), Actor: "admin-token"}); err != nil || n != 0 {
				t.Fatalf("set yellow: %d, %v", n, err)
			}
			if _, err := d.SetPersonStatus(ctx, StatusChange{PersonID: "p-none", Status: "red", At: t0, Actor: "wang"}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("nobody: %v", err)
			}
			cs, err := d.StatusChanges(ctx, "p-1", 10)
			if err != nil || len(cs) != 2 {
				t.Fatalf("changes: %+v, %v", cs, err)
			}
			if c := cs[0]; c.FromStatus != "red" || c.Status != "yellow" || c.Reason != "" || c.RevokedCodes != 0 || c.Actor != "admin-token" || !c.At.Equal(t0.Add(6*time.Minute)) {
				t.Errorf("newest change %+v", c)
			}
			if c := cs[1]; c.FromStatus != "green" || c.Status != "red" || c.Reason != "密接" || c.RevokedCodes != 3 || c.Actor != "wang" {
				t.Errorf("first change %+v", c)
			}
			if cs, _ := d.StatusChanges(ctx, "p-none", 10); len(cs) != 0 {
				t.Errorf("changes of nobody: %+v", cs)
			}
			codes, total, err := d.CodesOf(ctx, "p-1", 2)
			if err != nil || total != 3 || len(codes) != 2 || codes[0].ID != "c3" || codes[1].ID != "c2" || !codes[0].Revoked || codes[0].RevokedAt.IsZero() {
				t.Fatalf("codes: %+v %d %v", codes, total, err)
			}
		})
	}
}
