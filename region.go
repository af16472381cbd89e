package checkpoint

import (
	_ "embed"
	"strings"
	"sync"
)

//go:generate go run ./tools/regiongen -out regions.tsv

// regionsTSV is the generated table of current division names ("code<TAB>name" lines under a
// header that names the data package, its version and licence; see REGIONS-SOURCE.md).
//
//go:embed regions.tsv
var regionsTSV string

// regionTable parses regionsTSV once, on first use.
var regionTable = sync.OnceValue(func() map[string]string {
	m, _ := parseRegions(regionsTSV)
	return m
})

// parseRegions reads "code<TAB>name" lines, skipping comments and blank lines; bad counts the
// lines that are neither (a test holds it at zero).
func parseRegions(s string) (m map[string]string, bad int) {
	m = make(map[string]string, 3400)
	for line := range strings.Lines(s) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		code, name, ok := strings.Cut(line, "\t")
		if !ok || name == "" || !regionCode(code) {
			bad++
			continue
		}
		m[code] = name
	}
	return m, bad
}

// regionCode reports whether s has the shape of a province (2 digits), city (4) or county (6)
// code; it does not say the code exists.
func regionCode(s string) bool {
	return (len(s) == 2 || len(s) == 4 || len(s) == 6) && allDigits(s)
}

// placeholderCities are the city-level entries that are groupings, not places: the 市辖区 and
// 县 of the municipalities and the 省直辖县级行政区划 of some provinces. A county under one reads
// as province + county (北京市东城区, 湖北省仙桃市).
var placeholderCities = map[string]bool{
	"市辖区": true, "县": true, "省直辖县级行政区划": true, "自治区直辖县级行政区划": true,
}

// RegionName returns the Chinese name of a division code as staff read it, from the province
// down: 220221 → 吉林省吉林市永吉县, 110101 → 北京市东城区 (a municipality's 市辖区 and 县 and a
// province's 省直辖县级行政区划 are left out), 441900 → 广东省东莞市 (a county-level entry
// named like its city is not repeated). Province (22, 220000) and city (2202, 220200) codes
// resolve too; a city code that is a grouping reads with its grouping name (1101 → 北京市市辖区).
// A code ending in 01 under a known city reads as that city's 市辖区 (220201 → 吉林省吉林市市辖区),
// the GB/T 2260 code ID numbers of the time carry.
//
// Codes retired since (ID numbers keep the code of their time) come from a short history table
// and read with the name they had: 110103 → 北京市崇文区. A code that is none of these is not
// known and reads 未知地区（220299）; an empty code returns "".
func RegionName(code string) (name string, known bool) {
	if code == "" {
		return "", false
	}
	if n, ok := regionName(code); ok {
		return n, true
	}
	return "未知地区（" + code + "）", false
}

// RegionNameEN is RegionName for English screens. The data package has no English names, so a
// known code reads as its Chinese name with the code, 吉林省吉林市永吉县 (220221); an unknown one
// reads unknown region (220299).
func RegionNameEN(code string) (name string, known bool) {
	if code == "" {
		return "", false
	}
	if n, ok := regionName(code); ok {
		return n + " (" + code + ")", true
	}
	return "unknown region (" + code + ")", false
}

func regionName(code string) (string, bool) {
	if !regionCode(code) {
		return "", false
	}
	t := regionTable()
	if _, ok := t[code]; ok {
		return joinRegion(t, code), true
	}
	if r, ok := handKeptByCode[code]; ok {
		return r.Name, true
	}
	if len(code) != 6 {
		return "", false
	}
	switch city := code[:4]; {
	case strings.HasSuffix(code, "0000"):
		return regionName(code[:2])
	case strings.HasSuffix(code, "00"):
		return regionName(city)
	case strings.HasSuffix(code, "01") && t[city] != "" && !placeholderCities[t[city]]:
		return joinRegion(t, city) + "市辖区", true
	}
	return "", false
}

// joinRegion joins the names of code's province, city and county; code is in t.
func joinRegion(t map[string]string, code string) string {
	province := t[code[:2]]
	if len(code) == 2 {
		return province
	}
	city := t[code[:4]]
	if len(code) == 4 {
		return province + city
	}
	county := t[code]
	switch {
	case placeholderCities[city]:
		return province + county
	case county == city:
		return province + city
	}
	return province + city + county
}
