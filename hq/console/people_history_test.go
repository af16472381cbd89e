package console

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/scanner"
)

const testPhone = "13900005601"

// issue gives HQ a key and issues n live codes to testID; it returns the last.
func (e *tenv) issue(n int) hq.IssueResponse {
	e.t.Helper()
	admin := "Bearer " + testAdminToken
	if st := e.api("POST", "/api/v1/admin/keys", admin, hq.NewKeyRequest{}, nil); st != http.StatusCreated {
		e.t.Fatalf("key: %d", st)
	}
	var c hq.IssueResponse
	for range n {
		if st := e.api("POST", "/api/v1/codes", admin, hq.IssueRequest{Name: "张三丰", IDNumber: testID}, &c); st != 200 {
			e.t.Fatalf("issue: %d", st)
		}
		e.clk.Add(time.Minute)
	}
	return c
}

// addCitizen gives testID a 吉事办 account with testPhone, hashed as HQ hashes it.
func (e *tenv) addCitizen() {
	e.t.Helper()
	ctx := context.Background()
	db := e.core.DB()
	v, ok, err := db.Setting(ctx, "person_hash_key")
	if err != nil || !ok {
		e.t.Fatalf("person_hash_key: %v %v", ok, err)
	}
	key, _ := base64.StdEncoding.DecodeString(v)
	hash := func(s string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(s))
		return hex.EncodeToString(m.Sum(nil))
	}
	now := e.clk.Now()
	if err := db.CreateCitizen(ctx, sqldb.Citizen{ID: "c-1", PhoneHash: hash(testPhone), IDHash: hash(testID), PhoneMasked: "139****5601",
		NameMasked: "张*丰", IDMasked: "220221********1233", Household: "220221", Sealed: "x", PasswordHash: fakePHC, CreatedAt: now, UpdatedAt: now}); err != nil {
		e.t.Fatal(err)
	}
}

var codeRowRE = regexp.MustCompile(`data-code="([0-9a-f]+)" data-state="([a-z]+)"`)

// codeStates reads the code list of a person's page: code id → state.
func codeStates(body string) map[string]string {
	m := map[string]string{}
	for _, s := range codeRowRE.FindAllStringSubmatch(body, -1) {
		m[s[1]] = s[2]
	}
	return m
}

// TestPeopleHistory: a found person's page lists their codes newest first with their state in
// words, and their changes of colour; turning them red revokes their green codes, which then
// read 已作废, and the change is listed with its reason, the codes it revoked and who made it.
// A mobile number finds the person of its 吉事办 account (typed with spaces and +86 too); every
// look-up, found or not, is in the audit log with the number masked.
func TestPeopleHistory(t *testing.T) {
	e := newTenv(t, false)
	last := e.issue(2)
	e.addCitizen()
	health := e.as(RoleHealth)
	r := e.post(health, "/admin/people/find", url.Values{"q": {testID}})
	st := codeStates(r.body)
	if r.status != 200 || len(st) != 2 || st[last.CodeID] != hq.CodeValid || strings.Count(r.body, ">"+zh["code_state_valid"]+"<") != 2 ||
		!strings.Contains(r.body, zh["people_changes_none"]) {
		t.Fatalf("find: %d %v %s", r.status, st, r.body)
	}
	if i, j := strings.Index(r.body, last.CodeID), strings.Index(r.body, `data-state="valid"`); i < 0 || j < 0 || i > strings.LastIndex(r.body, `data-state="valid"`) {
		t.Errorf("the newest code is not first")
	}
	e.clk.Add(time.Minute)
	r = e.post(health, "/admin/people/status", url.Values{"person_id": {last.PersonID}, "status": {"red"}, "reason": {"密接"}})
	st = codeStates(r.body)
	if r.status != 200 || len(st) != 2 || st[last.CodeID] != hq.CodeRevoked || strings.Count(r.body, ">"+zh["code_state_revoked"]+" <span") != 2 {
		t.Fatalf("after red: %d %v", r.status, st)
	}
	row := regexp.MustCompile(`<tr><td class="nowrap">[^<]+</td><td><span class="status status-green">绿码</span></td>\s*<td><span class="status status-red">红码</span></td><td>密接</td><td>2</td><td>op-health</td></tr>`)
	if !row.MatchString(r.body) {
		t.Fatalf("no change row green → red in %s", r.body)
	}
	// A live code lives 10 minutes: one issued now reads 已过期 11 minutes later.
	e.clk.Add(11 * time.Minute)
	e.get(health, "/admin/people")
	third := e.issue(1)
	e.get(health, "/admin/people") // the session's idle timeout is 15 minutes
	e.clk.Add(11 * time.Minute)
	r = e.post(health, "/admin/people/find", url.Values{"q": {last.PersonID}})
	if st := codeStates(r.body); len(st) != 3 || st[last.CodeID] != hq.CodeRevoked || st[third.CodeID] != hq.CodeExpired ||
		!strings.Contains(r.body, ">"+zh["code_state_expired"]+"<") {
		t.Fatalf("find by person id: %v", st)
	}
	for _, q := range []string{testPhone, "+86 139 0000 5601"} {
		r = e.post(health, "/admin/people/find", url.Values{"q": {q}})
		if r.status != 200 || !strings.Contains(r.body, `value="`+last.PersonID+`"`) || strings.Contains(r.body, testPhone) {
			t.Fatalf("find by phone %q: %d", q, r.status)
		}
	}
	if r := e.post(health, "/admin/people/find", url.Values{"q": {"13900005602"}}); r.status != http.StatusNotFound {
		t.Fatalf("a phone without an account: %d", r.status)
	}
	if r := e.post(health, "/admin/people/find", url.Values{"q": {"22022119900101123"}}); r.status != http.StatusNotFound {
		t.Fatalf("17 characters: %d", r.status)
	}
	es, _ := e.core.DB().Audit(context.Background(), 0, 50)
	finds := map[string]bool{}
	for _, a := range es {
		if strings.Contains(a.Object+a.Before+a.After, "19900101") || strings.Contains(a.After, "00005601") || strings.Contains(a.After, "0000 5601") {
			t.Errorf("personal data in %+v", a)
		}
		if a.Action == hq.AuditPersonFind {
			finds[a.After] = a.Operator == "op-health" && (a.Object == last.PersonID) == strings.Contains(a.After, `"found":true`)
		}
	}
	for _, want := range []string{`{"by":"id_number","found":true,"query":"220221********1233"}`, `{"by":"phone","found":true,"query":"139****5601"}`,
		`{"by":"phone","found":false,"query":"139****5602"}`, `{"by":"code_id","found":false,"query":"(17 characters)"}`,
		`{"by":"person_id","found":true,"query":"` + last.PersonID + `"}`} {
		if ok, seen := finds[want]; !seen || !ok {
			t.Errorf("no audit entry %s (have %v)", want, finds)
		}
	}
}

// TestPeopleCardRoles: viewer and ops may neither look a person up, nor change them, nor print a
// card; health may.
func TestPeopleCardRoles(t *testing.T) {
	e := newTenv(t, false)
	c := e.issue(1)
	for _, role := range []Role{RoleViewer, RoleOps} {
		cl := e.as(role)
		for path, form := range map[string]url.Values{
			"/admin/people/find":   {"q": {testID}},
			"/admin/people/status": {"person_id": {c.PersonID}, "status": {"red"}},
			"/admin/people/card":   {"person_id": {c.PersonID}},
			"/admin/codes/revoke":  {"code_id": {c.CodeID}},
		} {
			if r := e.post(cl, path, form); r.status != http.StatusForbidden || r.hdr.Get("Content-Type") == "application/pdf" {
				t.Errorf("%s %s: %d", role, path, r.status)
			}
		}
	}
	if codes, total, _ := e.core.DB().CodesOf(context.Background(), c.PersonID, 10); total != 1 || codes[0].Revoked {
		t.Fatalf("a refused request changed the codes: %+v", codes)
	}
	health := e.as(RoleHealth)
	if r := e.post(health, "/admin/people/card", url.Values{"person_id": {c.PersonID}}); r.status != 200 || r.hdr.Get("Content-Type") != "application/pdf" {
		t.Fatalf("health prints: %d %s", r.status, r.hdr.Get("Content-Type"))
	}
	if r := e.post(health, "/admin/people/card", url.Values{"person_id": {"p-none"}}); r.status != http.StatusNotFound {
		t.Fatalf("a card for nobody: %d", r.status)
	}
}

// TestPeopleCard: 打印吉祥码卡片 answers a one-page PDF download named after the masked ID
// number; rendered to PNG by pdftoppm, its QR reads with the kiosk's scanner and verifies
// against the trust list a kiosk pulls: a printed code of the person, in their colour, valid 7
// days. The code is in the person's list as 打印码, and the print is in the audit log.
func TestPeopleCard(t *testing.T) {
	pdftoppm, err := exec.LookPath("pdftoppm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftoppm (poppler-utils, scripts/deps.sh test) is missing")
		}
		t.Skip("pdftoppm (poppler-utils) is not installed: scripts/deps.sh test")
	}
	e := newTenv(t, false)
	e.seedKiosks(0)
	live := e.issue(1)
	health := e.as(RoleHealth)
	e.post(health, "/admin/people/status", url.Values{"person_id": {live.PersonID}, "status": {"yellow"}, "reason": {"14天内到过中风险地区"}})
	start := time.Now()
	r := e.post(health, "/admin/people/card", url.Values{"person_id": {live.PersonID}})
	took := time.Since(start)
	if r.status != 200 || r.hdr.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.body, "%PDF-") {
		t.Fatalf("card: %d %s %.200s", r.status, r.hdr.Get("Content-Type"), r.body)
	}
	t.Logf("card: %d bytes, answered in %v", len(r.body), took)
	if got, want := r.hdr.Get("Content-Disposition"), `attachment; filename="jixiangma-220221xxxxxxxx1233.pdf"; filename*=UTF-8''%E5%90%89%E7%A5%A5%E7%A0%81-220221xxxxxxxx1233.pdf`; got != want {
		t.Errorf("Content-Disposition = %s; want %s", got, want)
	}
	if strings.Contains(r.body, "张三丰") || strings.Contains(r.body, testID) {
		t.Error("the PDF holds the full name or ID number")
	}
	dir := t.TempDir()
	pdf := filepath.Join(dir, "card.pdf")
	os.WriteFile(pdf, []byte(r.body), 0o600)
	if out, err := exec.Command(pdftoppm, "-r", "150", "-png", "-singlefile", pdf, filepath.Join(dir, "card")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	png, err := os.ReadFile(filepath.Join(dir, "card.png"))
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("CODECARD_PNG"); p != "" {
		os.WriteFile(p, png, 0o644)
	}
	g, err := scanner.DecodeImage(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := scanner.NewDefaultDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	rs, err := dec.Decode(g)
	if err != nil || len(rs) != 1 {
		t.Fatalf("the scanner reads %d codes from the card (%v)", len(rs), err)
	}
	// As a kiosk: the trust list and revocations from its pull, checked against the pinned root.
	var cfg checkpoint.ConfigResponse
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/config", nil)
	req.Header.Set("Authorization", "Bearer "+e.kiosk.DeviceID+"."+e.kiosk.Secret)
	if st := e.apiDo(req, &cfg); st != 200 {
		t.Fatalf("config: %d", st)
	}
	var trust checkpoint.TrustList
	var revoked checkpoint.RevocationList
	for _, env := range cfg.Datasets {
		p, err := env.Verify(checkpoint.DatasetCheck{Root: e.kiosk.RootKey, DeviceID: e.kiosk.DeviceID})
		if err != nil {
			t.Fatal(err)
		}
		switch p.Name {
		case checkpoint.DatasetTrust:
			tl, err := checkpoint.ParseTrustList(p.Data)
			if err != nil {
				t.Fatal(err)
			}
			trust = tl
		case checkpoint.DatasetRevocations:
			rl, err := checkpoint.ParseRevocationList(p.Data)
			if err != nil {
				t.Fatal(err)
			}
			revoked = *rl
		}
	}
	claims, err := checkpoint.Verify(rs[0].Text, trust, &revoked, e.clk.Now(), checkpoint.DefaultConfig())
	if err != nil {
		t.Fatalf("verify the card's code: %v", err)
	}
	person, _ := e.core.DB().Person(context.Background(), live.PersonID)
	if claims.Kind != checkpoint.KindPrinted || claims.HolderID != person.HolderID || claims.Status != checkpoint.StatusYellow ||
		claims.IDMasked != "220221********1233" || !claims.ExpiresAt.Equal(claims.IssuedAt.Add(7*24*time.Hour)) {
		t.Fatalf("the card's code: %+v", claims)
	}
	p := e.post(health, "/admin/people/find", url.Values{"q": {live.PersonID}})
	if st := codeStates(p.body); st[claims.CodeID] != hq.CodeValid || !strings.Contains(p.body, ">"+zh["code_kind_printed"]+"<") {
		t.Fatalf("the printed code in the list: %v", st)
	}
	es, _ := e.core.DB().Audit(context.Background(), 0, 50)
	var printed bool
	for _, a := range es {
		printed = printed || a.Action == hq.AuditCodePrint && a.Object == claims.CodeID && a.Operator == "op-health" &&
			strings.Contains(a.After, `"kind":"printed"`) && strings.Contains(a.After, `"person_id":"`+live.PersonID+`"`)
	}
	if !printed {
		t.Fatalf("no code.print audit entry in %+v", es)
	}
}

// apiDo sends req and decodes the JSON answer into out.
func (e *tenv) apiDo(req *http.Request, out any) int {
	e.t.Helper()
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer r.Body.Close()
	if err := jsonDecode(r.Body, out); err != nil {
		e.t.Fatal(err)
	}
	return r.StatusCode
}

func jsonDecode(r io.Reader, out any) error { return json.NewDecoder(r).Decode(out) }
