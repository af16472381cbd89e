package hq

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// TestAdminAudit: the admin API's changes land in the audit log as "admin-token", with the
// state before and after; a refused request writes nothing; ID numbers are masked.
func TestAdminAudit(t *testing.T) {
	e := newEnv(t, dbtest.SQLiteDSN(t), Config{})
	auth := "Bearer " + testAdmin
	ctx := context.Background()
	first := []map[string]string{{"code": "220100", "level": "high", "from": "2022-03-01"}}
	if st := e.do("PUT", "/api/v1/admin/risk-areas", auth, first, nil); st != http.StatusOK {
		t.Fatalf("put risk: %d", st)
	}
	second := []map[string]string{{"code": "220100", "level": "medium", "from": "2022-03-01", "to": "2022-04-30"}}
	if st := e.do("PUT", "/api/v1/admin/risk-areas", auth, second, nil); st != http.StatusOK {
		t.Fatalf("put risk: %d", st)
	}
	if st := e.do("PUT", "/api/v1/admin/risk-areas", auth, []byte(`[{"code":"x"}]`), nil); st != http.StatusBadRequest {
		t.Fatalf("bad risk list: %d", st)
	}
	if st := e.do("POST", "/api/v1/admin/devices/"+e.devA.DeviceID+"/revoke", auth, nil, nil); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	var key checkpoint.TrustedKey
	if st := e.do("POST", "/api/v1/admin/keys", auth, NewKeyRequest{}, &key); st != http.StatusCreated {
		t.Fatalf("new key: %d", st)
	}
	var issued IssueResponse
	if st := e.do("POST", "/api/v1/codes", auth, IssueRequest{Name: "张三", IDNumber: "220221199001011233"}, &issued); st != http.StatusOK {
		t.Fatalf("issue: %d", st)
	}
	if st := e.do("POST", "/api/v1/admin/people/status", auth, PersonStatusRequest{IDNumber: "220221199001011233", Status: "red", Reason: "密接"}, nil); st != http.StatusOK {
		t.Fatalf("status: %d", st)
	}
	days := 30
	if st := e.do("PUT", "/api/v1/admin/settings", auth, SettingsRequest{RetentionDays: &days}, nil); st != http.StatusOK {
		t.Fatalf("settings: %d", st)
	}
	bad := 0
	if st := e.do("PUT", "/api/v1/admin/settings", auth, SettingsRequest{RetentionDays: &bad}, nil); st != http.StatusBadRequest {
		t.Fatalf("bad settings: %d", st)
	}
	log, err := e.srv.db.Audit(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Action)
		if a.Operator != AuditAdminToken || a.Role != "admin" || a.ClientAddr != "127.0.0.1" {
			t.Errorf("entry %s: operator %q role %q addr %q", a.Action, a.Operator, a.Role, a.ClientAddr)
		}
		if strings.Contains(a.Before+a.After+a.Object, "19900101") || strings.Contains(a.Before+a.After, "张三") {
			t.Errorf("entry %s holds personal data: %s → %s", a.Action, a.Before, a.After)
		}
	}
	want := []string{AuditSettingsPut, AuditPersonStatus, AuditKeyCreate, AuditDeviceRevoke, AuditRiskAreasPut, AuditRiskAreasPut}
	if strings.Join(actions, ",") != strings.Join(want, ",") {
		t.Fatalf("actions (newest first) = %v; want %v", actions, want)
	}
	risk := log[4]
	var before, after []map[string]string
	if err := json.Unmarshal([]byte(risk.Before), &before); err != nil || len(before) != 1 || before[0]["level"] != "high" {
		t.Fatalf("risk before = %s (%v)", risk.Before, err)
	}
	if err := json.Unmarshal([]byte(risk.After), &after); err != nil || len(after) != 1 || after[0]["level"] != "medium" || after[0]["to"] != "2022-04-30" {
		t.Fatalf("risk after = %s (%v)", risk.After, err)
	}
	if log[5].Before != "" && log[5].Before != "[]" {
		t.Errorf("first risk put's before = %q; want none", log[5].Before)
	}
	if !strings.Contains(log[1].Before, `"green"`) || !strings.Contains(log[1].After, `"red"`) || log[1].Object != issued.PersonID {
		t.Errorf("person status entry = %+v", log[1])
	}
	if !strings.Contains(log[0].Before, `"retention_days"`) || !strings.Contains(log[0].After, `"retention_days":30`) {
		t.Errorf("settings entry = %s → %s", log[0].Before, log[0].After)
	}
}
