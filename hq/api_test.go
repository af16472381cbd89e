package hq

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/sealbox"
)

func TestEnroll(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		code, err := e.srv.CreateEnrollCode(context.Background(), "a1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.srv.CreateEnrollCode(context.Background(), "nope", time.Hour); err == nil {
			t.Fatal("enroll code for an unknown site")
		}
		cases := []struct {
			name string
			body any
			want int
		}{
			{"wrong code", checkpoint.EnrollRequest{Code: "AAAA-BBBB-CCCC-DDDD"}, 403},
			{"empty", checkpoint.EnrollRequest{}, 400},
			{"unknown field", []byte(`{"code":"x","admin":true}`), 400},
			// Case, spaces and dashes do not matter.
			{"ok", checkpoint.EnrollRequest{Code: " " + strings.ToLower(strings.ReplaceAll(code.Code, "-", "")), DeviceName: "k"}, 200},
			{"reused", checkpoint.EnrollRequest{Code: code.Code}, 403},
		}
		for _, c := range cases {
			var resp checkpoint.EnrollResponse
			st := e.do("POST", "/api/v1/enroll", "", c.body, &resp)
			if st != c.want {
				t.Errorf("%s: status %d; want %d", c.name, st, c.want)
			}
			if st == 200 && (resp.SiteID != "a1" || resp.DeviceID == "" || len(resp.Secret) < 40) {
				t.Errorf("%s: %+v", c.name, resp)
			}
		}
		if n := e.stats().Counters[cntEnrollFailed]; n != 2 {
			t.Fatalf("enroll failures counted %d; want 2", n)
		}
	})
}

func TestConfigPull(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ctx := context.Background()
		if _, err := e.srv.NewIssuingKey(ctx, 0, false); err != nil {
			t.Fatal(err)
		}
		var c1 configAnswer
		if st := e.do("GET", "/api/v1/config", devAuth(e.devA), nil, &c1); st != 200 {
			t.Fatalf("config: %d", st)
		}
		if time.Since(c1.ServerTime) > time.Minute {
			t.Errorf("server_time = %v", c1.ServerTime)
		}
		got := map[string]checkpoint.Dataset{}
		q := []string{}
		for _, d := range c1.Datasets {
			got[d.Name] = d
			q = append(q, fmt.Sprintf("%s=%d", d.Name, d.Version))
		}
		if len(got) != len(checkpoint.Datasets) {
			t.Fatalf("first pull has %d datasets; want all %d", len(got), len(checkpoint.Datasets))
		}
		tl, err := checkpoint.ParseTrustList(got["trust"].Data)
		if err != nil || len(tl.Keys) != 1 || tl.Version != got["trust"].Version {
			t.Fatalf("trust = %s (%v)", got["trust"].Data, err)
		}
		if _, err := checkpoint.ParseRevocationList(got["revocations"].Data); err != nil {
			t.Fatalf("revocations: %v", err)
		}
		if _, err := checkpoint.ParseRiskList(got["risk_areas"].Data); err != nil {
			t.Fatalf("risk_areas: %v", err)
		}
		var set checkpoint.Settings
		if err := json.Unmarshal(got["settings"].Data, &set); err != nil {
			t.Fatal(err)
		}
		if set.RetentionDays != DefaultRetentionDays || set.Rules.LocalCounty != "220221" {
			t.Fatalf("settings = %+v", set)
		}
		pub, err := sealbox.ParseKey(set.HQSealKey)
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := sealbox.Seal(pub, "rec-1", checkpoint.Personal{Name: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		priv, _ := e.srv.SealPrivateKey(ctx)
		if p, err := sealbox.Open(priv, "rec-1", sealed); err != nil || p.Name != "张三" {
			t.Fatalf("HQ cannot open what kiosks seal: %v", err)
		}
		if salt, err := sealbox.ParseKey(set.StaffSalt); err != nil || len(salt) < 16 {
			t.Fatalf("settings staff_salt = %q, %v; want base64 of 16 bytes", set.StaffSalt, err)
		}
		if strings.Contains(string(got["settings"].Data), "hash_key") {
			t.Fatalf("settings sent to a kiosk hold a hash key: %s", got["settings"].Data)
		}
		var staff []checkpoint.Staff
		json.Unmarshal(got["staff"].Data, &staff)
		if len(staff) != 3 || staff[0].PasswordHash == "" {
			t.Fatalf("staff = %s", got["staff"].Data)
		}
		// Nothing changed: nothing returned.
		var c2 configAnswer
		e.do("GET", "/api/v1/config?"+strings.Join(q, "&"), devAuth(e.devA), nil, &c2)
		if len(c2.Datasets) != 0 {
			t.Fatalf("unchanged pull returned %d datasets", len(c2.Datasets))
		}
		// A new risk list: only risk_areas.
		var n map[string]int
		risk := `[{"code":"220100","level":"high","from":"2022-03-11","to":"2022-05-10"}]`
		if st := e.do("PUT", "/api/v1/admin/risk-areas", "Bearer "+testAdmin, []byte(risk), &n); st != 200 || n["areas"] != 1 {
			t.Fatalf("put risk: %d %v", st, n)
		}
		var c3 configAnswer
		e.do("GET", "/api/v1/config?"+strings.Join(q, "&"), devAuth(e.devA), nil, &c3)
		if len(c3.Datasets) != 1 || c3.Datasets[0].Name != "risk_areas" || c3.Datasets[0].Version != got["risk_areas"].Version+1 {
			t.Fatalf("after risk change: %+v", c3.Datasets)
		}
		l, err := checkpoint.ParseRiskList(c3.Datasets[0].Data)
		if err != nil || len(l) != 1 || l[0].Code != "220100" {
			t.Fatalf("risk list = %s (%v)", c3.Datasets[0].Data, err)
		}
		for _, bad := range []string{"?trust=x", "?trust=-1", "?bogus=1", "?trust=1&trust=2"} {
			var er checkpoint.ErrorResponse
			if st := e.do("GET", "/api/v1/config"+bad, devAuth(e.devA), nil, &er); st != 400 || er.Message == "" {
				t.Errorf("config%s: %d %+v; want 400", bad, st, er)
			}
		}
		if st := e.do("PUT", "/api/v1/admin/risk-areas", "Bearer "+testAdmin, []byte(`[{"code":"abc","level":"high"}]`), nil); st != 400 {
			t.Errorf("bad risk list: %d; want 400", st)
		}
	})
}

func TestCodesAndStatus(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		admin := "Bearer " + testAdmin
		person := IssueRequest{Name: "张三", IDNumber: residentID("220221", "19800101", 11), Kind: "printed"}
		var er checkpoint.ErrorResponse
		if st := e.do("POST", "/api/v1/codes", admin, person, &er); st != 409 || er.Error != "no_issuing_key" {
			t.Fatalf("issue without key: %d %+v", st, er)
		}
		var key checkpoint.TrustedKey
		if st := e.do("POST", "/api/v1/admin/keys", admin, NewKeyRequest{}, &key); st != 201 || key.KID == "" {
			t.Fatalf("new key: %d", st)
		}
		var c1 IssueResponse
		if st := e.do("POST", "/api/v1/codes", admin, person, &c1); st != 200 || c1.Status != "green" || c1.Kind != "printed" {
			t.Fatalf("issue: %d %+v", st, c1)
		}
		if st := e.do("POST", "/api/v1/codes", admin, IssueRequest{Name: "张三", IDNumber: "220221198001011234"}, &er); st != 400 {
			t.Fatalf("bad ID: %d", st)
		}
		trust := func() (checkpoint.TrustList, *checkpoint.RevocationList) {
			var c configAnswer
			e.do("GET", "/api/v1/config?risk_areas=0&staff=0&sites=0&settings=0", devAuth(e.devA), nil, &c)
			var tl checkpoint.TrustList
			var rl *checkpoint.RevocationList
			for _, d := range c.Datasets {
				switch d.Name {
				case "trust":
					tl, _ = checkpoint.ParseTrustList(d.Data)
				case "revocations":
					rl, _ = checkpoint.ParseRevocationList(d.Data)
				}
			}
			return tl, rl
		}
		tl, rl := trust()
		cl, err := checkpoint.Verify(c1.Code, tl, rl, time.Now(), checkpoint.DefaultConfig())
		if err != nil || cl.CodeID != c1.CodeID || cl.Household != "220221" || !strings.HasPrefix(cl.IDMasked, "220221****") {
			t.Fatalf("Verify(issued code) = %+v, %v", cl, err)
		}
		var cs checkpoint.CodeStatus
		e.do("GET", "/api/v1/codes/"+c1.CodeID+"/status", devAuth(e.devA), nil, &cs)
		if !cs.Known || cs.Revoked || cs.Status != "green" {
			t.Fatalf("status = %+v", cs)
		}
		e.do("GET", "/api/v1/codes/unknown'--/status", devAuth(e.devA), nil, &cs)
		if cs.Known {
			t.Fatalf("unknown code known: %+v", cs)
		}
		if st := e.do("GET", "/api/v1/codes/"+c1.CodeID+"/status", "", nil, nil); st != 401 {
			t.Fatalf("status without credential: %d", st)
		}
		// Yellow by ID number: the green code is revoked.
		var ps PersonStatusResponse
		if st := e.do("POST", "/api/v1/admin/people/status", admin, PersonStatusRequest{IDNumber: person.IDNumber, Status: "yellow", Reason: "密接"}, &ps); st != 200 || ps.RevokedCodes != 1 {
			t.Fatalf("set status: %d %+v", st, ps)
		}
		e.do("GET", "/api/v1/codes/"+c1.CodeID+"/status", devAuth(e.devA), nil, &cs)
		if !cs.Revoked || cs.Status != "yellow" || cs.Reason != "密接" {
			t.Fatalf("status after yellow = %+v", cs)
		}
		tl, rl = trust()
		if _, err := checkpoint.Verify(c1.Code, tl, rl, time.Now(), checkpoint.DefaultConfig()); err == nil || !rl.Revoked(c1.CodeID) {
			t.Fatalf("revoked code verifies offline: %v", err)
		}
		var c2 IssueResponse
		e.do("POST", "/api/v1/codes", admin, person, &c2)
		if c2.Status != "yellow" || c2.PersonID != c1.PersonID {
			t.Fatalf("reissue = %+v", c2)
		}
		// Revoke by code id; by code id for status.
		if st := e.do("POST", "/api/v1/admin/codes/"+c2.CodeID+"/revoke", admin, nil, nil); st != 200 {
			t.Fatalf("revoke: %d", st)
		}
		if st := e.do("POST", "/api/v1/admin/codes/nope/revoke", admin, nil, nil); st != 404 {
			t.Fatalf("revoke unknown: %d", st)
		}
		if st := e.do("POST", "/api/v1/admin/people/status", admin, PersonStatusRequest{CodeID: c2.CodeID, Status: "red"}, &ps); st != 200 || ps.PersonID != c1.PersonID {
			t.Fatalf("status by code: %d", st)
		}
		if st := e.do("POST", "/api/v1/admin/people/status", admin, PersonStatusRequest{PersonID: "nobody", Status: "red"}, nil); st != 404 {
			t.Fatalf("status of nobody: %d", st)
		}
		if st := e.do("POST", "/api/v1/admin/people/status", admin, PersonStatusRequest{PersonID: c1.PersonID, Status: "purple"}, nil); st != 400 {
			t.Fatalf("purple: %d", st)
		}
		// Rotation: new key issues, the old one is retired but still in the trust list.
		var k2 checkpoint.TrustedKey
		e.do("POST", "/api/v1/admin/keys", admin, NewKeyRequest{Rotate: true, ValidDays: 30}, &k2)
		var keys []KeyInfo
		e.do("GET", "/api/v1/admin/keys", admin, nil, &keys)
		if len(keys) != 2 || keys[0].RetiredAt.IsZero() || !keys[1].RetiredAt.IsZero() {
			t.Fatalf("keys after rotate = %+v", keys)
		}
		var c3 IssueResponse
		e.do("POST", "/api/v1/codes", admin, person, &c3)
		tl, rl = trust()
		if cl, err := checkpoint.Verify(c3.Code, tl, rl, time.Now(), checkpoint.DefaultConfig()); err != nil || cl.KID != k2.KID {
			t.Fatalf("code after rotation: %+v %v", cl, err)
		}
		if st := e.do("POST", "/api/v1/admin/keys/"+k2.KID+"/retire", admin, nil, nil); st != 200 {
			t.Fatalf("retire: %d", st)
		}
		if st := e.do("POST", "/api/v1/codes", admin, person, &er); st != 409 {
			t.Fatalf("issue after retiring all keys: %d", st)
		}
	})
}

func TestAdminAPI(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		admin := "Bearer " + testAdmin
		for _, auth := range []string{"", "Bearer wrong", devAuth(e.devA), "Bearer " + testAdmin + "x"} {
			var er checkpoint.ErrorResponse
			if st := e.do("GET", "/api/v1/admin/sites", auth, nil, &er); st != 401 || er.Error != "admin_denied" {
				t.Errorf("admin with %q: %d %+v", auth, st, er)
			}
		}
		site := checkpoint.Site{ID: "c", ParentID: "r", Name: "C站", Address: "路", Contact: "人", Phone: "1", Active: true}
		if st := e.do("POST", "/api/v1/admin/sites", admin, site, nil); st != 201 {
			t.Fatalf("create site: %d", st)
		}
		if st := e.do("POST", "/api/v1/admin/sites", admin, site, nil); st != 409 {
			t.Fatalf("create twice: %d", st)
		}
		site.Name = "C站改"
		if st := e.do("PUT", "/api/v1/admin/sites/c", admin, site, nil); st != 200 {
			t.Fatalf("update: %d", st)
		}
		for name, c := range map[string]struct {
			path string
			site checkpoint.Site
			want int
		}{
			"missing field": {"/api/v1/admin/sites", checkpoint.Site{ID: "d", Name: "x"}, 400},
			"no parent":     {"/api/v1/admin/sites", checkpoint.Site{ID: "d", ParentID: "zz", Name: "x", Address: "x", Contact: "x", Phone: "1"}, 400},
			"cycle":         {"/api/v1/admin/sites/a", checkpoint.Site{ID: "a", ParentID: "a1", Name: "x", Address: "x", Contact: "x", Phone: "1"}, 400},
			"unknown":       {"/api/v1/admin/sites/zz", checkpoint.Site{ID: "zz", Name: "x", Address: "x", Contact: "x", Phone: "1"}, 404},
		} {
			method := "POST"
			if strings.Contains(c.path, "sites/") {
				method = "PUT"
			}
			if st := e.do(method, c.path, admin, c.site, nil); st != c.want {
				t.Errorf("%s: %d; want %d", name, st, c.want)
			}
		}
		var sites []checkpoint.Site
		e.do("GET", "/api/v1/admin/sites", admin, nil, &sites)
		if len(sites) != 5 {
			t.Fatalf("sites = %d", len(sites))
		}
		var st StaffView
		req := StaffRequest{Phone: "+86 138-0000-0009", Name: "赵六", Role: checkpoint.RoleScanner, SiteID: "c", Password: "correct horse"}
		if code := e.do("POST", "/api/v1/admin/staff", admin, req, &st); code != 201 || st.PasswordHash != "" || st.PhoneMasked != "138****0009" || st.NameMasked == "赵六" {
			t.Fatalf("create staff: %d %+v", code, st)
		}
		all, _ := e.srv.db.AllStaff(context.Background())
		for _, s := range all {
			if s.ID == st.ID {
				if err := passwd.Verify("correct horse", s.PasswordHash); err != nil {
					t.Fatalf("stored hash does not verify: %v", err)
				}
				hk, _ := e.srv.personHashKey(context.Background())
				if s.PhoneHash != keyedHash(hk, "13800000009") {
					t.Fatal("phone hash is not HMAC(person_hash_key, 11 digits)")
				}
				salt, _ := e.srv.staffSalt(context.Background())
				if want, _ := passwd.PhoneLookup(salt, "13800000009"); s.PhoneLookup != want || st.PhoneLookup != want {
					t.Fatalf("phone lookup = %q; want passwd.PhoneLookup(staff salt, 11 digits)", s.PhoneLookup)
				}
			}
		}
		for name, r := range map[string]StaffRequest{
			"bad phone": {Phone: "12345", Name: "赵六", Role: "scanner", SiteID: "c", Password: "correct horse"},
			"short pw":  {Phone: "13800000008", Name: "赵六", Role: "scanner", SiteID: "c", Password: "short"},
			"role":      {Phone: "13800000008", Name: "赵六", Role: "root", SiteID: "c", Password: "correct horse"},
			"site":      {Phone: "13800000008", Name: "赵六", Role: "scanner", SiteID: "zz", Password: "correct horse"},
		} {
			var er checkpoint.ErrorResponse
			if code := e.do("POST", "/api/v1/admin/staff", admin, r, &er); code != 400 {
				t.Errorf("%s: %d %+v", name, code, er)
			}
		}
		// One account per phone number: a second one is refused, Chinese first then English.
		var er checkpoint.ErrorResponse
		again := StaffRequest{Phone: "13800000009", Name: "钱七", Role: checkpoint.RoleScanner, SiteID: "c", Password: "correct horse"}
		if code := e.do("POST", "/api/v1/admin/staff", admin, again, &er); code != 409 || er.Error != "phone_taken" ||
			!strings.HasPrefix(er.Message, "该手机号已有工作人员账号") || !strings.Contains(er.Message, "/ this phone number already has a staff account") {
			t.Errorf("second account with the same phone: %d %+v; want 409 phone_taken", code, er)
		}
		// The same account put again with its own phone is an update, not a duplicate.
		again.ID, again.Name = st.ID, "赵六"
		if code := e.do("POST", "/api/v1/admin/staff", admin, again, nil); code != 201 {
			t.Errorf("re-put of the same account: %d; want 201", code)
		}
		var ec EnrollCodeResponse
		if code := e.do("POST", "/api/v1/admin/enroll-codes", admin, EnrollCodeRequest{SiteID: "c"}, &ec); code != 201 || ec.Code == "" {
			t.Fatalf("enroll code: %d", code)
		}
		if code := e.do("POST", "/api/v1/admin/enroll-codes", admin, EnrollCodeRequest{SiteID: "zz"}, nil); code != 404 {
			t.Fatalf("enroll code unknown site: %d", code)
		}
		days := 7
		var set checkpoint.Settings
		if code := e.do("PUT", "/api/v1/admin/settings", admin, SettingsRequest{RetentionDays: &days}, &set); code != 200 || set.RetentionDays != 7 {
			t.Fatalf("settings: %d %+v", code, set)
		}
		var devs []DeviceInfo
		if code := e.do("GET", "/api/v1/admin/devices", admin, nil, &devs); code != 200 || len(devs) != 2 {
			t.Fatalf("devices: %d %+v", code, devs)
		}
		if code := e.do("POST", "/api/v1/admin/devices/"+e.devB.DeviceID+"/revoke", admin, nil, nil); code != 200 {
			t.Fatalf("revoke device: %d", code)
		}
		if code := e.do("GET", "/api/v1/config", devAuth(e.devB), nil, nil); code != 401 {
			t.Fatalf("revoked device pulls config: %d", code)
		}
		if code := e.do("POST", "/api/v1/admin/devices/nope/revoke", admin, nil, nil); code != 404 {
			t.Fatalf("revoke unknown device: %d", code)
		}
		if code := e.do("GET", "/api/v1/admin/nothing", admin, nil, nil); code != 404 {
			t.Fatalf("unknown endpoint: %d", code)
		}
		if e.stats().Counters[cntAdminDenied] != 4 {
			t.Fatalf("admin denials not counted: %v", e.stats().Counters)
		}
	})
}

func TestAdminDisabled(t *testing.T) {
	srv, err := New(Config{DSN: "sqlite:" + t.TempDir() + "/hq.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rr := newRecorder(srv, "GET", "/api/v1/admin/sites", "Bearer ")
	if rr.Code != 503 {
		t.Fatalf("admin without token configured: %d; want 503", rr.Code)
	}
}
