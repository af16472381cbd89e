package hq

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// FuzzBatch feeds arbitrary bytes to the batch decoder and the authorisation rules: they must
// never panic, and a record they accept must pass Record.Validate and stay inside the device's
// subtree.
func FuzzBatch(f *testing.F) {
	f.Add([]byte(`{"records":[{"id":"1","kind":"check","device_id":"d","site_id":"a","staff_id":"scan-a","created_at":"2022-04-01T00:00:00Z","body":{}}]}`))
	f.Add([]byte(`{"records":[{"id":"2","kind":"site_edit","device_id":"d","site_id":"a","staff_id":"sup-a","created_at":"2022-04-01T00:00:00Z","body":{"site":{"id":"x","parent_id":"a","name":"n","address":"a","contact":"c","phone":"1"}}}]}`))
	f.Add([]byte(`{"records":[{"id":"3","kind":"staff_add","device_id":"d","site_id":"a","staff_id":"sup-a","created_at":"2022-04-01T00:00:00Z","body":{"staff":{"id":"s","role":"scanner","site_id":"a1","phone_lookup":"h","password_hash":"$argon2id$"}}}]}`))
	f.Add([]byte(`{"records":null}`))
	f.Add([]byte(`[]`))
	sn := &snapshot{parent: map[string]string{"r": "", "a": "r", "a1": "a", "b": "r", "loop1": "loop2", "loop2": "loop1"},
		staff: map[string]checkpoint.Staff{
			"sup-a":  {ID: "sup-a", Role: checkpoint.RoleSupervisor, SiteID: "a"},
			"scan-a": {ID: "scan-a", Role: checkpoint.RoleScanner, SiteID: "a"},
			"scan-b": {ID: "scan-b", Role: checkpoint.RoleScanner, SiteID: "b"},
		}}
	dev := sqldb.Device{ID: "d", SiteID: "a"}
	f.Fuzz(func(t *testing.T, data []byte) {
		req, err := decodeBatch(data)
		if err != nil {
			return
		}
		v := &batchView{sn: sn, parent: map[string]string{}, staff: map[string]checkpoint.Staff{}}
		for _, r := range req.Records {
			if authorize(dev, v, r, func(checkpoint.Record, checkpoint.StaffAdd) *rejection { return nil }) != nil {
				continue
			}
			if err := r.Validate(); err != nil {
				t.Fatalf("accepted an invalid record: %v", err)
			}
			if !under(v.parentOf, r.SiteID, "a") || r.DeviceID != "d" {
				t.Fatalf("accepted a record outside the device's subtree: %+v", r)
			}
			if r.Kind == checkpoint.KindSiteEdit {
				var e checkpoint.SiteEdit
				json.Unmarshal(r.Body, &e)
				if !under(v.parentOf, e.Site.ID, "a") {
					t.Fatalf("site edit escaped the subtree: %+v", e.Site)
				}
			}
		}
	})
}

// FuzzFastBatch checks that the fast batch decoder, whenever it takes an input, gives exactly
// what encoding/json gives, and only well-formed bodies.
func FuzzFastBatch(f *testing.F) {
	for _, s := range fastBatchCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastBatch(t, data)
	})
}

var fastBatchCases = []string{
	`{"records":[{"id":"1","kind":"check","device_id":"d","site_id":"a","staff_id":"scan-a","created_at":"2022-04-01T00:00:00Z","body":{}}]}`,
	` { "records" : [ { "id" : "1" , "body" : {"a":[1,-2.5e+3,true,false,null,"x\"\u00e9y"],"b":{}} } , {} ] } ` + "\n",
	`{"records":[{"id":"1","created_at":"2022-04-01T08:00:00.123456789+08:00","body":{"s":"张三\\"}}]}`,
	`{"records":[]}`,
	`{"records":null}`,
	`{"records":[{"ID":"1"}]}`,
	`{"records":[{"id":"1","id":"2"}]}`,
	`{"records":[{"id":"\u0031"}]}`,
	`{"records":[{"id":"1","body":null}]}`,
	`{"records":[{"id":"1","body":[1]}]}`,
	`{"records":[{"id":"1","body":{"a":01}}]}`,
	`{"records":[{"id":"1","body":{"a":1.}}]}`,
	`{"records":[{"id":"1","body":{"a":"\x"}}]}`,
	`{"records":[{"id":1}]}`,
	`{"records":[{"created_at":""}]}`,
	`{"records":[{"evil":1}]}`,
	`{"records":[]} {}`,
	`{"records":[]}]`,
	`{"records":[],"records":[]}`,
	`[]`,
}

func checkFastBatch(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := fastBatch(data)
	if !ok {
		return
	}
	std, err := decodeBatchStd(data)
	if err != nil {
		t.Fatalf("fastBatch(%q) took an input encoding/json refuses: %v", data, err)
	}
	if fast.Records == nil || len(fast.Records) != len(std.Records) {
		t.Fatalf("fastBatch(%q) = %d records; encoding/json %d", data, len(fast.Records), len(std.Records))
	}
	for i, f := range fast.Records {
		s := std.Records[i]
		if !bytes.Equal(f.Body, s.Body) || len(f.Body) > 0 && !json.Valid(f.Body) {
			t.Fatalf("fastBatch(%q) record %d body %q; encoding/json %q", data, i, f.Body, s.Body)
		}
		f.Body, s.Body = nil, nil
		if !reflect.DeepEqual(f, s) {
			t.Fatalf("fastBatch(%q) record %d = %+v; encoding/json %+v", data, i, f, s)
		}
	}
}

func TestFastBatch(t *testing.T) {
	took := 0
	for _, s := range fastBatchCases {
		if _, ok := fastBatch([]byte(s)); ok {
			took++
		}
		checkFastBatch(t, []byte(s))
	}
	if took < 4 {
		t.Errorf("fastBatch took %d of the common cases; want at least 4", took)
	}
	// What a kiosk sends must take the fast path.
	d := checkpoint.EnrollResponse{DeviceID: "dev-1"}
	b, _ := json.Marshal(batch(d, "a", "scan-a", 3))
	if _, ok := fastBatch(b); !ok {
		t.Errorf("fastBatch refused a kiosk batch: %s", b)
	}
	checkFastBatch(t, b)
}
