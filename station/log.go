package station

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/export"
	"github.com/yongji-county/checkpoint/store"
)

// storeFilter is f as the store reads it: scanner staff see only their own checks.
func storeFilter(s Session, f LogFilter) (store.LogFilter, error) {
	sf := store.LogFilter{From: f.From, To: f.To, Verdict: f.Verdict, StaffID: f.StaffID, SiteID: f.SiteID,
		Search: strings.TrimSpace(f.Search), Limit: f.Limit, Offset: f.Offset}
	if !s.Supervisor {
		sf.StaffID = s.StaffID
	}
	if utf8.RuneCountInString(sf.Search) > 40 {
		return store.LogFilter{}, problem("search", "查找内容过长", "search text too long", nil)
	}
	return sf, nil
}

// StaffChoice is one account for the log's staff filter.
type StaffChoice struct {
	ID         string
	NameMasked string
	SiteID     string
}

// LogStaff lists the accounts of the supervisor's sites (their own and those below), for the
// log's staff filter, in roster order.
func (st *Station) LogStaff(ctx context.Context, s Session) ([]StaffChoice, error) {
	sites, err := st.Sites(ctx, s)
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for _, site := range sites {
		mine[site.ID] = true
	}
	roster, err := st.db.Roster(ctx)
	if err != nil {
		return nil, errStore(err)
	}
	var out []StaffChoice
	for _, p := range roster {
		if mine[p.SiteID] {
			out = append(out, StaffChoice{ID: p.ID, NameMasked: p.NameMasked, SiteID: p.SiteID})
		}
	}
	return out, nil
}

// LogDetail is one log record as its detail panel shows it: every field masked, the reasons as
// codes (the UI words them), and where the record stands with HQ.
type LogDetail struct {
	LogRow
	Reasons     []string
	PhoneMasked string
	CodeStatus  string // green, yellow, red; empty for registrations
	Remarks     string
	Sync        string // pending, synced or quarantined
	SyncedAt    time.Time
	// QuarantinedAt and Reason are set when HQ refused the record: its words, or its code.
	QuarantinedAt time.Time
	Reason        string
}

var errNoEntry = problem("no_entry", "找不到该记录", "no such record", nil)

// LogDetail returns one log record. Scanner staff may open only their own.
func (st *Station) LogDetail(ctx context.Context, s Session, id string) (LogDetail, error) {
	e, sy, err := st.db.Entry(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return LogDetail{}, errNoEntry
	} else if err != nil {
		return LogDetail{}, errStore(err)
	}
	if !s.Supervisor && e.StaffID != s.StaffID {
		return LogDetail{}, errNoEntry
	}
	d := LogDetail{LogRow: logRow(e), Reasons: e.Reasons, PhoneMasked: e.PhoneMasked, CodeStatus: e.CodeStatus,
		Remarks: e.Remarks, Sync: sy.Sync, SyncedAt: sy.SyncedAt, QuarantinedAt: sy.QuarantinedAt}
	if d.Sync == "quarantined" {
		d.Reason = strings.TrimSpace(sy.Message)
		if d.Reason == "" {
			d.Reason = sy.Error
		}
	}
	return d, nil
}

func logRow(e store.LogEntry) LogRow {
	r := LogRow{ID: e.ID, Kind: string(e.Kind), At: e.At, Name: e.NameMasked, IDMasked: e.IDMasked, Verdict: e.Verdict,
		StaffID: e.StaffID, SiteID: e.SiteID, Synced: e.Sync == "synced", Household: e.Household}
	if e.TempTenths > 0 {
		r.TempC = checkpoint.Celsius(float64(e.TempTenths) / 10).String()
	}
	return r
}

// Export formats for ExportLog.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// ExportLog writes the log rows matching f (Limit and Offset ignored) to a CSV or XLSX file in
// the data directory's exports/ folder, masked, and returns its path and the row count.
// Supervisors only.
func (st *Station) ExportLog(ctx context.Context, s Session, f LogFilter, format string) (string, int, error) {
	if !s.Supervisor {
		return "", 0, errNotSupervisor
	}
	if format != FormatCSV && format != FormatXLSX {
		return "", 0, problem("export_format", "导出格式只能是 CSV 或 XLSX", "export as CSV or XLSX", nil)
	}
	sf, err := storeFilter(s, f)
	if err != nil {
		return "", 0, err
	}
	dir := filepath.Join(filepath.Dir(st.db.Path()), "exports")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", 0, errStore(err)
	}
	path := filepath.Join(dir, "log-"+st.now().Format("20060102-150405")+"."+format)
	n, err := export.File(ctx, st.db, sf, path)
	if err != nil {
		return "", 0, errStore(err)
	}
	return path, n, nil
}
