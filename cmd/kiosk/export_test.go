package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// exportFixture makes a kiosk data dir with three entries, one with hostile remarks.
func exportFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.OpenDir(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	meta := func(day int) store.Meta {
		return store.Meta{DeviceID: "d1", SiteID: "s1", StaffID: "st1", At: time.Date(2022, 4, day, 2, 0, 0, 0, time.UTC)}
	}
	p := checkpoint.Personal{Name: "张三", ID: "220221199001011233", Phone: "13800138000"}
	households := map[int]string{1: "220221", 2: "110103", 3: "220299"} // current, retired, unknown
	for day, remarks := range map[int]string{1: "=HYPERLINK(\"http://x\")", 2: "+1", 3: "正常"} {
		c := checkpoint.Check{Verdict: "pass", Reasons: []string{"green_code"}, IDMasked: "220221********1233", NameMasked: "张*", TempTenths: 366,
			Household: households[day], Remarks: remarks}
		if _, err := db.SaveCheck(ctx, meta(day), c, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.SaveRegistration(ctx, meta(2), checkpoint.Registration{Verdict: "pass", Remarks: "@SUM(A1)"}, p); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runExportOK(t *testing.T, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := runExport(context.Background(), args, &out, &errb); code != 0 {
		t.Fatalf("export %q exit %d: %s", args, code, errb.String())
	}
}

func TestExportCSV(t *testing.T) {
	dir := exportFixture(t)
	path := filepath.Join(t.TempDir(), "log.csv")
	runExportOK(t, "--data", dir, "--out", path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Error("CSV lacks the UTF-8 BOM")
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 5 {
		t.Fatalf("CSV rows = %d; want header + 4", len(recs))
	}
	assertSafe(t, "csv", recs[1:])
	assertHousehold(t, "csv", recs)
}

func TestExportXLSX(t *testing.T) {
	dir := exportFixture(t)
	path := filepath.Join(t.TempDir(), "log.xlsx")
	runExportOK(t, "--data", dir, "--out", path, "--from", "2022-04-02", "--to", "2022-04-03")
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("xlsx rows = %d; want header + 3 (days 2 and 3)", len(rows))
	}
	assertSafe(t, "xlsx", rows[1:])
	assertHousehold(t, "xlsx", rows)
	if typ, _ := x.GetCellType("Sheet1", "J2"); typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("temperature cell J2 has type %v; want a number", typ)
	}
	for r := 2; r <= len(rows); r++ {
		cell, _ := excelize.CoordinatesToCellName(6, r)
		typ, err := x.GetCellType("Sheet1", cell)
		if err != nil {
			t.Fatal(err)
		}
		if typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset && rows[r-1][5] != "" {
			v, _ := x.GetCellValue("Sheet1", cell)
			t.Errorf("ID cell %s = %q has type %v; want text", cell, v, typ)
		}
		if f, _ := x.GetCellFormula("Sheet1", cell); f != "" {
			t.Errorf("cell %s has a formula %q", cell, f)
		}
	}
}

// assertHousehold checks the household name column: after the code, the name RegionName gives
// (a retired code its old name, an unknown one 未知地区（code）).
func assertHousehold(t *testing.T, what string, rows [][]string) {
	t.Helper()
	if rows[0][7] != "户籍地 Household" || rows[0][8] != "户籍地名称 Household name" || rows[0][9] != "体温 Temp °C" {
		t.Fatalf("%s: header %q; want 户籍地, 户籍地名称, 体温 in columns 8-10", what, rows[0])
	}
	want := map[string]string{"220221": "吉林省吉林市永吉县", "110103": "北京市崇文区", "220299": "未知地区（220299）"}
	for _, row := range rows[1:] {
		if w, ok := want[row[7]]; !ok || row[8] != w {
			t.Errorf("%s: household %q named %q; want %q", what, row[7], row[8], w)
		}
		if row[9] != "36.6" && row[9] != "" {
			t.Errorf("%s: temperature cell = %q; want 36.6 or empty", what, row[9])
		}
	}
}

// assertSafe checks that no cell starts a formula and no full ID or phone appears.
func assertSafe(t *testing.T, what string, rows [][]string) {
	t.Helper()
	for _, row := range rows {
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("%s: cell %q starts a formula", what, cell)
			}
			if strings.Contains(cell, "199001011233") || strings.Contains(cell, "13800138000") || strings.Contains(cell, "张三") {
				t.Errorf("%s: cell %q holds unmasked personal data", what, cell)
			}
		}
		if row[5] != "220221********1233" {
			t.Errorf("%s: ID cell = %q; want the masked ID", what, row[5])
		}
	}
}

func TestExportUsage(t *testing.T) {
	dir := exportFixture(t)
	for _, args := range [][]string{
		{}, {"--data", dir}, {"--data", dir, "--out", "x.pdf"}, {"--data", dir, "--out", "x.csv", "--from", "yesterday"},
	} {
		var out, errb bytes.Buffer
		if code := runExport(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("export %q exit %d; want 2 (%s)", args, code, errb.String())
		}
	}
	if got := neutralise("-2"); got != "'-2" {
		t.Errorf("neutralise(-2) = %q", got)
	}
}
