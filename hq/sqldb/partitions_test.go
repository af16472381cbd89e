package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

func checkRecord(id string) checkpoint.Record {
	return checkpoint.Record{ID: id, Kind: checkpoint.KindCheck, DeviceID: "d", SiteID: "s", StaffID: "st",
		CreatedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Body: []byte(`{"verdict":"pass"}`)}
}

// partitionOf names the partition holding record id.
func partitionOf(t *testing.T, d *DB, id string) string {
	t.Helper()
	var n string
	if err := d.SQL().QueryRow(`SELECT tableoid::regclass::text FROM records WHERE id = $1`, id).Scan(&n); err != nil {
		t.Fatalf("partition of %s: %v", id, err)
	}
	// On Citus the row is read on a worker, from a shard: schema.records_default_120040.
	if i := strings.LastIndexByte(n, '.'); i >= 0 {
		n = n[i+1:]
	}
	if i := strings.LastIndexByte(n, '_'); i >= 0 && strings.Trim(n[i+1:], "0123456789") == "" && len(n[i+1:]) >= 6 {
		n = n[:i]
	}
	return n
}

func TestUUIDBound(t *testing.T) {
	m := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	lo, hi := uuidBound(m), uuidBound(m.AddDate(0, 1, 0))
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{m, true},
		{m.Add(time.Millisecond), true},
		{m.AddDate(0, 1, 0).Add(-time.Millisecond), true},
		{m.Add(-time.Millisecond), false},
		{m.AddDate(0, 1, 0), false},
	} {
		id := dbtest.UUIDv7At(tc.at)
		if got := id >= lo && id < hi; got != tc.want {
			t.Errorf("%s (made %v) in [%s, %s) = %v; want %v", id, tc.at, lo, hi, got, tc.want)
		}
		if at, ok := uuidTime(id); !ok || !at.Equal(tc.at.Truncate(time.Millisecond)) {
			t.Errorf("uuidTime(%s) = %v, %v; want %v", id, at, ok, tc.at)
		}
	}
	if got := monthPartition(m); got != "records_2026_12" {
		t.Errorf("monthPartition = %q", got)
	}
}

// TestRecordsPartitioned: on PostgreSQL records is partitioned by month; ids from kiosks with
// skewed clocks land in their month or in records_default, never fail, and are found as
// duplicates on both ingest paths; a month's partition made later takes its rows out of the
// default partition.
func TestRecordsPartitioned(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, dbtest.PostgresDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var kind string
	if err := d.SQL().QueryRow(`SELECT relkind::text FROM pg_class WHERE oid = 'records'::regclass`).Scan(&kind); err != nil || kind != "p" {
		t.Fatalf("records relkind = %q, %v; want p (partitioned)", kind, err)
	}
	now := time.Now().UTC()
	ps, err := d.Partitions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	want := []string{monthPartition(monthStart(now)), monthPartition(monthStart(now).AddDate(0, 1, 0)),
		monthPartition(monthStart(now).AddDate(0, 2, 0)), "records_default"}
	if !slices.Equal(names, want) {
		t.Fatalf("partitions = %v; want %v", names, want)
	}

	future := now.AddDate(5, 0, 0)
	n := 0
	seq := func(prefix string) func() string {
		return func() string { n++; return fmt.Sprintf("%s%06d", prefix, n) }
	}
	at := func(t time.Time) func() string { return func() string { return dbtest.UUIDv7At(t) } }
	cases := []struct {
		name string
		id   func() string
		want string
	}{
		{"now", at(now), monthPartition(monthStart(now))},
		{"next month", at(monthStart(now).AddDate(0, 1, 0)), monthPartition(monthStart(now).AddDate(0, 1, 0))},
		{"clock years behind", at(time.Date(2019, 3, 4, 5, 6, 7, 0, time.UTC)), "records_default"},
		{"clock years ahead", at(future), "records_default"},
		{"last ms before this month", at(monthStart(now).Add(-time.Millisecond)), "records_default"},
		{"not a UUID", seq("rec-"), "records_default"},
		{"upper-case UUID", seq("019B0000-0000-7000-8000-000000"), "records_default"},
	}
	var aheadID string
	for _, staged := range []bool{false, true} {
		d.forceStaged = staged
		var recs []checkpoint.Record
		for _, c := range cases {
			recs = append(recs, checkRecord(c.id()))
		}
		aheadID = recs[3].ID
		out, err := d.Ingest(ctx, recs, now)
		if err != nil {
			t.Fatalf("staged=%v: ingest: %v", staged, err)
		}
		for i, c := range cases {
			if out[i] != checkpoint.ResultStored {
				t.Errorf("staged=%v %s: %s; want stored", staged, c.name, out[i])
			}
			if got := partitionOf(t, d, recs[i].ID); got != c.want {
				t.Errorf("staged=%v %s: %s in %s; want %s", staged, c.name, recs[i].ID, got, c.want)
			}
		}
		again, err := d.Ingest(ctx, recs, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cases {
			if again[i] != checkpoint.ResultDuplicate {
				t.Errorf("staged=%v %s again: %s; want duplicate", staged, c.name, again[i])
			}
		}
	}
	d.forceStaged = false

	// HQ reaches the future month: its partition takes the rows the default partition held.
	made, err := d.EnsurePartitions(ctx, future)
	if err != nil {
		t.Fatal(err)
	}
	if len(made) != PartitionsAhead+1 || made[0] != monthPartition(monthStart(future)) {
		t.Fatalf("EnsurePartitions(future) made %v", made)
	}
	if got := partitionOf(t, d, aheadID); got != monthPartition(monthStart(future)) {
		t.Errorf("after the future month's partition was made: in %s; want %s", got, monthPartition(monthStart(future)))
	}
	if again, err := d.EnsurePartitions(ctx, future); err != nil || len(again) != 0 {
		t.Errorf("EnsurePartitions again = %v, %v; want nothing made", again, err)
	}
	if out, err := d.Ingest(ctx, []checkpoint.Record{checkRecord(aheadID)}, now); err != nil || out[0] != checkpoint.ResultDuplicate {
		t.Errorf("moved record pushed again: %v, %v; want duplicate", out, err)
	}
}

// TestMigratePartitionsExisting: an HQ database from before migration 10, with records of
// several months, is converted in place: every row kept in its month (or the default
// partition), the held index still there.
func TestMigratePartitionsExisting(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.PostgresDSN(t)
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	old := &DB{db: raw, pg: true}
	p, err := old.provider()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 6); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ids := map[string]string{
		dbtest.UUIDv7At(now):                   monthPartition(monthStart(now)),
		dbtest.UUIDv7At(now.AddDate(0, -5, 0)): monthPartition(monthStart(now.AddDate(0, -5, 0))),
		dbtest.UUIDv7At(now.AddDate(-9, 0, 0)): "records_default", // older than partitionsBack
		"r1":                                   "records_default",
	}
	for id := range ids {
		if _, err := raw.Exec(`INSERT INTO records (id, kind, device_id, site_id, staff_id, created_at, body, content_hash, received_at, held)
			VALUES ($1, 'check', 'd', 's', 'st', '', '\x7b7d', 'h', '', 'staff_not_allowed')`, id); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	d, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for id, want := range ids {
		if got := partitionOf(t, d, id); got != want {
			t.Errorf("%s in %s; want %s", id, got, want)
		}
	}
	if n, err := d.CountHeld(ctx); err != nil || n != int64(len(ids)) {
		t.Errorf("CountHeld = %d, %v; want %d", n, err, len(ids))
	}
	var idx int
	if err := d.SQL().QueryRow(`SELECT COUNT(*) FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'records' AND indexname IN ('records_pkey', 'records_held')`).Scan(&idx); err != nil || idx != 2 {
		t.Errorf("records indexes (pkey, held) = %d, %v; want 2", idx, err)
	}
}

// TestExpireRecords: expiry removes whole months before the bound (dropping partitions on
// PostgreSQL) and the stragglers of the default partition, keeps held records past retention
// (moving them to the default partition) and everything newer.
func TestExpireRecords(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			now := time.Now().UTC()
			old := monthStart(now).AddDate(0, -3, 0)
			if _, err := d.EnsurePartitions(ctx, old); err != nil {
				t.Fatal(err)
			}
			oldDone, oldHeld := dbtest.UUIDv7At(old.Add(time.Hour)), dbtest.UUIDv7At(old.Add(2*time.Hour))
			ancient := dbtest.UUIDv7At(time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC))
			lastMonth := dbtest.UUIDv7At(monthStart(now).AddDate(0, -1, 0).Add(time.Hour))
			recent := dbtest.UUIDv7At(now)
			recs := []checkpoint.Record{checkRecord(oldDone), checkRecord(oldHeld), checkRecord(ancient), checkRecord(lastMonth), checkRecord(recent)}
			if _, err := d.IngestHeld(ctx, recs, []string{"", "staff_not_allowed", "", "", ""}, nil, now); err != nil {
				t.Fatal(err)
			}
			e, err := d.ExpireRecords(ctx, monthStart(now).AddDate(0, -1, 0))
			if err != nil {
				t.Fatal(err)
			}
			if e.KeptHeld != 1 {
				t.Errorf("KeptHeld = %d; want 1", e.KeptHeld)
			}
			if b.Name != "sqlite" {
				want := []string{monthPartition(old), monthPartition(old.AddDate(0, 1, 0))}
				if !slices.Equal(e.Dropped, want) || e.Deleted != 1 || e.MovedHeld != 1 {
					t.Errorf("expiry = %+v; want dropped %v, 1 deleted, 1 held moved", e, want)
				}
				if got := partitionOf(t, d, oldHeld); got != "records_default" {
					t.Errorf("held record past retention in %s; want records_default", got)
				}
			} else if e.Deleted != 2 {
				t.Errorf("expiry = %+v; want 2 deleted", e)
			}
			for _, c := range []struct {
				id   string
				gone bool
			}{{oldDone, true}, {ancient, true}, {oldHeld, false}, {lastMonth, false}, {recent, false}} {
				_, err := d.Record(ctx, c.id)
				if gone := err != nil; gone != c.gone {
					t.Errorf("record %s gone = %v (%v); want %v", c.id, gone, err, c.gone)
				}
			}
			if n, err := d.CountHeld(ctx); err != nil || n != 1 {
				t.Errorf("CountHeld = %d, %v; want 1", n, err)
			}
			// Expiring again does nothing more.
			if e, err := d.ExpireRecords(ctx, monthStart(now).AddDate(0, -1, 0)); err != nil || len(e.Dropped) != 0 || e.Deleted != 0 {
				t.Errorf("second expiry = %+v, %v; want nothing", e, err)
			}
		})
	}
}
