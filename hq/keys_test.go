package hq

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// pullTrust fetches the trust list and revocations as device d gets them.
func (e *env) pullTrust(d checkpoint.EnrollResponse) (checkpoint.TrustList, *checkpoint.RevocationList) {
	e.t.Helper()
	var c configAnswer
	if st := e.do("GET", "/api/v1/config?risk_areas=0&staff=0&sites=0&settings=0", devAuth(d), nil, &c); st != 200 {
		e.t.Fatalf("config: %d", st)
	}
	var tl checkpoint.TrustList
	var rl *checkpoint.RevocationList
	for _, ds := range c.Datasets {
		var err error
		switch ds.Name {
		case checkpoint.DatasetTrust:
			tl, err = checkpoint.ParseTrustList(ds.Data)
		case checkpoint.DatasetRevocations:
			rl, err = checkpoint.ParseRevocationList(ds.Data)
		}
		if err != nil {
			e.t.Fatalf("dataset %s: %v", ds.Name, err)
		}
	}
	return tl, rl
}

// TestDistrustKey: distrusting a compromised key makes every code it signed invalid for a kiosk
// after its next pull, with its own error, and at once through the live status.
func TestDistrustKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		admin := "Bearer " + testAdmin
		var key checkpoint.TrustedKey
		if st := e.do("POST", "/api/v1/admin/keys", admin, NewKeyRequest{}, &key); st != 201 {
			t.Fatalf("new key: %d", st)
		}
		var code IssueResponse
		person := IssueRequest{Name: "张三", IDNumber: residentID("220221", "19800101", 11), Kind: "printed"}
		if st := e.do("POST", "/api/v1/codes", admin, person, &code); st != 200 {
			t.Fatalf("issue: %d", st)
		}
		tl, rl := e.pullTrust(e.devA)
		if _, err := checkpoint.Verify(code.Code, tl, rl, time.Now(), checkpoint.DefaultConfig()); err != nil {
			t.Fatalf("Verify before distrust = %v", err)
		}
		if st := e.do("POST", "/api/v1/admin/keys/"+key.KID+"/distrust", admin, nil, nil); st != 200 {
			t.Fatalf("distrust: %d", st)
		}
		if st := e.do("POST", "/api/v1/admin/keys/"+key.KID+"/distrust", admin, nil, nil); st != 404 {
			t.Errorf("distrust twice: %d; want 404", st)
		}
		if st := e.do("POST", "/api/v1/admin/keys/nope/distrust", admin, nil, nil); st != 404 {
			t.Errorf("distrust unknown key: %d; want 404", st)
		}
		var keys []KeyInfo
		e.do("GET", "/api/v1/admin/keys", admin, nil, &keys)
		if len(keys) != 1 || keys[0].State != checkpoint.KeyDistrusted || keys[0].DistrustedAt.IsZero() || keys[0].RetiredAt.IsZero() {
			t.Fatalf("keys after distrust = %+v", keys)
		}
		tl, rl = e.pullTrust(e.devA)
		if k, ok := tl.Key(key.KID); !ok || k.State != checkpoint.KeyDistrusted {
			t.Fatalf("trust list after distrust: %+v; want the key marked distrusted", tl)
		}
		if _, err := checkpoint.Verify(code.Code, tl, rl, time.Now(), checkpoint.DefaultConfig()); !errors.Is(err, checkpoint.ErrKeyDistrusted) {
			t.Errorf("Verify after distrust and pull = %v; want ErrKeyDistrusted", err)
		}
		var cs checkpoint.CodeStatus
		e.do("GET", "/api/v1/codes/"+code.CodeID+"/status", devAuth(e.devA), nil, &cs)
		if !cs.Known || !cs.Revoked || !cs.KeyDistrusted {
			t.Errorf("live status after distrust = %+v; want revoked and key_distrusted", cs)
		}
		var er checkpoint.ErrorResponse
		if st := e.do("POST", "/api/v1/codes", admin, person, &er); st != 409 || er.Error != "no_issuing_key" {
			t.Errorf("issue with only a distrusted key: %d %+v; want 409 no_issuing_key", st, er)
		}
	})
}

// TestRetiredKeyInTrustList: a retired key is published with its state and retirement time, and
// a retired key cannot be retired again.
func TestRetiredKeyInTrustList(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		admin := "Bearer " + testAdmin
		var k1, k2 checkpoint.TrustedKey
		e.do("POST", "/api/v1/admin/keys", admin, NewKeyRequest{}, &k1)
		if st := e.do("POST", "/api/v1/admin/keys", admin, NewKeyRequest{Rotate: true}, &k2); st != 201 {
			t.Fatalf("rotate: %d", st)
		}
		tl, _ := e.pullTrust(e.devA)
		old, _ := tl.Key(k1.KID)
		cur, _ := tl.Key(k2.KID)
		if old.State != checkpoint.KeyRetired || old.RetiredAt.IsZero() || !old.NotAfter.Equal(old.RetiredAt) {
			t.Errorf("retired key in trust list = %+v", old)
		}
		if cur.State != checkpoint.KeyActive || !cur.RetiredAt.IsZero() {
			t.Errorf("active key in trust list = %+v", cur)
		}
		if st := e.do("POST", "/api/v1/admin/keys/"+k1.KID+"/retire", admin, nil, nil); st != 404 {
			t.Errorf("retire a retired key: %d; want 404", st)
		}
		var keys []KeyInfo
		e.do("GET", "/api/v1/admin/keys", admin, nil, &keys)
		if len(keys) != 2 || keys[0].State != checkpoint.KeyRetired || keys[1].State != checkpoint.KeyActive {
			t.Errorf("keys = %+v", keys)
		}
	})
}

// TestIssueVersusStatusRace: a status change to red racing a code issue never leaves a green
// code valid (unrevoked) after the red update.
func TestIssueVersusStatusRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		if _, err := e.srv.NewIssuingKey(ctx, 0, false); err != nil {
			t.Fatal(err)
		}
		rounds := 40
		if testing.Short() {
			rounds = 10
		}
		for i := 0; i < rounds; i++ {
			req := IssueRequest{Name: "张三", IDNumber: residentID("220221", fmt.Sprintf("1980%02d%02d", i%12+1, i%28+1), 100+i)}
			first, err := e.srv.IssueCode(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			var wg gosync.WaitGroup
			var issued IssueResponse
			var ierr, serr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				issued, ierr = e.srv.IssueCode(ctx, req)
			}()
			go func() {
				defer wg.Done()
				_, serr = e.srv.db.SetPersonStatus(ctx, sqldb.StatusChange{PersonID: first.PersonID, Status: "red", Reason: "确诊", At: time.Now(), Actor: "test"})
			}()
			wg.Wait()
			if ierr != nil || serr != nil {
				t.Fatalf("round %d: issue %v, status %v", i, ierr, serr)
			}
			var n int
			row := e.srv.db.SQL().QueryRowContext(ctx, rebind(e.srv.db, `SELECT COUNT(*) FROM codes WHERE person_id = ? AND status = 'green' AND revoked = 0`), first.PersonID)
			if err := row.Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 0 {
				t.Fatalf("round %d: %d green code(s) still valid after the person turned red (racing issue gave %s)", i, n, issued.Status)
			}
		}
	})
}

func rebind(db *sqldb.DB, q string) string {
	if db.Backend() != "postgres" {
		return q
	}
	out, n := []byte{}, 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

// TestPersonStatusReasonValidated: a reason the code cannot carry is a 400 at the status
// change, never a 500 at the next issue.
func TestPersonStatusReasonValidated(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		admin := "Bearer " + testAdmin
		e.do("POST", "/api/v1/admin/keys", admin, NewKeyRequest{}, nil)
		person := IssueRequest{Name: "张三", IDNumber: residentID("220221", "19800101", 11)}
		var c IssueResponse
		if st := e.do("POST", "/api/v1/codes", admin, person, &c); st != 200 {
			t.Fatalf("issue: %d", st)
		}
		for _, reason := range []string{" 密接", "密接 ", "a\nb", "密\u200b接\x00", "密密密密密密密密密密密密密密密密密"} {
			var er checkpoint.ErrorResponse
			st := e.do("POST", "/api/v1/admin/people/status", admin, PersonStatusRequest{PersonID: c.PersonID, Status: "yellow", Reason: reason}, &er)
			if st != 400 || er.Error != "bad_reason" || er.Message == "" {
				t.Errorf("status with reason %q: %d %+v; want 400 bad_reason", reason, st, er)
			}
		}
		if st := e.do("POST", "/api/v1/admin/people/status", admin, PersonStatusRequest{PersonID: c.PersonID, Status: "yellow", Reason: "密接"}, nil); st != 200 {
			t.Fatalf("valid reason: %d", st)
		}
		if st := e.do("POST", "/api/v1/codes", admin, person, &c); st != 200 || c.Status != "yellow" {
			t.Errorf("issue after status: %d %+v", st, c)
		}
	})
}

// TestIssueHousehold: the household is an input stored with the person, not the ID's region.
func TestIssueHousehold(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		admin := "Bearer " + testAdmin
		e.do("POST", "/api/v1/admin/keys", admin, NewKeyRequest{}, nil)
		tl := func() checkpoint.TrustList { t, _ := e.pullTrust(e.devA); return t }
		household := func(c IssueResponse) string {
			cl, err := checkpoint.Verify(c.Code, tl(), nil, time.Now(), checkpoint.DefaultConfig())
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if cl.Household != c.Household {
				t.Errorf("code household %s, response %s", cl.Household, c.Household)
			}
			return cl.Household
		}
		moved := IssueRequest{Name: "李四", IDNumber: residentID("220102", "19900202", 22), Household: "220221"}
		var c IssueResponse
		if st := e.do("POST", "/api/v1/codes", admin, moved, &c); st != 200 || household(c) != "220221" {
			t.Fatalf("issue with household 220221: %d %+v", st, c)
		}
		moved.Household = ""
		if st := e.do("POST", "/api/v1/codes", admin, moved, &c); st != 200 || household(c) != "220221" {
			t.Errorf("reissue without household: %d, household %s; want the stored 220221", st, c.Household)
		}
		fresh := IssueRequest{Name: "王五", IDNumber: residentID("220102", "19750303", 33)}
		if st := e.do("POST", "/api/v1/codes", admin, fresh, &c); st != 200 || household(c) != "220102" {
			t.Errorf("new person without household: %d, household %s; want the ID's region 220102", st, c.Household)
		}
		for _, bad := range []string{"2201", "abcdef", "990000"} {
			var er checkpoint.ErrorResponse
			fresh.Household = bad
			if st := e.do("POST", "/api/v1/codes", admin, fresh, &er); st != 400 {
				t.Errorf("household %q: %d %+v; want 400", bad, st, er)
			}
		}
	})
}

// TestRevocationsKeptPastExpiry: a revoked code stays in the list for the skew margin after its
// expiry, for kiosks whose clock runs behind.
func TestRevocationsKeptPastExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		for id, expired := range map[string]time.Duration{"aa00000000000001": time.Hour, "aa00000000000002": sqldb.RevocationMargin + time.Hour} {
			c := sqldb.Code{ID: id, PersonID: "p", Kind: "live", KeyID: "k", Status: "green", IssuedAt: now.Add(-expired - time.Hour), ExpiresAt: now.Add(-expired)}
			if err := e.srv.db.AddCode(ctx, c); err != nil {
				t.Fatal(err)
			}
			if err := e.srv.db.RevokeCode(ctx, id, now); err != nil {
				t.Fatal(err)
			}
		}
		ids, err := e.srv.db.Revoked(ctx, now)
		if err != nil || len(ids) != 1 || ids[0] != "aa00000000000001" {
			t.Errorf("Revoked = %v, %v; want only the code expired an hour ago", ids, err)
		}
	})
}
