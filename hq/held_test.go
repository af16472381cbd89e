package hq

import (
	"context"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// A record HQ stored whose answer was lost is sent again. Meanwhile the roster changed (the
// scanner moved to another site): the resend must be acknowledged as a duplicate, not refused,
// or the kiosk's only copy would go to quarantine for a record HQ already has.
func TestDuplicateBeforeAuthorization(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn, Config{})
		r := rec(e.devA, "a", "scan-a")
		if _, resp := e.push(e.devA, r); statusesOf(resp) != checkpoint.ResultStored {
			t.Fatalf("first push: %s", statusesOf(resp))
		}
		ctx := context.Background()
		moved := checkpoint.Staff{ID: "scan-a", Role: checkpoint.RoleScanner, SiteID: "b", PhoneLookup: "pl-scan-a",
			NameMasked: "张*", PasswordHash: fakePHC, Active: true, UpdatedAt: time.Now().UTC().Add(-3 * time.Hour)}
		if err := e.srv.db.PutStaff(ctx, sqldb.StaffAccount{Staff: moved, PhoneHash: "ph-scan-a", PhoneMasked: "138****0000"}); err != nil {
			t.Fatal(err)
		}
		if _, resp := e.push(e.devA, r); statusesOf(resp) != checkpoint.ResultDuplicate {
			t.Errorf("resend after the roster changed: %s; want duplicate", statusesOf(resp))
		}
		// A new record by the scanner, moved 3 h before it was made (outside its judging window),
		// is held, with its reason, not bounced.
		r2 := rec(e.devA, "a", "scan-a")
		if _, resp := e.push(e.devA, r2); statusesOf(resp) != "held(staff_not_allowed)" {
			t.Errorf("new record by the moved scanner: %s; want held(staff_not_allowed)", statusesOf(resp))
		}
		held, err := e.srv.db.Held(ctx, "", 10)
		if err != nil || len(held) != 1 || held[0].ID != r2.ID || held[0].Reason != "staff_not_allowed" || held[0].StaffID != "scan-a" {
			t.Errorf("Held = %+v, %v; want the one new record with its reason", held, err)
		}
	})
}
