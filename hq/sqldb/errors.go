package sqldb

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// How HQ tells apart what a PostgreSQL-wire engine reports. Plain PostgreSQL gives every error
// its SQLSTATE; Citus re-raises some of its workers' errors as XX000 (internal_error) with the
// worker's message, so a duplicate key from a COPY into a distributed table arrives as
//
//	ERROR:  duplicate key value violates unique constraint "records_pkey_102008" (SQLSTATE XX000)
//
// and is recognised by its message as well.

// pgCode returns err's SQLSTATE and message when a PostgreSQL server reported it.
func pgCode(err error) (code, msg string, ok bool) {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return "", "", false
	}
	return pe.Code, pe.Message, true
}

// uniqueViolation reports a duplicate key: unique_violation (23505), or the same error relayed
// by Citus as XX000.
func uniqueViolation(err error) bool {
	code, msg, ok := pgCode(err)
	return ok && (code == "23505" || code == "XX000" && strings.Contains(msg, "duplicate key value violates unique constraint"))
}

// retryable reports a conflict between transactions that a fresh attempt may not meet again:
// serialization failure (40001, CockroachDB's "restart transaction" too), deadlock (40P01,
// including Citus' distributed deadlock), and Citus' relayed XX000 deadlock.
func retryable(err error) bool {
	code, msg, ok := pgCode(err)
	return ok && (code == "40001" || code == "40P01" || code == "XX000" && strings.Contains(msg, "deadlock"))
}

// recordSpecific reports an error caused by the data of some row rather than by the database
// or the connection: data exceptions (class 22: a NUL byte in text is 22021), integrity
// violations other than a duplicate key (class 23), and program limits (class 54: a value too
// large for an index). Ingest answers such a record "rejected" instead of failing its batch.
func recordSpecific(err error) bool {
	code, _, ok := pgCode(err)
	if !ok || len(code) != 5 || uniqueViolation(err) {
		return false
	}
	switch code[:2] {
	case "22", "23", "54":
		return true
	}
	return false
}

// Retry policy for retryable transactions: jittered exponential waits from retryMin up to
// retryMax between attempts, for as long as the context allows, or retryBudget when it sets no
// deadline. A kiosk's batch request has a deadline of its own, so overlapping pushes from many
// kiosks keep trying within it instead of failing after a fixed number of tries.
const (
	retryMin    = 5 * time.Millisecond
	retryMax    = 500 * time.Millisecond
	retryBudget = 15 * time.Second
)

// retry runs attempt until it succeeds, fails with an error that is not retryable, or the next
// wait would pass the deadline; it returns the last error.
func retry(ctx context.Context, attempt func() error) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(retryBudget)
	}
	wait := retryMin
	for {
		err := attempt()
		if err == nil || !retryable(err) {
			return err
		}
		// Full jitter: anywhere in [wait/2, wait), so colliding writers spread out.
		d := wait/2 + rand.N(wait/2+1)
		if time.Now().Add(d).After(deadline) {
			return err
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		wait = min(2*wait, retryMax)
	}
}
