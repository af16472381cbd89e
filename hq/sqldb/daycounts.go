package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
)

// day_counts holds, per site and day (China time, of when the record was made), how many
// checks, 劝返, 复核, fevers and registrations HQ received — and under day TotalDay the same
// since the beginning. Ingest adds a batch's newly stored records to them in the transaction
// that stores the records, one UPSERT for the batch, so a resent batch (its records
// duplicates) adds nothing. 总览 reads these rows instead of scanning records.

// Day counters.
const (
	CountChecks        = "checks"
	CountTurnedBack    = "turned_back" // verdict turn_back (劝返)
	CountReview        = "review"      // verdict refer (复核)
	CountFever         = "fever"       // temperature at or above the fever threshold, or the fever reason
	CountRegistrations = "registrations"
)

// TotalDay is the day of the rows that count every day.
const TotalDay = "all"

// DayFormat is how day_counts writes a day.
const DayFormat = "2006-01-02"

type feverKey struct{}

// WithFeverThreshold returns ctx carrying HQ's fever threshold, by which Ingest counts fevers
// (without it, checkpoint.DefaultConfig's).
func WithFeverThreshold(ctx context.Context, c checkpoint.Celsius) context.Context {
	return context.WithValue(ctx, feverKey{}, c.Tenths())
}

func feverTenths(ctx context.Context) int {
	if t, ok := ctx.Value(feverKey{}).(int); ok && t > 0 {
		return t
	}
	return checkpoint.DefaultConfig().FeverC.Tenths()
}

// checkCounts is the part of a check's body the day counters read.
type checkCounts struct {
	Verdict    string   `json:"verdict"`
	Reasons    []string `json:"reasons"`
	TempTenths int      `json:"temp_tenths"`
}

// DayCounters names the counters record r adds one to, fever from fever (tenths of °C).
func DayCounters(r checkpoint.Record, fever int) []string {
	switch r.Kind {
	case checkpoint.KindRegistration:
		return []string{CountRegistrations}
	case checkpoint.KindCheck:
	default:
		return nil
	}
	out := []string{CountChecks}
	var b checkCounts
	if json.Unmarshal(r.Body, &b) != nil {
		return out
	}
	switch checkpoint.Outcome(b.Verdict) {
	case checkpoint.OutcomeTurnBack:
		out = append(out, CountTurnedBack)
	case checkpoint.OutcomeRefer:
		out = append(out, CountReview)
	}
	if (b.TempTenths > 0 && b.TempTenths >= fever) || slices.Contains(b.Reasons, string(checkpoint.ReasonFever)) {
		out = append(out, CountFever)
	}
	return out
}

// dayKey is one day_counts row.
type dayKey struct{ site, day, counter string }

type dayTally map[dayKey]int64

func (t dayTally) add(r checkpoint.Record, fever int) {
	cs := DayCounters(r, fever)
	if len(cs) == 0 {
		return
	}
	day := r.CreatedAt.In(checkpoint.ChinaTime).Format(DayFormat)
	for _, c := range cs {
		t[dayKey{r.SiteID, day, c}]++
		t[dayKey{r.SiteID, TotalDay, c}]++
	}
}

// write adds the tally to day_counts inside tx, in key order (so that two batches never wait on
// each other's rows in opposite orders), at most insertChunk rows a statement.
func (d *DB) writeTally(ctx context.Context, tx *sql.Tx, t dayTally) error {
	if len(t) == 0 {
		return nil
	}
	keys := make([]dayKey, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b dayKey) int {
		if c := strings.Compare(a.site, b.site); c != 0 {
			return c
		}
		if c := strings.Compare(a.day, b.day); c != 0 {
			return c
		}
		return strings.Compare(a.counter, b.counter)
	})
	for start := 0; start < len(keys); start += insertChunk {
		part := keys[start:min(start+insertChunk, len(keys))]
		args := make([]any, 0, 4*len(part))
		for _, k := range part {
			args = append(args, k.site, k.day, k.counter, t[k])
		}
		q := `INSERT INTO day_counts (site_id, day, counter, n) VALUES ` + d.placeholders(len(part), 4, 0) +
			` ON CONFLICT (site_id, day, counter) DO UPDATE SET n = day_counts.n + excluded.n`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("day counts: %w", err)
		}
	}
	return nil
}

// countStored adds the records ingest stored (outcome stored or held) to day_counts.
func (d *DB) countStored(ctx context.Context, tx *sql.Tx, recs []checkpoint.Record, out []string) error {
	fever := feverTenths(ctx)
	t := dayTally{}
	for i, r := range recs {
		if out[i] == checkpoint.ResultStored || out[i] == checkpoint.ResultHeld {
			t.add(r, fever)
		}
	}
	return d.writeTally(ctx, tx, t)
}

// backfillDayCounts counts the records already stored (migration 14), by the fever threshold
// of HQ's rules setting.
func (d *DB) backfillDayCounts(ctx context.Context, tx *sql.Tx) error {
	fever := checkpoint.DefaultConfig().FeverC.Tenths()
	var rules string
	err := tx.QueryRowContext(ctx, d.q(`SELECT value FROM settings WHERE name = ?`), "rules").Scan(&rules)
	if err == nil {
		var c checkpoint.Config
		if json.Unmarshal([]byte(rules), &c) == nil && c.FeverC > 0 {
			fever = c.FeverC.Tenths()
		}
	} else if err != sql.ErrNoRows {
		return fmt.Errorf("day counts: rules: %w", err)
	}
	rows, err := tx.QueryContext(ctx, d.q(`SELECT kind, site_id, created_at, body FROM records WHERE kind IN (?, ?)`),
		string(checkpoint.KindCheck), string(checkpoint.KindRegistration))
	if err != nil {
		return fmt.Errorf("day counts: backfill: %w", err)
	}
	t := dayTally{}
	for rows.Next() {
		var r checkpoint.Record
		var kind, created string
		var body []byte
		if err := rows.Scan(&kind, &r.SiteID, &created, &body); err != nil {
			rows.Close()
			return fmt.Errorf("day counts: backfill: %w", err)
		}
		r.Kind, r.CreatedAt, r.Body = checkpoint.RecordKind(kind), ptime(created), body
		t.add(r, fever)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("day counts: backfill: %w", err)
	}
	return d.writeTally(ctx, tx, t)
}

// DayCounts returns day's counters (a DayFormat day, or TotalDay), by site id and counter.
func (d *DB) DayCounts(ctx context.Context, day string) (map[string]map[string]int64, error) {
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT site_id, counter, n FROM day_counts WHERE day = ?`), day)
	if err != nil {
		return nil, fmt.Errorf("sqldb: day counts: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int64{}
	for rows.Next() {
		var site, c string
		var n int64
		if err := rows.Scan(&site, &c, &n); err != nil {
			return nil, fmt.Errorf("sqldb: day counts: %w", err)
		}
		if out[site] == nil {
			out[site] = map[string]int64{}
		}
		out[site][c] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: day counts: %w", err)
	}
	return out, nil
}
