package checkpoint

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// RiskLevel is the level of a risk area. Levels order low < medium < high.
type RiskLevel string

// Risk levels.
const (
	RiskLow    RiskLevel = "low"
	RiskMedium RiskLevel = "medium"
	RiskHigh   RiskLevel = "high"
)

var riskRank = map[RiskLevel]int{RiskLow: 1, RiskMedium: 2, RiskHigh: 3}

// RiskArea is a listed area (a division code) with its level and period. From and To are calendar
// days in China time, both inclusive; a zero To means "until further notice".
type RiskArea struct {
	Code  string
	Level RiskLevel
	From  time.Time
	To    time.Time
}

// riskAreaJSON is the wire form: {"code":"220100","level":"high","from":"2022-03-01","to":"2022-04-30"}.
type riskAreaJSON struct {
	Code  string    `json:"code"`
	Level RiskLevel `json:"level"`
	From  string    `json:"from"`
	To    string    `json:"to,omitempty"`
}

const dateLayout = "2006-01-02"

// MarshalJSON writes the area with YYYY-MM-DD dates.
func (a RiskArea) MarshalJSON() ([]byte, error) {
	j := riskAreaJSON{Code: a.Code, Level: a.Level, From: a.From.In(ChinaTime).Format(dateLayout)}
	if !a.To.IsZero() {
		j.To = a.To.In(ChinaTime).Format(dateLayout)
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads and validates the wire form.
func (a *RiskArea) UnmarshalJSON(b []byte) error {
	var j riskAreaJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	r := RiskArea{Code: j.Code, Level: j.Level}
	var err error
	if r.From, err = time.ParseInLocation(dateLayout, j.From, ChinaTime); err != nil {
		return fmt.Errorf("risk area %q: from: %w", j.Code, err)
	}
	if j.To != "" {
		if r.To, err = time.ParseInLocation(dateLayout, j.To, ChinaTime); err != nil {
			return fmt.Errorf("risk area %q: to: %w", j.Code, err)
		}
	}
	if err := r.Validate(); err != nil {
		return err
	}
	*a = r
	return nil
}

// Validate checks the code (2, 4 or 6 digits), the level and the period.
func (a RiskArea) Validate() error {
	switch {
	case (len(a.Code) != 2 && len(a.Code) != 4 && len(a.Code) != 6) || !allDigits(a.Code) || !provinces[a.Code[:2]]:
		return fmt.Errorf("risk area %q: code must be a 2, 4 or 6-digit division code", a.Code)
	case riskRank[a.Level] == 0:
		return fmt.Errorf("risk area %q: level %q: want high, medium or low", a.Code, a.Level)
	case a.From.IsZero():
		return fmt.Errorf("risk area %q: from date missing", a.Code)
	case !a.To.IsZero() && a.To.Before(a.From):
		return fmt.Errorf("risk area %q: to before from", a.Code)
	}
	return nil
}

// Prefix is the division-code prefix the area covers: "22" for a province listed as "220000" or
// "22", "2201" for a city listed as "220100" or "2201", else the whole county code.
func (a RiskArea) Prefix() string {
	p := a.Code
	if len(p) == 6 && strings.HasSuffix(p, "00") {
		p = p[:4]
	}
	if len(p) == 4 && strings.HasSuffix(p, "00") {
		p = p[:2]
	}
	return p
}

// ActiveAt reports whether t falls within the area's period (whole days, China time).
func (a RiskArea) ActiveAt(t time.Time) bool {
	if t.Before(a.From) {
		return false
	}
	return a.To.IsZero() || t.Before(a.To.AddDate(0, 0, 1))
}

// RiskList is the risk-area list HQ publishes, a JSON array of areas.
type RiskList []RiskArea

// ParseRiskList decodes and validates a JSON risk list.
func ParseRiskList(data []byte) (RiskList, error) {
	var l RiskList
	if err := json.Unmarshal(data, &l); err != nil {
		return nil, fmt.Errorf("risk list: %w", err)
	}
	return l, nil
}

// Match returns the area that decides the 6-digit household code at t: among the areas active
// at t that cover it, the most specific one (a county before its city, a city before its
// province), so that a district listed low inside a high-risk city is low. Among entries for the
// same area the highest level wins, then the first listed.
func (l RiskList) Match(household string, at time.Time) (RiskArea, bool) {
	var best RiskArea
	if len(household) != 6 || !allDigits(household) {
		return best, false
	}
	for _, a := range l {
		p := a.Prefix()
		if riskRank[a.Level] == 0 || a.Code == "" || !a.ActiveAt(at) || !strings.HasPrefix(household, p) {
			continue
		}
		bp := best.Prefix()
		if best.Level == "" || len(p) > len(bp) || len(p) == len(bp) && riskRank[a.Level] > riskRank[best.Level] {
			best = a
		}
	}
	return best, best.Level != ""
}
