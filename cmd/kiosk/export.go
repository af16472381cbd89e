package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

func init() {
	register("export", "export the local check log to .xlsx or .csv (masked)", runExport)
}

// exportHeader names the columns, Chinese first then English.
var exportHeader = []string{
	"时间 Time", "类型 Kind", "结论 Verdict", "原因 Reasons", "姓名 Name", "证件号 ID number", "手机 Phone",
	"户籍地 Household", "户籍地名称 Household name", "体温 Temp °C", "码状态 Code status", "站点 Site", "扫码员 Staff", "备注 Remarks",
	"同步 Sync", "记录 Record ID",
}

// exportTempCol is the index of the temperature column, which XLSX keeps a number.
const exportTempCol = 9

// exportOutput is the one-line JSON summary "kiosk export" prints.
type exportOutput struct {
	Rows int    `json:"rows"`
	Out  string `json:"out"`
}

// runExport writes the log to an Excel or CSV file. Personal data is masked: the kiosk holds
// full ID and phone numbers only sealed to HQ's key, so it cannot export them. Text cells that
// a spreadsheet would run as a formula are neutralised.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "", "kiosk data directory (holds kiosk.db)")
	out := fs.String("out", "", "output file, .xlsx or .csv")
	from := fs.String("from", "", "first day (YYYY-MM-DD, China time) or RFC 3339 time")
	to := fs.String("to", "", "last day, inclusive (YYYY-MM-DD) or RFC 3339 time, exclusive")
	verdict := fs.String("verdict", "", "only this verdict")
	const usage = "kiosk export: usage: kiosk export --data DIR --out FILE.xlsx|FILE.csv [--from DAY] [--to DAY] [--verdict V]"
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *data == "" || *out == "" {
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "kiosk export: %v\n", err)
		}
		fmt.Fprintln(stderr, usage)
		return 2
	}
	f := store.LogFilter{Verdict: *verdict}
	var err error
	if f.From, err = parseDay(*from, false); err != nil {
		fmt.Fprintf(stderr, "kiosk export: --from: %v\n", err)
		return 2
	}
	if f.To, err = parseDay(*to, true); err != nil {
		fmt.Fprintf(stderr, "kiosk export: --to: %v\n", err)
		return 2
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".xlsx" && ext != ".csv" {
		fmt.Fprintln(stderr, "kiosk export: --out must end in .xlsx or .csv")
		return 2
	}
	db, ok := openKiosk(ctx, "kiosk export", *data, stderr)
	if !ok {
		return 1
	}
	defer db.Close()
	var n int
	if ext == ".csv" {
		n, err = exportCSV(ctx, db, f, *out)
	} else {
		n, err = exportXLSX(ctx, db, f, *out)
	}
	if err != nil {
		os.Remove(*out)
		fmt.Fprintf(stderr, "kiosk export: %v\n", err)
		return 1
	}
	return writeJSONLine(stdout, stderr, exportOutput{Rows: n, Out: *out})
}

// parseDay reads a YYYY-MM-DD day in China time (the end of the day when end is set, so --to
// includes its day) or an RFC 3339 time. Empty means no bound.
func parseDay(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", s, checkpoint.ChinaTime); err == nil {
		if end {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Parse(time.RFC3339, s)
}

// exportRow is one entry as text cells; neutralised so no cell starts a formula.
func exportRow(e store.LogEntry) []string {
	temp := ""
	if e.TempTenths > 0 {
		temp = strconv.FormatFloat(float64(e.TempTenths)/10, 'f', 1, 64)
	}
	household, _ := checkpoint.RegionName(e.Household) // 未知地区（code） when not known
	row := []string{
		e.At.In(checkpoint.ChinaTime).Format("2006-01-02 15:04:05"), string(e.Kind), e.Verdict,
		strings.Join(e.Reasons, ","), e.NameMasked, e.IDMasked, e.PhoneMasked, e.Household, household, temp,
		e.CodeStatus, e.SiteID, e.StaffID, e.Remarks, e.Sync, e.ID,
	}
	for i, s := range row {
		row[i] = neutralise(s)
	}
	return row
}

// neutralise prefixes a quote to text a spreadsheet would treat as a formula (CSV injection):
// cells starting with = + - @, or with a tab or carriage return.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func exportCSV(ctx context.Context, db *store.DB, f store.LogFilter, path string) (int, error) {
	file, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	file.WriteString("\ufeff") // a BOM, so Excel reads the Chinese as UTF-8
	w := csv.NewWriter(file)
	w.Write(exportHeader)
	n := 0
	err = db.EachLog(ctx, f, func(e store.LogEntry) error {
		n++
		return w.Write(exportRow(e))
	})
	w.Flush()
	if err == nil {
		err = w.Error()
	}
	if err == nil {
		err = file.Close()
	}
	return n, err
}

func exportXLSX(ctx context.Context, db *store.DB, f store.LogFilter, path string) (int, error) {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "Sheet1"
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return 0, err
	}
	// Number format 49 is "@" (text): ID numbers must never become numbers (Excel keeps 15
	// significant digits and would turn an 18-digit ID into 2.20221E+17).
	text, err := x.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return 0, err
	}
	sw.SetColWidth(1, 1, 20)
	sw.SetColWidth(5, 7, 20)
	sw.SetColWidth(9, 9, 30) // household name
	header := make([]any, len(exportHeader))
	for i, h := range exportHeader {
		header[i] = h
	}
	if err := sw.SetRow("A1", header); err != nil {
		return 0, err
	}
	n := 0
	err = db.EachLog(ctx, f, func(e store.LogEntry) error {
		n++
		row := exportRow(e)
		cells := make([]any, len(row))
		for i, s := range row {
			cells[i] = excelize.Cell{StyleID: text, Value: s}
		}
		if e.TempTenths > 0 { // temperature stays a number
			cells[exportTempCol] = float64(e.TempTenths) / 10
		}
		cell, err := excelize.CoordinatesToCellName(1, n+1)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return n, err
	}
	if err := sw.Flush(); err != nil {
		return n, err
	}
	if err := x.SaveAs(path); err != nil {
		return n, err
	}
	return n, os.Chmod(path, 0o600)
}
