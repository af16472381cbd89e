package sqldb

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// TestPlan: the large tables are distributed by the column their keys contain, the small ones
// are reference tables (the placement measured on Citus 13.2.2, docs/HQ.md "Scaling out").
func TestPlan(t *testing.T) {
	want := map[string]string{
		"records":           "distributed by id",
		"people":            "distributed by id",
		"codes":             "distributed by id",
		"status_changes":    "distributed by person_id",
		"rechecks":          "distributed by record_id",
		"superseded_edits":  "distributed by record_id",
		"site_history":      "reference",
		"staff_history":     "reference",
		"sites":             "reference",
		"staff":             "reference",
		"devices":           "reference",
		"enroll_codes":      "reference",
		"datasets":          "reference",
		"settings":          "reference",
		"counters":          "reference",
		"issuing_keys":      "reference",
		"root_keys":         "reference",
		"citizens":          "reference",
		"sms_codes":         "distributed by phone_hash",
		"sms_phones":        "distributed by phone_hash",
		"sms_sends":         "distributed by phone_hash",
		"login_failures":    "distributed by lock_key",
		"citizen_sessions":  "distributed by token_hash",
		"operators":         "reference",
		"operator_sessions": "distributed by token_hash",
		"audit_log":         "distributed by id",
		"held_decisions":    "reference",
		"goose_db_version":  "local",
		"device_status":     "distributed by device_id",
		"day_counts":        "distributed by site_id",
	}
	seen := map[string]bool{}
	for _, p := range Plan {
		if seen[p.Table] {
			t.Errorf("Plan lists %s twice", p.Table)
		}
		seen[p.Table] = true
		got := string(p.Placement)
		if p.Placement == Distributed {
			got += " by " + p.Column
			if p.Column == "" {
				t.Errorf("%s: distributed without a column", p.Table)
			}
		} else if p.Column != "" || p.Colocate != "" {
			t.Errorf("%s: %s with a distribution column %q/%q", p.Table, p.Placement, p.Column, p.Colocate)
		}
		if w, ok := want[p.Table]; !ok || got != w {
			t.Errorf("Plan[%s] = %s; want %q", p.Table, got, w)
		}
		if p.Why == "" {
			t.Errorf("Plan[%s] says not why", p.Table)
		}
		if p.Colocate != "" {
			if c, ok := PlanFor(p.Colocate); !ok || c.Placement != Distributed {
				t.Errorf("%s colocated with %s, which is not distributed", p.Table, p.Colocate)
			}
		}
	}
	for table := range want {
		if !seen[table] {
			t.Errorf("Plan has no entry for %s", table)
		}
	}
	s := DistributeStep{TablePlan: Plan[3]}
	if got := s.String(); got != "rechecks: distributed by record_id, colocated with records (done)" {
		t.Errorf("step line = %q", got)
	}
}

// TestSchemaRules reads the catalog after every migration, on SQLite and PostgreSQL, and keeps
// the schema distributable (Citus): every table has a plan; every PRIMARY KEY and UNIQUE
// index of a distributed table contains its distribution column; no foreign key joins a
// distributed table to a local one or points from a reference table to a distributed one.
func TestSchemaRules(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			cat := readCatalog(t, d)
			if len(cat.tables) < len(Plan)-1 {
				t.Fatalf("catalog has %d tables: %v", len(cat.tables), cat.tables)
			}
			// The catalog reads what the rule needs: staff's UNIQUE (phone_hash) is why staff
			// is a reference table.
			found := false
			for _, cols := range cat.unique["staff"] {
				found = found || cols == "phone_hash"
			}
			if !found {
				t.Errorf("unique indexes of staff = %v; want one on phone_hash", cat.unique["staff"])
			}
			for _, table := range cat.tables {
				p, ok := PlanFor(table)
				if !ok {
					t.Errorf("table %s has no entry in sqldb.Plan (distribute.go): decide whether it is distributed (by which column) or a reference table", table)
					continue
				}
				if p.Placement != Distributed {
					continue
				}
				for name, cols := range cat.unique[table] {
					if !strings.Contains(","+cols+",", ","+p.Column+",") {
						t.Errorf("%s is distributed by %s, but its unique index %s is on (%s): Citus cannot enforce it", table, p.Column, name, cols)
					}
				}
				if len(cat.unique[table]) == 0 {
					t.Errorf("%s: no primary key found", table)
				}
			}
			for _, fk := range cat.fks {
				from, _ := PlanFor(fk[0])
				to, _ := PlanFor(fk[1])
				bad := from.Placement == Distributed && to.Placement == Local ||
					from.Placement == Local && to.Placement == Distributed ||
					from.Placement == Reference && to.Placement == Distributed ||
					from.Placement == Distributed && to.Placement == Distributed && colocation(from) != colocation(to)
				if bad {
					t.Errorf("foreign key from %s (%s) to %s (%s): not allowed between those placements", fk[0], from.Placement, fk[1], to.Placement)
				}
			}
		})
	}
}

// colocation names a distributed table's colocation group.
func colocation(p TablePlan) string {
	if p.Colocate != "" {
		return p.Colocate
	}
	return "default:" + p.Column
}

type catalog struct {
	tables []string
	unique map[string]map[string]string // table → unique index → its columns, comma-separated
	fks    [][2]string                  // (table, referenced table)
}

func readCatalog(t *testing.T, d *DB) catalog {
	t.Helper()
	ctx := context.Background()
	c := catalog{unique: map[string]map[string]string{}}
	query := func(q string, args ...any) [][]string {
		t.Helper()
		rows, err := d.SQL().QueryContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out [][]string
		for rows.Next() {
			r := make([]string, len(cols))
			ptrs := make([]any, len(cols))
			for i := range r {
				ptrs[i] = &r[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if d.pg {
		var err error
		if c.tables, err = d.tables(ctx); err != nil {
			t.Fatal(err)
		}
		for _, table := range c.tables {
			c.unique[table] = map[string]string{}
			for _, r := range query(`SELECT i.indexrelid::regclass::text, COALESCE(string_agg(a.attname, ',' ORDER BY a.attnum), '')
				FROM pg_index i LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) AND a.attnum > 0
				WHERE i.indrelid = to_regclass($1) AND i.indisunique GROUP BY 1`, table) {
				c.unique[table][r[0]] = r[1]
			}
		}
		for _, r := range query(`SELECT conrelid::regclass::text, confrelid::regclass::text FROM pg_constraint
			WHERE contype = 'f' AND connamespace = current_schema()::regnamespace AND conparentid = 0`) {
			c.fks = append(c.fks, [2]string{r[0], r[1]})
		}
		return c
	}
	for _, r := range query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`) {
		c.tables = append(c.tables, r[0])
	}
	for _, table := range c.tables {
		c.unique[table] = map[string]string{}
		for _, r := range query(`SELECT name FROM pragma_index_list(?) WHERE "unique" = 1`, table) {
			var cols []string
			for _, col := range query(`SELECT COALESCE(name, '') FROM pragma_index_info(?) ORDER BY seqno`, r[0]) {
				cols = append(cols, col[0])
			}
			c.unique[table][r[0]] = strings.Join(cols, ",")
		}
		// An INTEGER PRIMARY KEY is the rowid and has no index of its own.
		for _, r := range query(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`, table) {
			c.unique[table]["pk"] = strings.TrimPrefix(c.unique[table]["pk"]+","+r[0], ",")
		}
		for _, r := range query(`SELECT "table" FROM pragma_foreign_key_list(?)`, table) {
			c.fks = append(c.fks, [2]string{table, r[0]})
		}
	}
	return c
}

// forbidden are SQL constructs that do not work, or serialise everything, on a distributed
// engine: row locks taken across shards, advisory locks (local to one node), LISTEN/NOTIFY
// (Citus does not relay them across nodes).
var forbidden = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\bFOR\s+(NO\s+KEY\s+)?(UPDATE|SHARE)\b`),
	regexp.MustCompile(`(?i)\bFOR\s+KEY\s+SHARE\b`),
	regexp.MustCompile(`(?i)\bpg_(try_)?advisory`),
	regexp.MustCompile(`(?i)\bpg_notify\b`),
	regexp.MustCompile(`(?i)(^|;)\s*(LISTEN|UNLISTEN|NOTIFY)\s+\w+\s*(;|,|$)`),
	regexp.MustCompile(`(?i)\bLOCK\s+TABLE\b`),
}

// TestNoDistributedLocks scans the string literals of HQ's Go sources (hq/ and cmd/hq, tests
// excluded) and the migrations for forbidden SQL.
func TestNoDistributedLocks(t *testing.T) {
	var texts []struct{ where, text string }
	for _, root := range []string{"..", "../../cmd/hq"} {
		err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch {
			case e.IsDir() || strings.HasSuffix(path, "_test.go"):
				return nil
			case strings.HasSuffix(path, ".sql"):
				b, err := fs.ReadFile(migrations, "migrations/"+filepath.Base(path))
				if err != nil {
					return err
				}
				for i, line := range strings.Split(string(b), "\n") {
					if l := strings.TrimSpace(line); !strings.HasPrefix(l, "--") {
						texts = append(texts, struct{ where, text string }{path + ":" + strconv.Itoa(i+1), l})
					}
				}
				return nil
			case !strings.HasSuffix(path, ".go"):
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, err := strconv.Unquote(lit.Value)
					if err != nil {
						s = lit.Value
					}
					texts = append(texts, struct{ where, text string }{fset.Position(lit.Pos()).String(), s})
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(texts) < 100 {
		t.Fatalf("scanned only %d strings: wrong directory?", len(texts))
	}
	for _, s := range texts {
		for _, re := range forbidden {
			if m := re.FindString(s.text); m != "" {
				t.Errorf("%s: %q in SQL: not portable to a distributed PostgreSQL (Citus); see docs/HQ.md \"Scaling out\"", s.where, m)
			}
		}
	}
	// The patterns themselves catch what they are meant to.
	for _, bad := range []string{"SELECT 1 FROM t WHERE id = $1 FOR UPDATE", "select pg_advisory_xact_lock(1)", "LISTEN batches", "SELECT pg_notify('x', '')", "x for no key update"} {
		hit := false
		for _, re := range forbidden {
			hit = hit || re.MatchString(bad)
		}
		if !hit {
			t.Errorf("%q not caught", bad)
		}
	}
}

// TestTriggersFound checks what Distribute relies on to place audit_log on Citus: the schema's
// own triggers are found (Citus refuses a table with triggers unless
// citus.enable_unsafe_triggers is on for its placement), and a table without any has none.
func TestTriggersFound(t *testing.T) {
	for _, b := range dbtest.Backends() {
		if b.Name == "sqlite" {
			continue
		}
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			d, err := Open(ctx, b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			got, err := d.triggers(ctx, "audit_log")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"audit_log_no_change", "audit_log_no_truncate"}; !slices.Equal(got, want) {
				t.Fatalf("audit_log triggers %v, want %v", got, want)
			}
			if got, err := d.triggers(ctx, "records"); err != nil || len(got) != 0 {
				t.Fatalf("records triggers %v, %v; want none", got, err)
			}
		})
	}
}

// TestDistributeOrder: Citus refuses to colocate a table with one not yet distributed
// ("relation records is not distributed"), so every colocated table must come after its
// target, and every reference table before the distributed ones.
func TestDistributeOrder(t *testing.T) {
	steps := make([]DistributeStep, len(Plan))
	for i, p := range Plan {
		steps[i] = DistributeStep{TablePlan: p}
	}
	// Distribute starts from the catalog's tables, by name (rechecks before records).
	slices.SortFunc(steps, func(a, b DistributeStep) int { return strings.Compare(a.Table, b.Table) })
	orderSteps(steps)
	at := map[string]int{}
	for i, s := range steps {
		at[s.Table] = i
	}
	lastRef := -1
	for i, s := range steps {
		if s.Placement == Reference {
			lastRef = i
		}
	}
	for i, s := range steps {
		if s.Placement == Distributed && i < lastRef {
			t.Errorf("%s (distributed) comes before reference table %s", s.Table, steps[lastRef].Table)
		}
		if s.Colocate == "" {
			continue
		}
		j, ok := at[s.Colocate]
		if !ok {
			t.Errorf("%s is colocated with %s, which has no plan", s.Table, s.Colocate)
			continue
		}
		if j > i {
			t.Errorf("%s (step %d) is colocated with %s, placed later (step %d)", s.Table, i, s.Colocate, j)
		}
	}
}
