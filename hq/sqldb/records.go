package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	checkpoint "github.com/yongji-county/checkpoint"
)

// insertChunk bounds the rows of one multi-row INSERT (10 parameters a row stays well inside
// both SQLite's and PostgreSQL's parameter limits).
const insertChunk = 500

// ContentHash identifies a record's content: every envelope field and every body byte.
// CreatedAt counts as the instant, in UTC.
func ContentHash(r checkpoint.Record) string {
	return contentHash(r.ID, string(r.Kind), r.DeviceID, r.SiteID, r.StaffID, ftime(r.CreatedAt), r.Body)
}

// contentHash is ContentHash from a record's columns as stored (created_at as ftime wrote it).
func contentHash(id, kind, dev, site, staff, created string, body []byte) string {
	h := sha256.New()
	var n [8]byte
	for _, f := range [][]byte{[]byte(id), []byte(kind), []byte(dev), []byte(site), []byte(staff), []byte(created), body} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write(f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Ingest stores records that HQ has already validated and authorised and returns one outcome
// per record in order: checkpoint.ResultStored, ResultDuplicate or ResultConflict, or
// ResultRejected for a record the database itself refuses (recordSpecific: a value no column
// can hold). Such a record never fails its batch: the batch is split in halves, each stored in
// its own transaction, until the records at fault stand alone. Stored site_edit records are
// applied to the sites table, in HQ's receive order and each only on top of the revision it was
// made from (otherwise its outcome is checkpoint.ResultSuperseded), bumping the dataset version.
// A batch with staff_add records goes through IngestWithStaff.
func (d *DB) Ingest(ctx context.Context, recs []checkpoint.Record, now time.Time) ([]string, error) {
	return d.IngestHeld(ctx, recs, nil, nil, now)
}

// IngestWithStaff is Ingest for a batch that may hold staff_add records: accounts holds, by
// record id, the account HQ made from each one (the kiosk's body carries the phone only sealed,
// so HQ opens it and computes what it keeps). Each stored staff_add applies its account to the
// staff table (only on top of the revision it was made from, like a site edit); a staff_add
// without an account fails the batch.
func (d *DB) IngestWithStaff(ctx context.Context, recs []checkpoint.Record, accounts map[string]StaffAccount, now time.Time) ([]string, error) {
	return d.IngestHeld(ctx, recs, nil, accounts, now)
}

// IngestHeld is IngestWithStaff for a batch some of whose records HQ keeps without accepting
// them: hold[i] (nil: none) is record i's reason, e.g. "staff_not_allowed". A held record is
// stored like any other, so that its kiosk may drop it and a resend is a duplicate, but it is not
// applied (a held site edit changes no site) and it is listed for an operator (Held); its outcome
// is checkpoint.ResultHeld. A record HQ already holds is a duplicate or a conflict whatever hold
// says: the duplicate check comes before any judgement.
func (d *DB) IngestHeld(ctx context.Context, recs []checkpoint.Record, hold []string, accounts map[string]StaffAccount, now time.Time) ([]string, error) {
	out, _, err := d.IngestDecided(ctx, recs, hold, accounts, now)
	return out, err
}

// IngestDecided is IngestHeld that also returns, by record id, the operator's decision on each
// record answered checkpoint.ResultRejected because an operator rejected it when HQ held it
// (it was sent again); a ResultRejected without one is a record the database refused.
func (d *DB) IngestDecided(ctx context.Context, recs []checkpoint.Record, hold []string, accounts map[string]StaffAccount, now time.Time) ([]string, map[string]HeldDecision, error) {
	if hold == nil {
		hold = make([]string, len(recs))
	}
	if len(hold) != len(recs) {
		return nil, nil, fmt.Errorf("sqldb: ingest: %d hold reasons for %d records", len(hold), len(recs))
	}
	rejected := map[string]HeldDecision{}
	out, err := d.ingestSplit(ctx, recs, hold, accounts, now, rejected)
	return out, rejected, err
}

// ingestSplit stores recs, splitting the batch around records the database refuses.
func (d *DB) ingestSplit(ctx context.Context, recs []checkpoint.Record, hold []string, accounts map[string]StaffAccount, now time.Time, rejected map[string]HeldDecision) ([]string, error) {
	out, err := d.ingest(ctx, recs, hold, accounts, now, rejected)
	if err == nil || !recordSpecific(err) {
		return out, err
	}
	if len(recs) == 1 {
		return []string{checkpoint.ResultRejected}, nil
	}
	h := len(recs) / 2
	first, err := d.ingestSplit(ctx, recs[:h], hold[:h], accounts, now, rejected)
	if err != nil {
		return nil, err
	}
	rest, err := d.ingestSplit(ctx, recs[h:], hold[h:], accounts, now, rejected)
	if err != nil {
		return nil, err
	}
	return append(first, rest...), nil
}

// ingest stores one batch in one transaction.
func (d *DB) ingest(ctx context.Context, recs []checkpoint.Record, hold []string, accounts map[string]StaffAccount, now time.Time, rejected map[string]HeldDecision) ([]string, error) {
	out := make([]string, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	hashes := make([]string, len(recs))
	first := make(map[string]int, len(recs)) // id → index of its first occurrence in the batch
	var uniq []int
	for i, r := range recs {
		hashes[i] = ContentHash(r)
		if j, ok := first[r.ID]; ok {
			// The same id twice in one batch: the later one is judged against the earlier.
			if hashes[j] == hashes[i] {
				out[i] = checkpoint.ResultDuplicate
			} else {
				out[i] = checkpoint.ResultConflict
			}
			continue
		}
		first[r.ID] = i
		uniq = append(uniq, i)
	}
	// Inserting in id order keeps two concurrent batches that share ids from deadlocking on
	// PostgreSQL's unique index.
	ordered := slices.Clone(uniq)
	slices.SortFunc(ordered, func(a, b int) int { return strings.Compare(recs[a].ID, recs[b].ID) })
	b := &ingestBatch{recs: recs, hold: hold, hashes: hashes, ordered: ordered, recv: ftime(now)}
	// On PostgreSQL the batch is first tried with a plain COPY into records; if another
	// transaction inserted one of its ids in the meantime, the COPY fails on the unique index and
	// the batch runs again as multi-row INSERT … ON CONFLICT (id) DO NOTHING RETURNING id, which
	// skips such ids. That fallback needs no temporary table, so it works unchanged on Citus
	// (distributed tables) and on engines that have none.
	staged := d.forceStaged
	var mine map[string]HeldDecision // the decisions undoResent found, in the attempt that commits
	for {
		err := d.txConn(ctx, "ingest", d.pg, func(conn *sql.Conn, tx *sql.Tx) error {
			for _, i := range uniq { // a retried transaction starts over
				out[i] = ""
			}
			var (
				inserted map[string]bool
				held     map[string]string // content hashes of ids already stored, when known
				err      error
			)
			switch {
			case d.pg && !staged:
				inserted, held, err = d.copyRecords(ctx, conn, tx, b)
			default:
				inserted = make(map[string]bool, len(ordered))
				for start := 0; start < len(ordered) && err == nil; start += insertChunk {
					err = d.insertRecords(ctx, tx, b, ordered[start:min(start+insertChunk, len(ordered))], inserted)
				}
			}
			if err != nil {
				return err
			}
			var existing []string
			for _, i := range uniq {
				switch {
				case inserted[recs[i].ID] && hold[i] != "":
					out[i] = checkpoint.ResultHeld
				case inserted[recs[i].ID]:
					out[i] = checkpoint.ResultStored
				default:
					existing = append(existing, recs[i].ID)
				}
			}
			if len(existing) > 0 && held == nil {
				if held, err = d.contentHashes(ctx, tx, existing); err != nil {
					return err
				}
			}
			for _, i := range uniq {
				if out[i] != "" {
					continue
				}
				if held[recs[i].ID] == hashes[i] {
					out[i] = checkpoint.ResultDuplicate
				} else {
					out[i] = checkpoint.ResultConflict
				}
			}
			// A record new to records may be one an operator decided when HQ held it.
			mine = map[string]HeldDecision{}
			if err := d.undoResent(ctx, tx, recs, hashes, uniq, out, mine); err != nil {
				return err
			}
			if err := d.countStored(ctx, tx, recs, out); err != nil {
				return err
			}
			return d.applyStored(ctx, tx, recs, accounts, out, b.recv)
		})
		if !staged && uniqueViolation(err) {
			staged = true
			continue
		}
		if err != nil {
			return nil, err
		}
		maps.Copy(rejected, mine)
		return out, nil
	}
}

// ingestBatch is what one Ingest writes: the records, their content hashes, the indexes of
// the first occurrence of each id in id order, and the time received.
type ingestBatch struct {
	recs    []checkpoint.Record
	hold    []string
	hashes  []string
	ordered []int
	recv    string
}

// row is record i as a row of records, in recordCols order.
func (b *ingestBatch) row(i int) []any {
	r := b.recs[i]
	return []any{r.ID, string(r.Kind), r.DeviceID, r.SiteID, r.StaffID, ftime(r.CreatedAt), []byte(r.Body), b.hashes[i], b.recv, b.hold[i]}
}

// insertRecords inserts recs[i] for i in part with one multi-row INSERT, skipping ids already
// held, and marks the ids it inserted (SQLite, and PostgreSQL's fallback from COPY).
func (d *DB) insertRecords(ctx context.Context, tx *sql.Tx, b *ingestBatch, part []int, inserted map[string]bool) error {
	args := make([]any, 0, len(part)*len(recordCols))
	for _, i := range part {
		args = append(args, b.row(i)...)
	}
	q := `INSERT INTO records (` + strings.Join(recordCols, ", ") + `) VALUES ` +
		d.placeholders(len(part), len(recordCols), 0) + ` ON CONFLICT (id) DO NOTHING RETURNING id`
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		inserted[id] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	return nil
}

// recordCols are the columns of records, in the order of ingestBatch.row.
var recordCols = []string{"id", "kind", "device_id", "site_id", "staff_id", "created_at", "body", "content_hash", "received_at", "held"}

// copyRecords (PostgreSQL) looks up which of the batch's ids are already stored, with their
// content hashes, and COPYs the others straight into records — far cheaper for the server than
// a multi-row INSERT … ON CONFLICT. An id that another transaction stores between the look-up
// and the COPY makes the COPY fail with a unique violation; Ingest then runs the batch again
// through insertRecords.
func (d *DB) copyRecords(ctx context.Context, conn *sql.Conn, tx *sql.Tx, b *ingestBatch) (inserted map[string]bool, held map[string]string, err error) {
	ids := make([]string, len(b.ordered))
	for j, i := range b.ordered {
		ids[j] = b.recs[i].ID
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, content_hash FROM records WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, nil, fmt.Errorf("existing: %w", err)
	}
	held = map[string]string{}
	if err := scanHashes(rows, held); err != nil {
		return nil, nil, fmt.Errorf("existing: %w", err)
	}
	fresh := make([]int, 0, len(b.ordered))
	for _, i := range b.ordered {
		if _, ok := held[b.recs[i].ID]; !ok {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) > 0 {
		if err := copyRows(ctx, conn, "records", recordCols, len(fresh), func(j int) []any { return b.row(fresh[j]) }); err != nil {
			return nil, nil, err
		}
	}
	inserted = make(map[string]bool, len(fresh))
	for _, i := range fresh {
		inserted[b.recs[i].ID] = true
	}
	return inserted, held, nil
}

// copyRows COPYs n rows into table over conn, inside the transaction open on it.
func copyRows(ctx context.Context, conn *sql.Conn, table string, cols []string, n int, row func(j int) []any) error {
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("driver connection is %T, not pgx", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(j int) ([]any, error) { return row(j), nil }))
		return err
	})
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

func scanHashes(rows *sql.Rows, held map[string]string) error {
	defer rows.Close()
	for rows.Next() {
		var id, h string
		if err := rows.Scan(&id, &h); err != nil {
			return err
		}
		held[id] = h
	}
	return rows.Err()
}

func (d *DB) contentHashes(ctx context.Context, tx *sql.Tx, ids []string) (map[string]string, error) {
	held := make(map[string]string, len(ids))
	for start := 0; start < len(ids); start += insertChunk {
		part := ids[start:min(start+insertChunk, len(ids))]
		args := make([]any, len(part))
		for i, id := range part {
			args[i] = id
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, content_hash FROM records WHERE id IN (`+d.inList(len(part), 0)+`)`, args...)
		if err != nil {
			return nil, fmt.Errorf("existing: %w", err)
		}
		if err := scanHashes(rows, held); err != nil {
			return nil, fmt.Errorf("existing: %w", err)
		}
	}
	return held, nil
}

// applyStored applies the stored site_edit and staff_add records, in batch order (HQ's receive
// order): each only on top of the revision it was made from, else its outcome becomes
// checkpoint.ResultSuperseded and it is kept in superseded_edits. An edit resent after such an
// answer (a duplicate) is answered superseded again.
func (d *DB) applyStored(ctx context.Context, tx *sql.Tx, recs []checkpoint.Record, accounts map[string]StaffAccount, out []string, recv string) error {
	var sites, staff bool
	var dups []string
	for i, r := range recs {
		if out[i] == checkpoint.ResultDuplicate && (r.Kind == checkpoint.KindSiteEdit || r.Kind == checkpoint.KindStaffAdd) {
			dups = append(dups, r.ID)
		}
		if out[i] != checkpoint.ResultStored {
			continue
		}
		switch r.Kind {
		case checkpoint.KindSiteEdit:
			var e checkpoint.SiteEdit
			if err := json.Unmarshal(r.Body, &e); err != nil {
				return fmt.Errorf("apply site_edit %s: %w", r.ID, err)
			}
			ok, err := d.editSite(ctx, tx, e, r.ID, recv)
			if err != nil {
				return fmt.Errorf("apply site_edit %s: %w", r.ID, err)
			}
			if !ok {
				out[i] = checkpoint.ResultSuperseded
				if err := d.supersede(ctx, tx, r, "sites", e.Site.ID, e.EditBase, recv); err != nil {
					return err
				}
				continue
			}
			sites = true
		case checkpoint.KindStaffAdd:
			a, ok := accounts[r.ID]
			if !ok {
				return fmt.Errorf("apply staff_add %s: HQ made no account for it", r.ID)
			}
			var e checkpoint.StaffAdd
			if err := json.Unmarshal(r.Body, &e); err != nil {
				return fmt.Errorf("apply staff_add %s: %w", r.ID, err)
			}
			ok, err := d.editStaff(ctx, tx, a, e.EditBase, r.ID, recv)
			if err != nil {
				return fmt.Errorf("apply staff_add %s: %w", r.ID, err)
			}
			if !ok {
				out[i] = checkpoint.ResultSuperseded
				if err := d.supersede(ctx, tx, r, "staff", a.ID, e.EditBase, recv); err != nil {
					return err
				}
				continue
			}
			staff = true
		}
	}
	if len(dups) > 0 {
		sup, err := d.superseded(ctx, tx, dups)
		if err != nil {
			return err
		}
		for i, r := range recs {
			if out[i] == checkpoint.ResultDuplicate && sup[r.ID] {
				out[i] = checkpoint.ResultSuperseded
			}
		}
	}
	if sites {
		if err := d.bump(ctx, tx, checkpoint.DatasetSites); err != nil {
			return err
		}
	}
	if staff {
		if err := d.bump(ctx, tx, checkpoint.DatasetStaff); err != nil {
			return err
		}
	}
	return nil
}

// Record returns the stored record with the given id, body bytes as received.
func (d *DB) Record(ctx context.Context, id string) (checkpoint.Record, error) {
	var r checkpoint.Record
	var kind, created string
	var body []byte
	err := d.db.QueryRowContext(ctx, d.q(`SELECT id, kind, device_id, site_id, staff_id, created_at, body FROM records WHERE id = ?`), id).
		Scan(&r.ID, &kind, &r.DeviceID, &r.SiteID, &r.StaffID, &created, &body)
	if err == sql.ErrNoRows {
		return r, fmt.Errorf("sqldb: record %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("sqldb: record: %w", err)
	}
	r.Kind = checkpoint.RecordKind(kind)
	r.CreatedAt = ptime(created)
	r.Body = body
	return r, nil
}

// CountRecords returns how many records of each kind HQ holds.
func (d *DB) CountRecords(ctx context.Context) (map[checkpoint.RecordKind]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT kind, COUNT(*) FROM records GROUP BY kind`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: count records: %w", err)
	}
	defer rows.Close()
	m := map[checkpoint.RecordKind]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("sqldb: count records: %w", err)
		}
		m[checkpoint.RecordKind(k)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: count records: %w", err)
	}
	return m, nil
}

// AddCounters adds deltas to named counters (rejected requests, forged credentials…).
func (d *DB) AddCounters(ctx context.Context, deltas map[string]int64) error {
	if len(deltas) == 0 {
		return nil
	}
	return d.tx(ctx, "add counters", func(tx *sql.Tx) error {
		for name, n := range deltas {
			if _, err := tx.ExecContext(ctx, d.q(`INSERT INTO counters (name, value) VALUES (?, 0) ON CONFLICT (name) DO NOTHING`), name); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, d.q(`UPDATE counters SET value = value + ? WHERE name = ?`), n, name); err != nil {
				return err
			}
		}
		return nil
	})
}

// Counters returns every persisted counter.
func (d *DB) Counters(ctx context.Context) (map[string]int64, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT name, value FROM counters`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: counters: %w", err)
	}
	defer rows.Close()
	m := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("sqldb: counters: %w", err)
		}
		m[k] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: counters: %w", err)
	}
	return m, nil
}

// HeldRecord is a record HQ stores without having accepted it, for an operator.
type HeldRecord struct {
	ID         string                `json:"id"`
	Kind       checkpoint.RecordKind `json:"kind"`
	DeviceID   string                `json:"device_id"`
	SiteID     string                `json:"site_id"`
	StaffID    string                `json:"staff_id"`
	CreatedAt  time.Time             `json:"created_at"`
	ReceivedAt time.Time             `json:"received_at"`
	Reason     string                `json:"reason"`
}

// Held lists held records, oldest received first, at most limit (≤ 0: 1000) after the id after
// (empty: from the start), for paging.
func (d *DB) Held(ctx context.Context, after string, limit int) ([]HeldRecord, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	rows, err := d.db.QueryContext(ctx, d.q(`SELECT id, kind, device_id, site_id, staff_id, created_at, received_at, held
		FROM records WHERE held <> '' AND id > ? ORDER BY id LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: held: %w", err)
	}
	defer rows.Close()
	out := []HeldRecord{}
	for rows.Next() {
		var h HeldRecord
		var kind, created, recv string
		if err := rows.Scan(&h.ID, &kind, &h.DeviceID, &h.SiteID, &h.StaffID, &created, &recv, &h.Reason); err != nil {
			return nil, fmt.Errorf("sqldb: held: %w", err)
		}
		h.Kind, h.CreatedAt, h.ReceivedAt = checkpoint.RecordKind(kind), ptime(created), ptime(recv)
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: held: %w", err)
	}
	return out, nil
}

// CountHeld returns how many records HQ holds without having accepted them.
func (d *DB) CountHeld(ctx context.Context) (int64, error) {
	var n int64
	if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM records WHERE held <> ''`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqldb: count held: %w", err)
	}
	return n, nil
}
