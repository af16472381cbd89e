package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// HQ on Citus (DESIGN §12, docs/HQ.md "Scaling out"). Citus shards a distributed table by one
// column across its workers and copies a reference table to every node. It requires the
// distribution column in every PRIMARY KEY and UNIQUE constraint of a distributed table (so
// that each shard can enforce it alone), and allows foreign keys from a distributed table only
// to a reference table or a table colocated with it. TestSchemaRules holds HQ's schema to that.

// Placement is where a table's rows live on a Citus cluster.
type Placement string

// Placements.
const (
	// Distributed tables are sharded by their Column across the workers.
	Distributed Placement = "distributed"
	// Reference tables are copied whole to every node; every write is a two-phase commit to
	// all of them, so they must stay small and rarely written.
	Reference Placement = "reference"
	// Local tables stay on the coordinator.
	Local Placement = "local"
)

// TablePlan is where one of HQ's tables goes on Citus, and why.
type TablePlan struct {
	Table     string
	Placement Placement
	Column    string // the distribution column (Distributed only)
	Colocate  string // the table whose shards it is colocated with ("" for Citus' default)
	Why       string
}

// Plan is where each of HQ's tables goes on Citus. A table the migrations create must be
// listed here (TestSchemaRules fails otherwise, and Distribute refuses to guess).
var Plan = []TablePlan{
	{"records", Distributed, "id", "", "every check and edit from every kiosk: the table that grows without bound; PRIMARY KEY (id), partitioned by month on id too"},
	{"people", Distributed, "id", "", "one row per registered person (tens of millions in a province); PRIMARY KEY (id); holder_id and id_hash are plain indexes, so a look-up by them asks every shard"},
	{"codes", Distributed, "id", "", "every code issued; PRIMARY KEY (id); person_id and revoked are plain indexes"},
	{"rechecks", Distributed, "record_id", "records", "grows with records and is written while batches are ingested, which a reference table would turn into a write to every node; PRIMARY KEY (record_id), colocated with records"},
	{"superseded_edits", Distributed, "record_id", "records", "one row per edit answered superseded, written while batches are ingested; PRIMARY KEY (record_id), colocated with records"},
	{"status_changes", Distributed, "person_id", "people", "every change of a person's colour, written with the change to people: grows with people; PRIMARY KEY (person_id, id), colocated with people"},
	{"sites", Reference, "", "", "the site tree: thousands of rows, read by every authorisation"},
	{"site_history", Reference, "", "", "every revision of a site's place in the tree: grows with site edits (rare), read when a record is judged as of its time"},
	{"staff_history", Reference, "", "", "every revision of a staff member's assignment: grows with roster changes (rare), read when a record is judged as of its time"},
	{"staff", Reference, "", "", "the roster; UNIQUE (phone_hash) does not contain id, so it cannot be distributed by id — and it is small"},
	{"devices", Reference, "", "", "one row per kiosk; read on every request's authentication"},
	{"enroll_codes", Reference, "", "", "short-lived one-time codes, a few per kiosk"},
	{"datasets", Reference, "", "", "six version counters; bumped on every roster or site edit (rare)"},
	{"settings", Reference, "", "", "a handful of name/value rows"},
	{"counters", Reference, "", "", "a few dozen named counters, flushed every 5 s by each HQ instance"},
	{"issuing_keys", Reference, "", "", "a few signing keys"},
	{"root_keys", Reference, "", "", "the root key chain; UNIQUE (root_id) besides PRIMARY KEY (seq)"},
	{"citizens", Reference, "", "", "吉事办 accounts; UNIQUE (phone_hash) and UNIQUE (id_hash) cannot both contain one distribution column"},
	{"sms_codes", Distributed, "phone_hash", "", "the live SMS code of each (phone, purpose); PRIMARY KEY (phone_hash, purpose)"},
	{"sms_phones", Distributed, "phone_hash", "sms_codes", "one row per phone that asked for a code in the last day, the lock of its limits; PRIMARY KEY (phone_hash)"},
	{"sms_sends", Distributed, "phone_hash", "sms_codes", "a day of SMS sends for the limits; PRIMARY KEY (phone_hash, id); the per-address count asks every shard"},
	{"login_failures", Distributed, "lock_key", "", "15 minutes of failed logins by phone or address; PRIMARY KEY (lock_key, id)"},
	{"citizen_sessions", Distributed, "token_hash", "", "吉事办 sessions; PRIMARY KEY (token_hash); ending an account's sessions asks every shard"},
	{"operators", Reference, "", "", "the console's operator accounts: a few dozen rows, read on every console request"},
	{"operator_sessions", Distributed, "token_hash", "", "console sessions; PRIMARY KEY (token_hash); ending an operator's sessions asks every shard"},
	{"audit_log", Distributed, "id", "", "every change made through the console or the admin API, append-only: grows without bound; PRIMARY KEY (id); the newest-first page asks every shard"},
	{"held_decisions", Reference, "", "", "operators' decisions on held records: a few per day, rarely read"},
	{"device_status", Distributed, "device_id", "", "one row per kiosk, rewritten on every config pull of every kiosk, which a reference table would turn into a write to every node; PRIMARY KEY (device_id)"},
	{"day_counts", Distributed, "site_id", "", "per site and day, the counts 总览 shows, added to by every batch; PRIMARY KEY (site_id, day, counter); 总览's read by day asks every shard"},
	{"goose_db_version", Local, "", "", "goose's migration bookkeeping, used only by HQ's migrations on the coordinator"},
}

// PlanFor returns the plan of table, if it has one.
func PlanFor(table string) (TablePlan, bool) {
	i := slices.IndexFunc(Plan, func(p TablePlan) bool { return p.Table == table })
	if i < 0 {
		return TablePlan{}, false
	}
	return Plan[i], true
}

// ErrNotPostgres is returned by Distribute on SQLite.
var ErrNotPostgres = errors.New("sqldb: distribution needs PostgreSQL with the Citus extension; this database is SQLite")

// DistributeStep is what Distribute did with one table.
type DistributeStep struct {
	TablePlan
	// Already is true when the table was placed so before (Distribute changed nothing).
	Already bool
}

// String is the line `hq db distribute` prints for the step.
func (s DistributeStep) String() string {
	var what string
	switch s.Placement {
	case Distributed:
		what = "distributed by " + s.Column
		if s.Colocate != "" {
			what += ", colocated with " + s.Colocate
		}
	case Reference:
		what = "reference table"
	default:
		what = "local to the coordinator"
	}
	switch {
	case s.Placement == Local:
		what += " (left as is)"
	case s.Already:
		what += " (already)"
	default:
		what += " (done)"
	}
	return s.Table + ": " + what
}

// Citus returns the version of the citus extension in the database ("" when it has none, or on
// SQLite).
func (d *DB) Citus(ctx context.Context) (string, error) {
	if !d.pg {
		return "", nil
	}
	var v string
	err := d.db.QueryRowContext(ctx, `SELECT extversion FROM pg_extension WHERE extname = 'citus'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("sqldb: citus: %w", err)
	}
	return v, nil
}

// Distribute places HQ's tables on a Citus cluster as Plan says — reference tables first, then
// the distributed ones — and returns one step per table. It is idempotent: a table Citus
// already places as planned is left alone (pg_dist_partition), so it can run again after an
// upgrade that added tables. On PostgreSQL without Citus it does nothing and returns no steps;
// on SQLite it returns ErrNotPostgres. A table of the schema that Plan does not list, or one
// Citus places otherwise than planned, is an error and nothing is changed.
func (d *DB) Distribute(ctx context.Context) ([]DistributeStep, error) {
	if !d.pg {
		return nil, ErrNotPostgres
	}
	v, err := d.Citus(ctx)
	if err != nil || v == "" {
		return nil, err
	}
	tables, err := d.tables(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqldb: distribute: %w", err)
	}
	var steps []DistributeStep
	var unplanned []string
	for _, t := range tables {
		p, ok := PlanFor(t)
		if !ok {
			unplanned = append(unplanned, t)
			continue
		}
		steps = append(steps, DistributeStep{TablePlan: p})
	}
	if len(unplanned) > 0 {
		return nil, fmt.Errorf("sqldb: distribute: no plan for table(s) %s (add them to sqldb.Plan)", strings.Join(unplanned, ", "))
	}
	orderSteps(steps)
	for i := range steps {
		s := &steps[i]
		now, err := d.placement(ctx, s.Table)
		if err != nil {
			return nil, fmt.Errorf("sqldb: distribute: %s: %w", s.Table, err)
		}
		want := string(s.Placement)
		if s.Placement == Distributed {
			want += " by " + s.Column
		}
		switch {
		case now == want:
			s.Already = true
		case now != string(Local):
			return nil, fmt.Errorf("sqldb: distribute: %s is %s on this cluster, planned %s: change it by hand (undistribute_table)", s.Table, now, want)
		}
	}
	for i := range steps {
		s := &steps[i]
		if s.Already || s.Placement == Local {
			continue
		}
		var q string
		args := []any{s.Table}
		switch {
		case s.Placement == Reference:
			q = `SELECT create_reference_table($1::regclass)`
		case s.Colocate != "":
			q = `SELECT create_distributed_table($1::regclass, $2, colocate_with => $3)`
			args = append(args, s.Column, s.Colocate)
		default:
			q = `SELECT create_distributed_table($1::regclass, $2)`
			args = append(args, s.Column)
		}
		if err := d.place(ctx, s.Table, q, args); err != nil {
			return steps[:i], fmt.Errorf("sqldb: distribute: %s: %w", s.Table, err)
		}
	}
	return steps, nil
}

// place runs one create_distributed_table or create_reference_table. Citus refuses a table with
// triggers of its own (audit_log's append-only triggers) unless citus.enable_unsafe_triggers is
// on; with it, Citus creates the triggers on every shard and the trigger function on every node.
// HQ's triggers only refuse a change to the row or table they fire on, so they are safe per
// shard. The setting is local to the transaction of that one table.
func (d *DB) place(ctx context.Context, table, q string, args []any) error {
	trig, err := d.triggers(ctx, table)
	if err != nil {
		return err
	}
	if len(trig) == 0 {
		_, err := d.db.ExecContext(ctx, q, args...)
		return err
	}
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL citus.enable_unsafe_triggers = on`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return err
	}
	return tx.Commit()
}

// triggers lists the triggers of table that the schema made (not PostgreSQL's internal ones for
// constraints, nor Citus' own), by name.
func (d *DB) triggers(ctx context.Context, table string) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT t.tgname FROM pg_trigger t
		JOIN pg_class c ON c.oid = t.tgrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 AND NOT t.tgisinternal
		AND t.tgname NOT LIKE 'truncate_trigger%'
		ORDER BY t.tgname`, table)
	return names(rows, err)
}

// orderSteps sorts the steps as Citus needs them: reference tables first, then the distributed
// ones, a table colocated with another after that other, and the local ones last.
func orderSteps(steps []DistributeStep) {
	order := map[Placement]int{Reference: 0, Distributed: 1, Local: 2}
	// A table colocated with another comes after it: Citus needs the other distributed first.
	colocated := func(s DistributeStep) int {
		if s.Colocate != "" {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(steps, func(a, b DistributeStep) int {
		if d := order[a.Placement] - order[b.Placement]; d != 0 {
			return d
		}
		return colocated(a) - colocated(b)
	})
}

// tables lists the tables of the current schema that are not partitions of another.
func (d *DB) tables(ctx context.Context) ([]string, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT c.relname FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY c.relname`)
	return names(rows, err)
}

// names reads a one-column query's rows of names.
func names(rows *sql.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// placement reads from Citus' metadata how table is placed now: "distributed by COLUMN",
// "reference", "citus local" or "local" (not in pg_dist_partition).
func (d *DB) placement(ctx context.Context, table string) (string, error) {
	var method, model string
	var col sql.NullString
	err := d.db.QueryRowContext(ctx, `SELECT partmethod::text, repmodel::text,
			CASE WHEN partkey IS NULL THEN NULL ELSE column_to_column_name(logicalrelid, partkey) END
		FROM pg_dist_partition WHERE logicalrelid = to_regclass($1)`, table).Scan(&method, &model, &col)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return string(Local), nil
	case err != nil:
		return "", err
	case method == "n" && model == "t":
		return string(Reference), nil
	case method == "n":
		return "citus local", nil
	case method == "h":
		return string(Distributed) + " by " + col.String, nil
	default:
		return "distributed (method " + method + ")", nil
	}
}
