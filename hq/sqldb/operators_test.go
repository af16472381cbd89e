package sqldb

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// TestOperators: create, setup, one use of a TOTP step, sessions' idle and absolute ends.
func TestOperators(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
			o := Operator{Name: "wang", Role: "health", SetupHash: "h1", SetupUntil: now.Add(24 * time.Hour), Active: true, CreatedAt: now, UpdatedAt: now}
			if err := d.CreateOperator(ctx, o); err != nil {
				t.Fatal(err)
			}
			if err := d.CreateOperator(ctx, o); !errors.Is(err, ErrOperatorExists) {
				t.Fatalf("second create: %v; want ErrOperatorExists", err)
			}
			got, err := d.OperatorBySetup(ctx, "h1")
			if err != nil || got.Name != "wang" || got.Role != "health" || !got.SetupUntil.Equal(o.SetupUntil) || got.TOTPConfirmed {
				t.Fatalf("by setup = %+v, %v", got, err)
			}
			if _, err := d.OperatorBySetup(ctx, ""); !errors.Is(err, ErrNotFound) {
				t.Fatalf("empty setup hash found an operator: %v", err)
			}
			if err := d.SetOperatorTOTPSecret(ctx, "wang", "h1", "SECRET", now); err != nil {
				t.Fatal(err)
			}
			if err := d.FinishOperatorSetup(ctx, "wang", "h1", "OTHER", "phc", 100, now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("finish with another secret: %v", err)
			}
			if err := d.FinishOperatorSetup(ctx, "wang", "h1", "SECRET", "phc", 100, now); err != nil {
				t.Fatal(err)
			}
			if err := d.FinishOperatorSetup(ctx, "wang", "h1", "SECRET", "phc2", 100, now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("setup token used twice: %v", err)
			}
			got, _ = d.Operator(ctx, "wang")
			if got.PasswordHash != "phc" || !got.TOTPConfirmed || got.TOTPLastStep != 100 || got.SetupHash != "" {
				t.Fatalf("after setup: %+v", got)
			}
			if ok, err := d.UseOperatorTOTPStep(ctx, "wang", 100); err != nil || ok {
				t.Fatalf("the setup's step used again: %v %v", ok, err)
			}
			// Concurrent logins with one code: one wins.
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ok, err := d.UseOperatorTOTPStep(ctx, "wang", 101)
					if err != nil {
						t.Error(err)
					}
					if ok {
						mu.Lock()
						wins++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if wins != 1 {
				t.Fatalf("%d logins accepted one step; want 1", wins)
			}
			s := OperatorSession{TokenHash: "t1", Operator: "wang", CreatedAt: now, SeenAt: now, IdleUntil: now.Add(15 * time.Minute), MaxUntil: now.Add(8 * time.Hour)}
			if err := d.CreateOperatorSession(ctx, s); err != nil {
				t.Fatal(err)
			}
			if p, err := d.PeekOperatorSession(ctx, "t1", now.Add(time.Minute)); err != nil || !p.IdleUntil.Equal(s.IdleUntil) {
				t.Fatalf("peek = %+v, %v", p, err)
			}
			if _, err := d.PeekOperatorSession(ctx, "t1", now.Add(15*time.Minute)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("peek past the idle end: %v", err)
			}
			at := now.Add(10 * time.Minute)
			se, err := d.TouchOperatorSession(ctx, "t1", at, at.Add(15*time.Minute))
			if err != nil || se.Operator != "wang" || !se.IdleUntil.Equal(at.Add(15*time.Minute)) {
				t.Fatalf("touch = %+v, %v", se, err)
			}
			if _, err := d.TouchOperatorSession(ctx, "t1", at.Add(16*time.Minute), at.Add(31*time.Minute)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("idle session still alive: %v", err)
			}
			s2 := OperatorSession{TokenHash: "t2", Operator: "wang", CreatedAt: now, SeenAt: now, IdleUntil: now.Add(15 * time.Minute), MaxUntil: now.Add(8 * time.Hour)}
			if err := d.CreateOperatorSession(ctx, s2); err != nil {
				t.Fatal(err)
			}
			if err := d.SetOperatorRole(ctx, "wang", "ops", now); err != nil {
				t.Fatal(err)
			}
			if err := d.SetOperatorActive(ctx, "wang", false, now); err != nil {
				t.Fatal(err)
			}
			if _, err := d.PeekOperatorSession(ctx, "t2", now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("a disabled operator's session lives: %v", err)
			}
			if got, _ := d.Operator(ctx, "wang"); got.Active || got.Role != "ops" {
				t.Fatalf("after disable: %+v", got)
			}
			if err := d.SetOperatorActive(ctx, "nobody", true, now); !errors.Is(err, ErrNotFound) {
				t.Fatalf("enable nobody: %v", err)
			}
			if err := d.ResetOperator(ctx, "wang", "h2", now.Add(48*time.Hour), now); err != nil {
				t.Fatal(err)
			}
			got, _ = d.Operator(ctx, "wang")
			if got.PasswordHash != "" || got.TOTPConfirmed || got.SetupHash != "h2" {
				t.Fatalf("after reset: %+v", got)
			}
		})
	}
}

// TestAuditLog: entries come back newest first, paged, with phone and ID numbers masked.
func TestAuditLog(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			base := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
			for i := range 7 {
				_, err := d.AppendAudit(ctx, AuditEntry{At: base.Add(time.Duration(i) * time.Second), Operator: "wang", Role: "admin",
					Action: "risk.put", Object: "220100", Before: `{"id_number":"22022119900101123X","phone":"13812345678"}`,
					After: `{"n":` + string(rune('0'+i)) + `}`, ClientAddr: "10.0.0.7"})
				if err != nil {
					t.Fatal(err)
				}
			}
			page, err := d.Audit(ctx, 2, 3)
			if err != nil || len(page) != 3 {
				t.Fatalf("page = %d entries, %v", len(page), err)
			}
			if page[0].After != `{"n":4}` || page[2].After != `{"n":2}` || !page[0].At.Equal(base.Add(4*time.Second)) {
				t.Fatalf("page not newest first: %+v", page)
			}
			if strings.Contains(page[0].Before, "19900101") || strings.Contains(page[0].Before, "13812345678") ||
				!strings.Contains(page[0].Before, "220221********123X") || !strings.Contains(page[0].Before, "138****5678") {
				t.Fatalf("not masked: %s", page[0].Before)
			}
			if page[0].ClientAddr != "10.0.0.7" {
				t.Fatalf("address = %q", page[0].ClientAddr)
			}
			var all []AuditEntry
			if err := d.AuditEach(ctx, func(e AuditEntry) error { all = append(all, e); return nil }); err != nil || len(all) != 7 {
				t.Fatalf("each = %d, %v", len(all), err)
			}
			if n, err := d.AuditCount(ctx); err != nil || n != 7 {
				t.Fatalf("count = %d, %v", n, err)
			}
		})
	}
}

func TestMaskPersonal(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":            "138****5678",
		"id 220221199001011234.": "id 220221********1234.",
		"device 123456789012345": "device 123456789012345", // 15 digits: not a phone, not an ID
		"23812345678":            "23812345678",
	} {
		if got := MaskPersonal(in); got != want {
			t.Errorf("MaskPersonal(%q) = %q; want %q", in, got, want)
		}
	}
}

// TestAuditAppendOnly: the database itself refuses to change or delete an audit row (and, on
// PostgreSQL, to truncate the table); the row is still there, unchanged, and appending works.
func TestAuditAppendOnly(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
			e, err := d.AppendAudit(ctx, AuditEntry{At: at, Operator: "wang", Role: "admin", Action: "risk.put", Object: "220100", After: `{"level":"high"}`})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{
				`UPDATE audit_log SET operator = 'someone-else' WHERE id = ` + map[bool]string{true: "$1", false: "?"}[d.pg],
				`DELETE FROM audit_log WHERE id = ` + map[bool]string{true: "$1", false: "?"}[d.pg],
			} {
				_, err := d.SQL().ExecContext(ctx, s, e.ID)
				if err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Errorf("%s: %v; want refused as append-only", s, err)
				}
			}
			if _, err := d.SQL().ExecContext(ctx, `DELETE FROM audit_log`); err == nil {
				t.Error("DELETE of every row allowed")
			}
			if d.pg {
				if _, err := d.SQL().ExecContext(ctx, `TRUNCATE audit_log`); err == nil {
					t.Error("TRUNCATE allowed")
				}
			}
			page, err := d.Audit(ctx, 0, 10)
			if err != nil || len(page) != 1 || page[0].Operator != "wang" || page[0].ID != e.ID {
				t.Fatalf("after the refused changes: %+v, %v", page, err)
			}
			if _, err := d.AppendAudit(ctx, AuditEntry{At: at.Add(time.Second), Operator: "li", Role: "ops", Action: "site.put", Object: "s1"}); err != nil {
				t.Fatalf("append after the refused changes: %v", err)
			}
			if n, _ := d.AuditCount(ctx); n != 2 {
				t.Fatalf("count = %d; want 2", n)
			}
		})
	}
}
