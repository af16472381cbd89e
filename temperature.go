package checkpoint

import (
	"errors"
	"math"
	"strconv"
	"strings"
)

// Errors about temperatures. ErrTempImplausible means the reading cannot be a body temperature:
// staff should measure again (重新测量).
var (
	ErrTempFormat      = errors.New("temperature: not a number like 36.5")
	ErrTempImplausible = errors.New("temperature: outside the plausible range, measure again")
)

// Celsius is a body temperature in degrees Celsius, always held rounded to one decimal.
// The zero value means "not measured".
type Celsius float64

// ParseCelsius parses a reading such as "36.5", "36,5" (decimal comma), "36.5℃" or "36.5°C".
// Extra decimals are rounded half up to one decimal on the decimal digits themselves, so "36.55"
// is 36.6 and "37.25" is 37.3 (no binary floating-point surprises). Range checks are the
// Config's job (CheckTemperature).
func ParseCelsius(s string) (Celsius, error) {
	s = strings.TrimSpace(s)
	for _, suf := range []string{"℃", "°C", "°c", "°", "C", "c"} {
		if t, ok := strings.CutSuffix(s, suf); ok {
			s = strings.TrimSpace(t)
			break
		}
	}
	ip, fp, _ := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if ip == "" || len(ip) > 3 || !allDigits(ip) || !allDigits(fp) {
		return 0, ErrTempFormat
	}
	tenths, _ := strconv.Atoi(ip)
	tenths *= 10
	if len(fp) > 0 {
		tenths += int(fp[0] - '0')
	}
	if len(fp) > 1 && fp[1] >= '5' {
		tenths++
	}
	return Celsius(float64(tenths) / 10), nil
}

// Tenths returns c in tenths of a degree (36.6 → 366), the unit all comparisons use.
func (c Celsius) Tenths() int { return int(math.Round(float64(c) * 10)) }

// String formats c with one decimal, e.g. "36.5".
func (c Celsius) String() string { return strconv.FormatFloat(float64(c.Tenths())/10, 'f', 1, 64) }
