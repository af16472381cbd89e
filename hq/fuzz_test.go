package hq

import (
	"encoding/json"
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
	f.Add([]byte(`{"records":[{"id":"3","kind":"staff_add","device_id":"d","site_id":"a","staff_id":"sup-a","created_at":"2022-04-01T00:00:00Z","body":{"staff":{"id":"s","role":"scanner","site_id":"a1","phone_hash":"h","password_hash":"$argon2id$"}}}]}`))
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
			if authorize(dev, v, r) != nil {
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
