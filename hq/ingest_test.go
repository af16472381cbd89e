package hq

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/sealbox"
)

func TestPushIdempotentAndVerbatim(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		r1 := rec(e.devA, "a", "scan-a")
		// Odd spacing, escapes and non-ASCII must come back byte for byte.
		r1.Body = json.RawMessage("{ \"verdict\" :\"pass\",\n\t\"reasons\":[], \"remarks\":\"\\u0000 \\\"q\\\" 中文 \\ud83d\\ude00 😀\", \"n\": 1.50e+2 }")
		r2 := rec(e.devA, "a1", "scan-a1")
		// json.Marshal would compact a RawMessage, so the batch is written by hand.
		env1, _ := json.Marshal(checkpoint.Record{ID: r1.ID, Kind: r1.Kind, DeviceID: r1.DeviceID, SiteID: r1.SiteID,
			StaffID: r1.StaffID, CreatedAt: r1.CreatedAt, Body: json.RawMessage(`0`)})
		env1 = append(bytes.TrimSuffix(env1, []byte(`0}`)), append(append([]byte{}, r1.Body...), '}')...)
		env2, _ := json.Marshal(r2)
		batch := []byte(`{"records":[` + string(env1) + `,` + string(env2) + `]}`)
		var resp checkpoint.PushResponse
		code := e.do("POST", "/api/v1/batches", devAuth(e.devA), batch, &resp)
		if code != 200 || statusesOf(resp) != "stored,stored" {
			t.Fatalf("first push: %d %s; want 200 stored,stored", code, statusesOf(resp))
		}
		got, err := e.srv.db.Record(context.Background(), r1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, r1.Body) {
			t.Fatalf("stored body = %q; want %q", got.Body, r1.Body)
		}
		if !got.CreatedAt.Equal(r1.CreatedAt) || got.SiteID != "a" || got.StaffID != "scan-a" || got.Kind != checkpoint.KindCheck {
			t.Fatalf("stored envelope = %+v", got)
		}
		// Again, as gzip: duplicates, acknowledged.
		raw := batch
		var resp2 checkpoint.PushResponse
		code = e.do("POST", "/api/v1/batches", devAuth(e.devA), gz(raw), &resp2, "Content-Encoding", "gzip")
		if code != 200 || statusesOf(resp2) != "duplicate,duplicate" {
			t.Fatalf("second push: %d %s; want duplicate,duplicate", code, statusesOf(resp2))
		}
		if !resp2.Results[0].Done() {
			t.Fatal("duplicate not Done")
		}
		// Same ids, other content: each changed field makes a conflict.
		changes := []func(r *checkpoint.Record){
			func(r *checkpoint.Record) {
				r.Body = json.RawMessage(strings.Replace(string(r.Body), "pass", "turn_back", 1))
			},
			func(r *checkpoint.Record) {
				r.Body = json.RawMessage(strings.Replace(string(r.Body), `{"verdict":"pass","reasons":[]`, `{"reasons":[],"verdict":"pass"`, 1))
			},
			func(r *checkpoint.Record) { r.CreatedAt = r.CreatedAt.Add(time.Microsecond) },
			func(r *checkpoint.Record) { r.SiteID = "a" },
			func(r *checkpoint.Record) { r.StaffID = "sup-a" },
			func(r *checkpoint.Record) { r.Kind = checkpoint.KindRegistration },
		}
		for i, ch := range changes {
			c := r2
			ch(&c)
			if bytes.Equal(c.Body, r2.Body) && c.Kind == r2.Kind && c.SiteID == r2.SiteID && c.StaffID == r2.StaffID && c.CreatedAt.Equal(r2.CreatedAt) {
				t.Fatalf("change %d changed nothing", i)
			}
			code, resp := e.push(e.devA, c)
			if code != 200 || statusesOf(resp) != "conflict(conflict)" {
				t.Errorf("change %d: %d %s; want conflict", i, code, statusesOf(resp))
			}
		}
		// The same id twice in one batch.
		r3 := rec(e.devA, "a", "scan-a")
		r3b := r3
		r3b.Body = json.RawMessage(`{"other":true}`)
		_, resp = e.push(e.devA, r3, r3, r3b)
		if statusesOf(resp) != "stored,duplicate,conflict(conflict)" {
			t.Fatalf("in-batch repeat: %s", statusesOf(resp))
		}
		st := e.stats()
		if st.Checks != 3 || st.Conflicts != int64(len(changes))+1 {
			t.Fatalf("stats = %+v; want 3 checks, %d conflicts", st, len(changes)+1)
		}
	})
}

func TestPushRejections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		long := strings.Repeat("x", 65)
		mk := func(f func(r *checkpoint.Record)) checkpoint.Record {
			r := rec(e.devA, "a", "scan-a")
			f(&r)
			return r
		}
		cases := []struct {
			name string
			r    checkpoint.Record
			want string
		}{
			{"other site", mk(func(r *checkpoint.Record) { r.SiteID = "b" }), "site_not_allowed"},
			{"parent site", mk(func(r *checkpoint.Record) { r.SiteID = "r" }), "site_not_allowed"},
			{"unknown site", mk(func(r *checkpoint.Record) { r.SiteID = "nope" }), "site_not_allowed"},
			{"other device", mk(func(r *checkpoint.Record) { r.DeviceID = e.devB.DeviceID }), "device_mismatch"},
			{"other site's staff", mk(func(r *checkpoint.Record) { r.StaffID = "scan-b" }), "staff_not_allowed"},
			{"unknown staff", mk(func(r *checkpoint.Record) { r.StaffID = "x'; DROP TABLE records; --" }), "staff_not_allowed"},
			{"no staff", mk(func(r *checkpoint.Record) { r.StaffID = "" }), "staff_required"},
			{"long id", mk(func(r *checkpoint.Record) { r.ID = long }), "invalid_record"},
			{"bad kind", mk(func(r *checkpoint.Record) { r.Kind = "exec" }), "invalid_record"},
			{"no time", mk(func(r *checkpoint.Record) { r.CreatedAt = time.Time{} }), "invalid_record"},
			{"huge body", mk(func(r *checkpoint.Record) {
				r.Body = json.RawMessage(`"` + strings.Repeat("a", checkpoint.MaxRecordBodyBytes) + `"`)
			}), "invalid_record"},
		}
		var recs []checkpoint.Record
		for _, c := range cases {
			recs = append(recs, c.r)
		}
		code, resp := e.push(e.devA, recs...)
		if code != 200 || len(resp.Results) != len(cases) {
			t.Fatalf("push: %d, %d results", code, len(resp.Results))
		}
		// Records HQ may not accept from this device are held at HQ (stored, acknowledged, listed
		// for an operator); only malformed ones go back to the kiosk's quarantine.
		var held, rejected int64
		for i, c := range cases {
			got := resp.Results[i]
			want := checkpoint.ResultHeld
			if strings.HasPrefix(c.want, "invalid_") {
				want = checkpoint.ResultRejected
			}
			if got.Status != want || got.Error != c.want || got.Message == "" || got.Done() != (want == checkpoint.ResultHeld) {
				t.Errorf("%s: result %+v; want %s %s with a message", c.name, got, want, c.want)
			}
			if want == checkpoint.ResultHeld {
				held++
			} else {
				rejected++
			}
		}
		st := e.stats()
		if st.Checks != held || st.Held != held || st.Rejected != rejected {
			t.Fatalf("stats = %+v; want %d held (and counted) and %d rejected", st, held, rejected)
		}
		list, err := e.srv.db.Held(context.Background(), "", 0)
		if err != nil || int64(len(list)) != held {
			t.Fatalf("Held = %d records, %v; want %d", len(list), err, held)
		}
		// Sent again, a held record is a duplicate: the kiosk is done with it.
		if _, again := e.push(e.devA, cases[0].r); statusesOf(again) != checkpoint.ResultDuplicate {
			t.Errorf("held record sent again: %s; want duplicate", statusesOf(again))
		}
	})
}

func TestRequestRejections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		good, _ := json.Marshal(checkpoint.PushRequest{Records: []checkpoint.Record{rec(e.devA, "a", "scan-a")}})
		big := bytes.Repeat([]byte(" "), checkpoint.MaxBatchBytes+1)
		bomb := gz(append(append([]byte(`{"records":[`), bytes.Repeat([]byte(" "), checkpoint.MaxBatchBytes+10)...), []byte(`]}`)...))
		tooMany := checkpoint.PushRequest{}
		for range checkpoint.MaxBatchRecords + 1 {
			tooMany.Records = append(tooMany.Records, rec(e.devA, "a", "scan-a"))
		}
		manyRaw, _ := json.Marshal(tooMany)
		cases := []struct {
			name    string
			auth    string
			body    []byte
			hdr     []string
			want    int
			wantErr string
		}{
			{"no credential", "", good, nil, 401, "no_credential"},
			{"forged secret", "Bearer " + e.devA.DeviceID + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", good, nil, 401, "bad_credential"},
			{"other device's secret", "Bearer " + e.devA.DeviceID + "." + e.devB.Secret, good, nil, 401, "bad_credential"},
			{"unknown device", "Bearer dev-nope.secret", good, nil, 401, "bad_credential"},
			{"no dot", "Bearer " + e.devA.Secret, good, nil, 401, "bad_credential"},
			{"sql in device id", "Bearer x' OR '1'='1.y", good, nil, 401, "bad_credential"},
			{"basic auth", "Basic dXNlcjpwYXNz", good, nil, 401, "no_credential"},
			{"oversized", devAuth(e.devA), big, nil, 413, "too_large"},
			{"gzip bomb", devAuth(e.devA), bomb, []string{"Content-Encoding", "gzip"}, 413, "too_large"},
			{"not gzip", devAuth(e.devA), good, []string{"Content-Encoding", "gzip"}, 400, "bad_encoding"},
			{"brotli", devAuth(e.devA), good, []string{"Content-Encoding", "br"}, 415, "unsupported_encoding"},
			{"malformed", devAuth(e.devA), []byte(`{"records":[{"id":`), nil, 400, "bad_json"},
			{"unknown field", devAuth(e.devA), []byte(`{"records":[],"extra":1}`), nil, 400, "bad_json"},
			{"unknown record field", devAuth(e.devA), []byte(`{"records":[{"id":"x","evil":1}]}`), nil, 400, "bad_json"},
			{"trailing data", devAuth(e.devA), append(append([]byte{}, good...), []byte(`{}`)...), nil, 400, "bad_json"},
			{"no records", devAuth(e.devA), []byte(`{}`), nil, 400, "bad_batch"},
			{"array", devAuth(e.devA), []byte(`[]`), nil, 400, "bad_json"},
			{"too many records", devAuth(e.devA), manyRaw, nil, 400, "batch_too_long"},
		}
		for _, c := range cases {
			var er checkpoint.ErrorResponse
			code := e.do("POST", "/api/v1/batches", c.auth, c.body, &er, c.hdr...)
			if code != c.want || er.Error != c.wantErr || er.Message == "" {
				t.Errorf("%s: %d %+v; want %d %s with a message", c.name, code, er, c.want, c.wantErr)
			}
			if c.want == 400 && !strings.Contains(er.Message, "/") {
				t.Errorf("%s: message %q is not bilingual", c.name, er.Message)
			}
		}
		st := e.stats()
		if st.Checks != 0 {
			t.Fatalf("stored %d checks from refused requests", st.Checks)
		}
		if st.Counters[cntForged] != 5 || st.Counters[cntNoCredential] != 2 || st.Counters[cntTooLarge] != 2 {
			t.Fatalf("counters = %v", st.Counters)
		}
		if st.RejectedRequests != int64(len(cases)) {
			t.Fatalf("rejected_requests = %d; want %d", st.RejectedRequests, len(cases))
		}
	})
}

func TestHostileStrings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		hostile := []string{
			`'); DROP TABLE records; --`,
			`\" OR 1=1 --`,
			"\\u0000\\u0007 control \\u001b[31m red \\r\\n",
			strings.Repeat("长", 4000),
			`$1 $2 ? ?? :name @p1`,
			"\\ud800 lone surrogate escape",
		}
		var recs []checkpoint.Record
		for i, h := range hostile {
			r := rec(e.devA, "a", "scan-a")
			r.ID = fmt.Sprintf("hostile-%d-'?$1", i)
			r.Body = json.RawMessage(`{"remarks":"` + h + `"}`)
			recs = append(recs, r)
		}
		code, resp := e.push(e.devA, recs...)
		if code != 200 {
			t.Fatalf("push: %d", code)
		}
		for i, r := range recs {
			if resp.Results[i].Status != checkpoint.ResultStored {
				t.Errorf("hostile %d: %+v", i, resp.Results[i])
				continue
			}
			got, err := e.srv.db.Record(context.Background(), r.ID)
			if err != nil || !bytes.Equal(got.Body, r.Body) || got.ID != r.ID {
				t.Errorf("hostile %d: stored %q (%v); want %q", i, got.Body, err, r.Body)
			}
		}
		// Raw control characters are not JSON: refused, never stored.
		raw := []byte(`{"records":[{"id":"ctl","kind":"check","device_id":"` + e.devA.DeviceID + `","site_id":"a","staff_id":"scan-a","created_at":"2022-04-01T00:00:00Z","body":{"x":"` + "\x01\x1b" + `"}}]}`)
		var er checkpoint.ErrorResponse
		if code := e.do("POST", "/api/v1/batches", devAuth(e.devA), raw, &er); code != 400 {
			t.Fatalf("raw control characters: %d %+v; want 400", code, er)
		}
		if st := e.stats(); st.Checks != int64(len(hostile)) {
			t.Fatalf("checks = %d; want %d (the tables survived)", st.Checks, len(hostile))
		}
	})
}

// edit makes a site_edit record by staff at the device's site.
func edit(d checkpoint.EnrollResponse, staff string, s checkpoint.Site, created bool) checkpoint.Record {
	r := rec(d, "a", staff)
	r.Kind = checkpoint.KindSiteEdit
	s.Active, s.UpdatedAt = true, time.Now().UTC()
	if s.Address == "" {
		s.Address, s.Contact, s.Phone = "地址", "联系人", "0432-1"
	}
	b, _ := json.Marshal(checkpoint.SiteEdit{Site: s, Created: created})
	r.Body = b
	return r
}

// withBase returns r, a site_edit or staff_add, made from the given version of its row.
func withBase(r checkpoint.Record, base checkpoint.EditBase) checkpoint.Record {
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		panic(err)
	}
	m["base_revision"] = base.BaseRevision
	if base.BaseRecord != "" {
		m["base_record"] = base.BaseRecord
	}
	r.Body, _ = json.Marshal(m)
	return r
}

// staffAdd makes a staff_add record as a kiosk does: the new staff member's phone (one per
// staff id unless phone is given) sealed to HQ's key and the record's id.
func (e *env) staffAdd(d checkpoint.EnrollResponse, by string, s checkpoint.Staff, phone ...string) checkpoint.Record {
	e.t.Helper()
	r := rec(d, "a", by)
	r.Kind = checkpoint.KindStaffAdd
	s.PhoneLookup, s.NameMasked, s.Active, s.UpdatedAt = "kiosk-made-"+s.ID, "李*", true, time.Now().UTC()
	if s.PasswordHash == "" {
		s.PasswordHash = fakePHC
	}
	p := fmt.Sprintf("139%08d", crc32.ChecksumIEEE([]byte(s.ID))%100000000)
	if len(phone) > 0 {
		p = phone[0]
	}
	set, err := e.srv.settings(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	pub, _ := sealbox.ParseKey(set.HQSealKey)
	sealed, err := sealbox.Seal(pub, r.ID, checkpoint.Personal{Name: "李四", Phone: p})
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := json.Marshal(checkpoint.StaffAdd{Staff: s, Sealed: sealed})
	r.Body = b
	return r
}

func TestSiteEditAndStaffAdd(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		var before configAnswer
		e.do("GET", "/api/v1/config", devAuth(e.devA), nil, &before)
		vers := map[string]int64{}
		for _, d := range before.Datasets {
			vers[d.Name] = d.Version
		}
		recs := []checkpoint.Record{
			edit(e.devA, "sup-a", checkpoint.Site{ID: "a2", ParentID: "a", Name: "新卡点"}, true),                       // ok
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "scan-a2", Role: checkpoint.RoleScanner, SiteID: "a2"}), // ok: site from this batch
			rec(e.devA, "a2", "scan-a2"), // ok: both from this batch
			edit(e.devA, "sup-a", checkpoint.Site{ID: "a", ParentID: "b", Name: "A"}, false),                                                          // move own site
			edit(e.devA, "sup-a", checkpoint.Site{ID: "b", ParentID: "r", Name: "B!"}, false),                                                         // outside
			edit(e.devA, "sup-a", checkpoint.Site{ID: "a3", ParentID: "r", Name: "X"}, true),                                                          // parent outside
			withBase(edit(e.devA, "sup-a", checkpoint.Site{ID: "a1", ParentID: "a2", Name: "A1 moved"}, false), checkpoint.EditBase{BaseRevision: 1}), // ok: move within
			edit(e.devA, "scan-a", checkpoint.Site{ID: "a4", ParentID: "a", Name: "Y"}, true),                                                         // not supervisor
			edit(e.devA, "sup-a", checkpoint.Site{ID: "a5", ParentID: "a", Name: ""}, true),                                                           // invalid
			e.staffAdd(e.devA, "scan-a", checkpoint.Staff{ID: "s9", Role: checkpoint.RoleScanner, SiteID: "a"}),                                       // not supervisor
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "s10", Role: checkpoint.RoleScanner, SiteID: "b"}),                                       // site outside
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "scan-b", Role: checkpoint.RoleScanner, SiteID: "a"}),                                    // hijack
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "s11", Role: checkpoint.RoleSupervisor, SiteID: "a"}),                                    // role
			e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "s12", Role: checkpoint.RoleScanner, SiteID: "a", PasswordHash: "plaintext"}),
		}
		want := "stored,stored,stored,held(site_edit_not_allowed),held(site_edit_not_allowed),held(site_edit_not_allowed)," +
			"stored,held(not_supervisor),rejected(invalid_site),held(not_supervisor),held(staff_add_not_allowed)," +
			"held(staff_add_not_allowed),held(role_not_allowed),rejected(invalid_staff)"
		_, resp := e.push(e.devA, recs...)
		if got := statusesOf(resp); got != want {
			t.Fatalf("results:\n got %s\nwant %s", got, want)
		}
		var after configAnswer
		e.do("GET", fmt.Sprintf("/api/v1/config?trust=%d&revocations=%d&risk_areas=%d&settings=%d&sites=%d&staff=%d",
			vers["trust"], vers["revocations"], vers["risk_areas"], vers["settings"], vers["sites"], vers["staff"]), devAuth(e.devA), nil, &after)
		names := ""
		for _, d := range after.Datasets {
			names += d.Name + " "
			switch d.Name {
			case "sites":
				var sites []checkpoint.Site
				json.Unmarshal(d.Data, &sites)
				ids := ""
				for _, s := range sites {
					ids += s.ID + ":" + s.ParentID + " "
				}
				if ids != "a:r a1:a2 a2:a " {
					t.Errorf("sites after = %q", ids)
				}
			case "staff":
				var staff []checkpoint.Staff
				json.Unmarshal(d.Data, &staff)
				ids := ""
				for _, s := range staff {
					ids += s.ID + " "
				}
				if ids != "scan-a scan-a1 scan-a2 sup-a " {
					t.Errorf("staff after = %q", ids)
				}
			}
		}
		if names != "staff sites " {
			t.Fatalf("changed datasets = %q; want staff and sites", names)
		}
		// Device B sees none of it.
		var b configAnswer
		e.do("GET", "/api/v1/config", devAuth(e.devB), nil, &b)
		for _, d := range b.Datasets {
			if d.Name == "sites" && string(d.Data) != "" {
				var sites []checkpoint.Site
				json.Unmarshal(d.Data, &sites)
				if len(sites) != 1 || sites[0].ID != "b" {
					t.Errorf("device B sites = %s", d.Data)
				}
			}
		}
		// An edit made from the revision a1 had before the move is superseded, whatever its clock says.
		old := withBase(edit(e.devA, "sup-a", checkpoint.Site{ID: "a1", ParentID: "a", Name: "stale"}, false), checkpoint.EditBase{BaseRevision: 1})
		if _, resp := e.push(e.devA, old); statusesOf(resp) != "superseded(superseded)" {
			t.Fatalf("stale edit: %s", statusesOf(resp))
		}
		s, _ := e.srv.db.Site(context.Background(), "a1")
		if s.Name != "A1 moved" || s.Revision != 2 {
			t.Fatalf("stale edit applied: a1 = %+v", s)
		}
	})
}

// TestStaffAddPhones: HQ makes a kiosk-added account from the sealed phone (its own lookup
// value, not the kiosk's), refuses a phone another account has, in HQ or earlier in the batch,
// and refuses a sealed phone copied from another record.
func TestStaffAddPhones(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		ok := e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "n1", Role: checkpoint.RoleScanner, SiteID: "a"}, "13912340001")
		twin := e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "n2", Role: checkpoint.RoleScanner, SiteID: "a"}, "13912340001")
		swapped := e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "n3", Role: checkpoint.RoleScanner, SiteID: "a"}, "13912340003")
		var a, b checkpoint.StaffAdd
		json.Unmarshal(swapped.Body, &a)
		json.Unmarshal(ok.Body, &b)
		a.Sealed = b.Sealed // n1's box, moved into n3's record
		swapped.Body, _ = json.Marshal(a)
		_, resp := e.push(e.devA, ok, twin, swapped)
		if got, want := statusesOf(resp), "stored,held(phone_taken),rejected(invalid_staff)"; got != want {
			t.Fatalf("results:\n got %s\nwant %s", got, want)
		}
		if !strings.HasPrefix(resp.Results[1].Message, "该手机号已有工作人员账号") {
			t.Errorf("phone_taken message = %q; want Chinese first", resp.Results[1].Message)
		}
		later := e.staffAdd(e.devA, "sup-a", checkpoint.Staff{ID: "n4", Role: checkpoint.RoleScanner, SiteID: "a"}, "13912340001")
		if _, resp := e.push(e.devA, later); statusesOf(resp) != "held(phone_taken)" {
			t.Errorf("a later batch with the same phone: %s; want held(phone_taken)", statusesOf(resp))
		}
		all, _ := e.srv.db.AllStaff(context.Background())
		salt, _ := e.srv.staffSalt(context.Background())
		want, _ := passwd.PhoneLookup(salt, "13912340001")
		found := false
		for _, s := range all {
			if s.ID == "n1" {
				found = true
				if s.PhoneLookup != want || s.PhoneMasked != "139****0001" || s.PhoneHash == "" {
					t.Errorf("n1 at HQ = lookup %q masked %q hash %q; want HQ's lookup of the sealed phone", s.PhoneLookup, s.PhoneMasked, s.PhoneHash)
				}
			}
		}
		if !found {
			t.Fatal("n1 not in HQ's staff table")
		}
	})
}

func TestRateLimit(t *testing.T) {
	e := newEnv(t, "sqlite:"+t.TempDir()+"/hq.db", Config{DeviceRate: 0.5, DeviceBurst: 2})
	for i := range 2 {
		if code := e.do("GET", "/api/v1/config", devAuth(e.devA), nil, nil); code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	req, _ := http.NewRequest("GET", e.ts.URL+"/api/v1/config", nil)
	req.Header.Set("Authorization", devAuth(e.devA))
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("third request: %d Retry-After %q; want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another device has its own bucket.
	if code := e.do("GET", "/api/v1/config", devAuth(e.devB), nil, nil); code != 200 {
		t.Fatalf("device B: %d", code)
	}
}

// TestConcurrentRetries pushes the same batches from several goroutines at once (a kiosk
// retrying while its first push is still in flight): every record ends up stored exactly once
// and every answer is stored or duplicate.
func TestConcurrentRetries(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		var bodies [][]byte
		for range 4 {
			bodies = append(bodies, gzJSON(batch(e.devA, "a", "scan-a", 50)))
		}
		errs := make(chan error, 16)
		for g := range 4 {
			go func() {
				for i := range bodies {
					pr, err := pushRaw(e.client, e.ts.URL, devAuth(e.devA), bodies[(i+g)%len(bodies)])
					if err == nil {
						for _, r := range pr.Results {
							if !r.Done() {
								err = fmt.Errorf("record %s: %s %s", r.ID, r.Status, r.Error)
								break
							}
						}
					}
					errs <- err
				}
			}()
		}
		for range 16 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if st := e.stats(); st.Checks != 200 || st.Conflicts != 0 {
			t.Fatalf("stats = %+v; want 200 checks, no conflicts", st)
		}
	})
}
