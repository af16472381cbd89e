package console

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	checkpoint "github.com/yongji-county/checkpoint"
)

// CSV import limits.
const (
	maxCSV     = 1 << 20
	maxCSVRows = 5000
)

// The audit actions of the console's risk-area changes.
const (
	AuditRiskAdd    = "risk_area.add"
	AuditRiskEdit   = "risk_area.edit"
	AuditRiskEnd    = "risk_area.end"
	AuditRiskImport = "risk_areas.import"
)

// riskRow is one area as the page shows it.
type riskRow struct {
	Key   string // code|from: what the edit and end forms name
	Area  checkpoint.RiskArea
	State string // active, ended, future
}

type riskBody struct {
	Rows    []riskRow
	Version string
	CanEdit bool
	Edit    *riskRow // the area being edited, or nil
	Form    riskForm // the add/edit form's values
	Rollout riskRollout
}

type riskForm struct {
	Key, Code, Level, From, To string
}

func areaKey(a checkpoint.RiskArea) string { return a.Code + "|" + fmtDay(a.From) }

// listVersion is a short hash of the list: forms carry it, so a change made from a page that
// no longer shows the list in force is refused, not lost.
func listVersion(l checkpoint.RiskList) string {
	b, _ := json.Marshal(l)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (h *handler) riskList(ctx context.Context) (checkpoint.RiskList, error) {
	l, err := h.core.RiskAreas(ctx)
	if err != nil {
		return nil, err
	}
	if l == nil {
		l = checkpoint.RiskList{}
	}
	return l, nil
}

func (h *handler) riskPage(w http.ResponseWriter, r *http.Request, op Operator) {
	h.renderRisk(w, r, op, http.StatusOK, "", nil)
}

// renderRisk shows 风险地区 with an error key and the form's values, if any.
func (h *handler) renderRisk(w http.ResponseWriter, r *http.Request, op Operator, status int, errKey string, f *riskForm) {
	l, err := h.riskList(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	now := h.cfg.Now()
	b := riskBody{Version: listVersion(l), CanEdit: op.Role.Can(PermRisk)}
	for _, a := range l {
		st := "active"
		switch {
		case now.Before(a.From):
			st = "future"
		case !a.ActiveAt(now):
			st = "ended"
		}
		b.Rows = append(b.Rows, riskRow{Key: areaKey(a), Area: a, State: st})
	}
	if f != nil {
		b.Form = *f
	} else if k := r.URL.Query().Get("edit"); k != "" {
		for i := range b.Rows {
			if b.Rows[i].Key == k {
				row := b.Rows[i]
				b.Edit = &row
				b.Form = riskForm{Key: k, Code: row.Area.Code, Level: string(row.Area.Level), From: fmtDay(row.Area.From), To: fmtDay(row.Area.To)}
			}
		}
	}
	if b.Form.Key != "" && b.Edit == nil {
		for i := range b.Rows {
			if b.Rows[i].Key == b.Form.Key {
				row := b.Rows[i]
				b.Edit = &row
			}
		}
	}
	if b.Form.From == "" {
		b.Form.From = fmtDay(now)
	}
	if b.Form.Level == "" {
		b.Form.Level = string(checkpoint.RiskHigh)
	}
	if b.Rollout, err = h.riskRollout(r.Context()); err != nil {
		h.internal(w, r, err)
		return
	}
	h.render(w, r, status, pageData{Page: "risk", Nav: "risk", Op: op, Error: errKey, Body: b})
}

// parseArea reads one area from text fields: level in English or Chinese, days as YYYY-MM-DD.
func parseArea(code, level, from, to string) (checkpoint.RiskArea, error) {
	code, from, to = strings.TrimSpace(code), strings.TrimSpace(from), strings.TrimSpace(to)
	lv, ok := levels[strings.TrimSpace(level)]
	if !ok {
		return checkpoint.RiskArea{}, errors.New("level")
	}
	a := checkpoint.RiskArea{Code: code, Level: lv}
	var err error
	if a.From, err = time.ParseInLocation("2006-01-02", from, checkpoint.ChinaTime); err != nil {
		return a, errors.New("from")
	}
	if to != "" {
		if a.To, err = time.ParseInLocation("2006-01-02", to, checkpoint.ChinaTime); err != nil {
			return a, errors.New("to")
		}
	}
	if err := a.Validate(); err != nil {
		switch {
		case strings.Contains(err.Error(), "code"):
			return a, errors.New("code")
		case strings.Contains(err.Error(), "to before from"):
			return a, errors.New("order")
		}
		return a, errors.New("area")
	}
	return a, nil
}

var levels = map[string]checkpoint.RiskLevel{
	"high": checkpoint.RiskHigh, "medium": checkpoint.RiskMedium, "low": checkpoint.RiskLow,
	"高": checkpoint.RiskHigh, "中": checkpoint.RiskMedium, "低": checkpoint.RiskLow,
	"高风险": checkpoint.RiskHigh, "中风险": checkpoint.RiskMedium, "低风险": checkpoint.RiskLow,
}

// fieldErr maps parseArea's field to the page's message key.
func fieldErr(err error) string { return "err_risk_" + err.Error() }

// riskSave adds an area (no key) or replaces the one the key names.
func (h *handler) riskSave(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	f := riskForm{Key: r.PostFormValue("key"), Code: r.PostFormValue("code"), Level: r.PostFormValue("level"), From: r.PostFormValue("from"),
		To: r.PostFormValue("to")}
	a, err := parseArea(f.Code, f.Level, f.From, f.To)
	if err != nil {
		h.renderRisk(w, r, op, http.StatusBadRequest, fieldErr(err), &f)
		return
	}
	l, err := h.riskList(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if r.PostFormValue("version") != listVersion(l) {
		h.renderRisk(w, r, op, http.StatusConflict, "err_risk_changed", &f)
		return
	}
	next := append(checkpoint.RiskList(nil), l...)
	var before any
	action := AuditRiskAdd
	idx := -1
	for i, x := range next {
		if f.Key != "" && areaKey(x) == f.Key {
			idx = i
		}
	}
	if f.Key != "" && idx < 0 {
		h.renderRisk(w, r, op, http.StatusNotFound, "err_risk_gone", &f)
		return
	}
	for i, x := range next {
		if areaKey(x) == areaKey(a) && i != idx {
			h.renderRisk(w, r, op, http.StatusConflict, "err_risk_dup", &f)
			return
		}
	}
	if idx >= 0 {
		before, action = next[idx], AuditRiskEdit
		next[idx] = a
	} else {
		next = append(next, a)
	}
	if err := h.core.SetRiskAreas(r.Context(), next); err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, action, a.Code, before, a)
	http.Redirect(w, r, Prefix+"risk?done=saved", http.StatusSeeOther)
}

// riskEnd ends an area: its last day becomes yesterday (China time), or, for an area that has
// not begun before today, it is removed.
func (h *handler) riskEnd(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxForm) {
		h.fail(w, r, http.StatusBadRequest, "err_form")
		return
	}
	l, err := h.riskList(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if r.PostFormValue("version") != listVersion(l) {
		h.renderRisk(w, r, op, http.StatusConflict, "err_risk_changed", nil)
		return
	}
	key := r.PostFormValue("key")
	y, m, d := h.cfg.Now().In(checkpoint.ChinaTime).Date()
	yesterday := time.Date(y, m, d-1, 0, 0, 0, 0, checkpoint.ChinaTime)
	var next checkpoint.RiskList
	var before, after any
	found := false
	for _, a := range l {
		if areaKey(a) != key || found {
			next = append(next, a)
			continue
		}
		found, before = true, a
		if a.From.After(yesterday) {
			continue // not begun before today: removed
		}
		if a.To.IsZero() || a.To.After(yesterday) {
			a.To = yesterday
		}
		after = a
		next = append(next, a)
	}
	if !found {
		h.renderRisk(w, r, op, http.StatusNotFound, "err_risk_gone", nil)
		return
	}
	if err := h.core.SetRiskAreas(r.Context(), next); err != nil {
		h.internal(w, r, err)
		return
	}
	code, _, _ := strings.Cut(key, "|")
	h.audit(r, op, AuditRiskEnd, code, before, after)
	http.Redirect(w, r, Prefix+"risk?done=ended", http.StatusSeeOther)
}

// ImportRow is one line of a CSV import as the preview shows it.
type ImportRow struct {
	Line   int
	Fields []string
	Area   checkpoint.RiskArea
	Action string // "add" or "replace" when good
	Error  string // a string key when bad
}

type importBody struct {
	Rows    []ImportRow
	Bad     int
	CSV     string
	Version string
}

// parseImport reads CSV rows code,level,from[,to] (a header row naming "code" is skipped) and
// says what each would do to l: every bad row is named, with why.
func parseImport(data string, l checkpoint.RiskList) ([]ImportRow, int, error) {
	if !utf8.ValidString(data) {
		return nil, 0, errors.New("utf8")
	}
	data = strings.TrimPrefix(data, "\ufeff")
	cr := csv.NewReader(strings.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	have := map[string]bool{}
	for _, a := range l {
		have[areaKey(a)] = true
	}
	seen := map[string]int{}
	var rows []ImportRow
	bad := 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rows = append(rows, ImportRow{Line: pe.Line, Error: "imp_syntax"})
				bad++
				break
			}
			return nil, 0, err
		}
		if len(rows) == 0 && len(rec) > 0 && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(rec[0], "\ufeff")), "code") {
			continue
		}
		if len(rows) >= maxCSVRows {
			rows = append(rows, ImportRow{Line: line, Error: "imp_too_many"})
			bad++
			break
		}
		row := ImportRow{Line: line, Fields: rec}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < 3 || len(rec) > 4 {
			row.Error = "imp_columns"
		} else {
			to := ""
			if len(rec) == 4 {
				to = rec[3]
			}
			a, err := parseArea(rec[0], rec[1], rec[2], to)
			if err != nil {
				row.Error = "imp_" + err.Error()
			} else if first, dup := seen[areaKey(a)]; dup {
				row.Error = "imp_dup"
				row.Fields = append(row.Fields, fmt.Sprint(first))
			} else {
				seen[areaKey(a)] = line
				row.Area, row.Action = a, "add"
				if have[areaKey(a)] {
					row.Action = "replace"
				}
			}
		}
		if row.Error != "" {
			bad++
		}
		rows = append(rows, row)
	}
	return rows, bad, nil
}

// merge applies good import rows to l: an area with the same code and first day is replaced,
// others are added at the end.
func merge(l checkpoint.RiskList, rows []ImportRow) checkpoint.RiskList {
	next := append(checkpoint.RiskList(nil), l...)
	pos := map[string]int{}
	for i, a := range next {
		pos[areaKey(a)] = i
	}
	for _, r := range rows {
		if i, ok := pos[areaKey(r.Area)]; ok {
			next[i] = r.Area
			continue
		}
		pos[areaKey(r.Area)] = len(next)
		next = append(next, r.Area)
	}
	return next
}

// importText is the CSV of an import form: the uploaded file, else the text field.
func importText(r *http.Request) (string, error) {
	if f, _, err := r.FormFile("file"); err == nil {
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxCSV+1))
		if err != nil {
			return "", err
		}
		if len(b) > maxCSV {
			return "", errors.New("too large")
		}
		if len(bytes.TrimSpace(b)) > 0 {
			return string(b), nil
		}
	}
	return r.PostFormValue("csv"), nil
}

// riskImport shows what an import would do; nothing is applied.
func (h *handler) riskImport(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxCSV+maxForm) {
		h.fail(w, r, http.StatusRequestEntityTooLarge, "err_csv_size")
		return
	}
	text, err := importText(r)
	if err != nil {
		h.fail(w, r, http.StatusRequestEntityTooLarge, "err_csv_size")
		return
	}
	l, err := h.riskList(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	rows, bad, err := parseImport(text, l)
	if err != nil {
		h.renderRisk(w, r, op, http.StatusBadRequest, "err_csv_encoding", nil)
		return
	}
	status := http.StatusOK
	errKey := ""
	if bad > 0 {
		status, errKey = http.StatusUnprocessableEntity, "err_import_bad"
	} else if len(rows) == 0 {
		status, errKey = http.StatusBadRequest, "err_import_empty"
	}
	h.render(w, r, status, pageData{Page: "import", Nav: "risk", Op: op, Error: errKey,
		Body: importBody{Rows: rows, Bad: bad, CSV: text, Version: listVersion(l)}})
}

// riskApply applies an import whose preview showed no bad row, if the list has not changed
// since the preview.
func (h *handler) riskApply(w http.ResponseWriter, r *http.Request, op Operator) {
	if !form(w, r, maxCSV+maxForm) {
		h.fail(w, r, http.StatusRequestEntityTooLarge, "err_csv_size")
		return
	}
	text := r.PostFormValue("csv")
	l, err := h.riskList(r.Context())
	if err != nil {
		h.internal(w, r, err)
		return
	}
	if r.PostFormValue("version") != listVersion(l) {
		h.renderRisk(w, r, op, http.StatusConflict, "err_risk_changed", nil)
		return
	}
	rows, bad, err := parseImport(text, l)
	if err != nil || bad > 0 || len(rows) == 0 {
		h.render(w, r, http.StatusUnprocessableEntity, pageData{Page: "import", Nav: "risk", Op: op, Error: "err_import_bad",
			Body: importBody{Rows: rows, Bad: bad, CSV: text, Version: listVersion(l)}})
		return
	}
	next := merge(l, rows)
	if err := h.core.SetRiskAreas(r.Context(), next); err != nil {
		h.internal(w, r, err)
		return
	}
	h.audit(r, op, AuditRiskImport, fmt.Sprintf("%d rows", len(rows)), l, next)
	http.Redirect(w, r, Prefix+"risk?done=applied", http.StatusSeeOther)
}
