// Package export writes the kiosk's local log to CSV and Excel files. Personal data is masked:
// the kiosk holds full ID and phone numbers only sealed to HQ's key, so it cannot export them.
// Text cells a spreadsheet would run as a formula are neutralised.
package export

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// ErrFormat is returned by File for a path that ends in neither .csv nor .xlsx.
var ErrFormat = fmt.Errorf("export: file must end in .xlsx or .csv")

// File writes the entries matching f to path, as CSV or XLSX by its extension, and returns how
// many it wrote. On an error the partial file is removed.
func File(ctx context.Context, db *store.DB, f store.LogFilter, path string) (int, error) {
	var n int
	var err error
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv":
		n, err = CSV(ctx, db, f, path)
	case ".xlsx":
		n, err = XLSX(ctx, db, f, path)
	default:
		return 0, ErrFormat
	}
	if err != nil {
		os.Remove(path)
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// Header names the columns, Chinese first then English.
var Header = []string{
	"时间 Time", "类型 Kind", "结论 Verdict", "原因 Reasons", "姓名 Name", "证件号 ID number", "手机 Phone",
	"户籍地 Household", "户籍地名称 Household name", "体温 Temp °C", "码状态 Code status", "站点 Site", "扫码员 Staff", "备注 Remarks",
	"同步 Sync", "记录 Record ID",
}

// tempCol is the index of the temperature column, which XLSX keeps a number.
const tempCol = 9

// Row is one entry as text cells; neutralised so no cell starts a formula.
func Row(e store.LogEntry) []string {
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
		row[i] = Neutralise(s)
	}
	return row
}

// Neutralise prefixes a quote to text a spreadsheet would treat as a formula (CSV injection):
// cells starting with = + - @, or with a tab or carriage return.
func Neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// CSV writes the entries matching f to path as UTF-8 CSV with a BOM.
func CSV(ctx context.Context, db *store.DB, f store.LogFilter, path string) (int, error) {
	file, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer file.Close()
	file.WriteString("\ufeff") // a BOM, so Excel reads the Chinese as UTF-8
	w := csv.NewWriter(file)
	w.Write(Header)
	n := 0
	err = db.EachLog(ctx, f, func(e store.LogEntry) error {
		n++
		return w.Write(Row(e))
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

// XLSX writes the entries matching f to path as an Excel sheet; ID numbers stay text.
func XLSX(ctx context.Context, db *store.DB, f store.LogFilter, path string) (int, error) {
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
	header := make([]any, len(Header))
	for i, h := range Header {
		header[i] = h
	}
	if err := sw.SetRow("A1", header); err != nil {
		return 0, err
	}
	n := 0
	err = db.EachLog(ctx, f, func(e store.LogEntry) error {
		n++
		row := Row(e)
		cells := make([]any, len(row))
		for i, s := range row {
			cells[i] = excelize.Cell{StyleID: text, Value: s}
		}
		if e.TempTenths > 0 { // temperature stays a number
			cells[tempCol] = float64(e.TempTenths) / 10
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
