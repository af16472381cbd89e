package sqldb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

func TestErrorClassification(t *testing.T) {
	wrap := func(e *pgconn.PgError) error { return fmt.Errorf("sqldb: ingest: copy into records: %w", e) }
	// The exact error Citus 13.2 returns for a duplicate id in a COPY into a distributed table.
	citusDup := wrap(&pgconn.PgError{Severity: "ERROR", Code: "XX000",
		Message: `duplicate key value violates unique constraint "records_pkey_102008"`,
		Detail:  "Key (id)=(0197a5f2-0000-7000-8000-000000000001) already exists."})
	for _, tt := range []struct {
		name                     string
		err                      error
		unique, retry, recordBad bool
	}{
		{"postgres duplicate", wrap(&pgconn.PgError{Code: "23505", Message: "duplicate key value violates unique constraint \"records_pkey\""}), true, false, false},
		{"citus duplicate (XX000)", citusDup, true, false, false},
		{"other internal error", wrap(&pgconn.PgError{Code: "XX000", Message: "could not connect to worker"}), false, false, false},
		{"deadlock", wrap(&pgconn.PgError{Code: "40P01", Message: "deadlock detected"}), false, true, false},
		{"citus distributed deadlock", wrap(&pgconn.PgError{Code: "40P01", Message: "canceling the transaction since it was involved in a distributed deadlock"}), false, true, false},
		{"serialization (CockroachDB restart)", wrap(&pgconn.PgError{Code: "40001", Message: "restart transaction: TransactionRetryWithProtoRefreshError"}), false, true, false},
		{"NUL byte in text", wrap(&pgconn.PgError{Code: "22021", Message: "invalid byte sequence for encoding \"UTF8\": 0x00"}), false, false, true},
		{"untranslatable escape", wrap(&pgconn.PgError{Code: "22P05", Message: "unsupported Unicode escape sequence"}), false, false, true},
		{"not null", wrap(&pgconn.PgError{Code: "23502"}), false, false, true},
		{"index row too large", wrap(&pgconn.PgError{Code: "54000"}), false, false, true},
		{"connection lost", errors.New("unexpected EOF"), false, false, false},
		{"canceled", context.Canceled, false, false, false},
	} {
		if got := uniqueViolation(tt.err); got != tt.unique {
			t.Errorf("%s: uniqueViolation = %v; want %v", tt.name, got, tt.unique)
		}
		if got := retryable(tt.err); got != tt.retry {
			t.Errorf("%s: retryable = %v; want %v", tt.name, got, tt.retry)
		}
		if got := recordSpecific(tt.err); got != tt.recordBad {
			t.Errorf("%s: recordSpecific = %v; want %v", tt.name, got, tt.recordBad)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	deadlock := &pgconn.PgError{Code: "40P01", Message: "deadlock detected"}

	// Many more conflicts than three fixed tries would survive, then success: retried.
	n := 0
	err := retry(context.Background(), func() error {
		if n++; n < 8 {
			return deadlock
		}
		return nil
	})
	if err != nil || n != 8 {
		t.Errorf("retry over 7 deadlocks = %v after %d attempts; want success on the 8th", err, n)
	}

	// Not retryable: one attempt.
	n = 0
	bad := errors.New("boom")
	if err := retry(context.Background(), func() error { n++; return bad }); !errors.Is(err, bad) || n != 1 {
		t.Errorf("retry of a plain error = %v after %d attempts; want it back after 1", err, n)
	}

	// Always conflicting: stops within the deadline, with the last error.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	n = 0
	err = retry(ctx, func() error { n++; return deadlock })
	if !retryable(err) || time.Since(start) > 400*time.Millisecond || n < 4 {
		t.Errorf("retry under a 300 ms deadline = %v after %d attempts in %v; want the deadlock back within the deadline", err, n, time.Since(start))
	}

	// The waits are jittered: two runs of the same schedule do not sleep the same total.
	var totals []time.Duration
	for range 2 {
		n = 0
		s := time.Now()
		retry(context.Background(), func() error {
			if n++; n < 6 {
				return deadlock
			}
			return nil
		})
		totals = append(totals, time.Since(s))
	}
	if totals[0] == totals[1] {
		t.Errorf("two retry schedules took exactly %v; want jitter", totals[0])
	}
}

// A record whose data the database refuses (here: PostgreSQL refusing it by a trigger raising
// 22021, the SQLSTATE of a NUL byte in text) is answered rejected; the rest of its batch is
// stored, on the COPY path and on the fallback.
func TestPoisonRecordDoesNotFailItsBatch(t *testing.T) {
	for _, staged := range []bool{false, true} {
		t.Run(fmt.Sprintf("staged=%v", staged), func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, dbtest.PostgresDSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			d.forceStaged = staged
			for _, q := range []string{
				`CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
					IF NEW.id LIKE 'poison%' THEN RAISE EXCEPTION 'invalid byte sequence for encoding "UTF8": 0x00' USING ERRCODE = '22021'; END IF;
					RETURN NEW; END $$`,
				`CREATE TRIGGER poison BEFORE INSERT ON records FOR EACH ROW EXECUTE FUNCTION poison()`,
			} {
				if _, err := d.SQL().ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			now := time.Now()
			var recs []checkpoint.Record
			var want []string
			for i := range 20 {
				id, res := fmt.Sprintf("r-%02d", i), checkpoint.ResultStored
				if i == 7 || i == 13 {
					id, res = fmt.Sprintf("poison-%02d", i), checkpoint.ResultRejected
				}
				recs = append(recs, checkpoint.Record{ID: id, Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s", StaffID: "st", CreatedAt: now, Body: []byte(`{}`)})
				want = append(want, res)
			}
			got, err := d.Ingest(ctx, recs, now)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("Ingest with 2 poison records = %v, %v; want %v", got, err, want)
			}
			counts, err := d.CountRecords(ctx)
			if err != nil || counts[checkpoint.KindCheck] != 18 {
				t.Errorf("HQ holds %v (%v); want the 18 good records", counts, err)
			}
			// Sent again: the good ones are duplicates, the poison still rejected, no error.
			got, err = d.Ingest(ctx, recs, now)
			want2 := slices.Clone(want)
			for i, w := range want2 {
				if w == checkpoint.ResultStored {
					want2[i] = checkpoint.ResultDuplicate
				}
			}
			if err != nil || !slices.Equal(got, want2) {
				t.Errorf("second Ingest = %v, %v; want %v", got, err, want2)
			}
		})
	}
}
