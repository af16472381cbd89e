package checkpoint

import (
	"encoding/json"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, ChinaTime)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRiskListMatch(t *testing.T) {
	list, err := ParseRiskList([]byte(`[
		{"code":"220100","level":"high","from":"2022-03-01","to":"2022-03-31"},
		{"code":"310000","level":"medium","from":"2022-03-01"},
		{"code":"310104","level":"high","from":"2022-04-01","to":"2022-04-30"},
		{"code":"4403","level":"low","from":"2022-03-01"},
		{"code":"440304","level":"medium","from":"2022-03-01"},
		{"code":"65","level":"high","from":"2022-03-01","to":"2022-03-01"},
		{"code":"220221","level":"low","from":"2022-03-01"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		household string
		at        string
		want      RiskLevel // "" for no match
		code      string
	}{
		{"220102", "2022-03-15 12:00", RiskHigh, "220100"},   // a county in the listed city
		{"220102", "2022-03-01 00:00", RiskHigh, "220100"},   // from is inclusive
		{"220102", "2022-03-31 23:59", RiskHigh, "220100"},   // to is inclusive, whole day
		{"220102", "2022-04-01 00:00", "", ""},               // after the period
		{"220102", "2022-02-28 23:59", "", ""},               // before the period
		{"220221", "2022-03-15 12:00", RiskLow, "220221"},    // Yongji is not in the city 2201
		{"310104", "2022-03-15 12:00", RiskMedium, "310000"}, // province-wide medium
		{"310104", "2022-04-15 12:00", RiskHigh, "310104"},   // the county is high later: highest wins
		{"310115", "2022-04-15 12:00", RiskMedium, "310000"},
		{"440304", "2022-03-15 12:00", RiskMedium, "440304"}, // county medium beats city low
		{"440305", "2022-03-15 12:00", RiskLow, "4403"},      // raw 4-digit entry
		{"650102", "2022-03-01 18:00", RiskHigh, "65"},       // raw 2-digit entry, single day
		{"650102", "2022-03-02 00:00", "", ""},
		{"110101", "2022-03-15 12:00", "", ""},
		{"2201", "2022-03-15 12:00", "", ""}, // a household code must be 6 digits
		{"", "2022-03-15 12:00", "", ""},
	}
	for _, tt := range tests {
		got, ok := list.Match(tt.household, day(tt.at))
		if got.Level != tt.want || ok != (tt.want != "") || got.Code != tt.code {
			t.Errorf("Match(%q, %s) = %+v, %v; want %s %s", tt.household, tt.at, got, ok, tt.code, tt.want)
		}
	}
	// Instants in other zones are compared as instants: 16:30 UTC on 31 March is 1 April in China.
	if _, ok := list.Match("220102", time.Date(2022, 3, 31, 16, 30, 0, 0, time.UTC)); ok {
		t.Errorf("Match at 2022-04-01 00:30 China time matched an area that ended on 31 March")
	}
}

func TestRiskAreaPrefix(t *testing.T) {
	for code, want := range map[string]string{"220000": "22", "220100": "2201", "220221": "220221", "2201": "2201", "2200": "22", "22": "22"} {
		if got := (RiskArea{Code: code}).Prefix(); got != want {
			t.Errorf("RiskArea{%q}.Prefix() = %q; want %q", code, got, want)
		}
	}
}

func TestParseRiskListRejects(t *testing.T) {
	for _, s := range []string{
		`{}`,
		`[{"code":"2202","level":"extreme","from":"2022-03-01"}]`,
		`[{"code":"22022","level":"high","from":"2022-03-01"}]`,
		`[{"code":"990000","level":"high","from":"2022-03-01"}]`,
		`[{"code":"220221","level":"high"}]`,
		`[{"code":"220221","level":"high","from":"2022-03-31","to":"2022-03-01"}]`,
		`[{"code":"220221","level":"high","from":"2022/03/01"}]`,
		`[{"code":"220221","level":"high","from":"2022-02-30"}]`,
	} {
		if l, err := ParseRiskList([]byte(s)); err == nil {
			t.Errorf("ParseRiskList(%s) = %+v, nil; want an error", s, l)
		}
	}
}

func TestRiskAreaJSONRoundTrip(t *testing.T) {
	in := `[{"code":"220100","level":"high","from":"2022-03-01","to":"2022-04-30"},{"code":"31","level":"low","from":"2022-03-01"}]`
	l, err := ParseRiskList([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(l)
	if string(out) != in {
		t.Errorf("risk list round trip = %s; want %s", out, in)
	}
}
