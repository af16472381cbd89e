package hq

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/sealbox"
)

// TestHolderIDs: HQ gives each person one random holder id when it first creates them, puts it
// in every code it issues them, gives one to a person from before holder ids at their next code,
// and links kiosk records to people: checks by holder id, registrations by the sealed ID number.
func TestHolderIDs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		if _, err := e.srv.NewIssuingKey(ctx, 0, false); err != nil {
			t.Fatal(err)
		}
		set, _ := e.srv.settings(ctx)
		trust, _ := e.srv.trustList(ctx, 1)
		issue := func(name, id string) (IssueResponse, checkpoint.Claims) {
			t.Helper()
			resp, err := e.srv.IssueCode(ctx, IssueRequest{Name: name, IDNumber: id})
			if err != nil {
				t.Fatal(err)
			}
			c, err := checkpoint.Verify(resp.Code, trust, nil, e.srv.now(), set.Rules)
			if err != nil {
				t.Fatalf("Verify(HQ's code) = %v", err)
			}
			return resp, c
		}
		r1, c1 := issue("张三", "220221199003074473")
		_, c2 := issue("张三", "220221199003074473")
		_, c3 := issue("李四", "220221199001011233")
		if !checkpoint.ValidHolderID(c1.HolderID) || c1.HolderID != c2.HolderID || c1.CodeID == c2.CodeID {
			t.Errorf("one person's codes: holder %q and %q, codes %s and %s; want one holder id, two code ids", c1.HolderID, c2.HolderID, c1.CodeID, c2.CodeID)
		}
		if c3.HolderID == c1.HolderID {
			t.Errorf("two people share holder id %s", c1.HolderID)
		}
		hk, _ := e.srv.personHashKey(ctx)
		if h := keyedHash(hk, "220221199003074473"); strings.Contains(h, c1.HolderID) || strings.Contains(r1.PersonID, c1.HolderID) {
			t.Errorf("holder id %s is derived from the ID number's hash %s", c1.HolderID, h)
		}

		// A person HQ knew before holder ids gets one with their next code, and keeps it.
		legacyHash := keyedHash(hk, "110101199003074477")
		if err := e.srv.db.PutPerson(ctx, sqldb.Person{ID: "p-legacy", Name: "王五", IDMasked: "110101********4477", IDHash: legacyHash,
			Household: "110101", Status: "green", UpdatedAt: e.srv.now()}); err != nil {
			t.Fatal(err)
		}
		_, l1 := issue("王五", "110101199003074477")
		_, l2 := issue("王五", "110101199003074477")
		if !checkpoint.ValidHolderID(l1.HolderID) || l1.HolderID != l2.HolderID {
			t.Errorf("legacy person's holder ids = %q, %q; want one, kept", l1.HolderID, l2.HolderID)
		}

		// HQ links what kiosks send: a check by its holder id, a registration by its sealed ID.
		check := rec(e.devA, "a", "scan-a")
		check.Body, _ = json.Marshal(checkpoint.Check{CodeID: c2.CodeID, HolderID: c2.HolderID, Verdict: "pass", Reasons: []string{}})
		if got, err := e.srv.LinkRecord(ctx, check); err != nil || got != r1.PersonID {
			t.Errorf("LinkRecord(check) = %q, %v; want %s", got, err, r1.PersonID)
		}
		reg := rec(e.devA, "a", "scan-a")
		reg.Kind = checkpoint.KindRegistration
		pub, _ := sealbox.ParseKey(set.HQSealKey)
		sealed, _ := sealbox.Seal(pub, reg.ID, checkpoint.Personal{Name: "张三", ID: "220221199003074473", Phone: "13943217658"})
		reg.Body, _ = json.Marshal(checkpoint.Registration{IDMasked: "220221********4473", Verdict: "pass", Reasons: []string{}, Sealed: sealed})
		if got, err := e.srv.LinkRecord(ctx, reg); err != nil || got != r1.PersonID {
			t.Errorf("LinkRecord(registration) = %q, %v; want %s", got, err, r1.PersonID)
		}
		// The same box in another record's body links nothing.
		moved := reg
		moved.ID = rec(e.devA, "a", "scan-a").ID
		if got, err := e.srv.LinkRecord(ctx, moved); err == nil {
			t.Errorf("LinkRecord(registration with a box from another record) = %q; want an error", got)
		}
		unknown := rec(e.devA, "a", "scan-a")
		unknown.Body, _ = json.Marshal(checkpoint.Check{HolderID: "0000000000000000", Verdict: "pass", Reasons: []string{}})
		if _, err := e.srv.LinkRecord(ctx, unknown); !errors.Is(err, sqldb.ErrNotFound) {
			t.Errorf("LinkRecord(unknown holder) = %v; want ErrNotFound", err)
		}
	})
}
