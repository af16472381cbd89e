package checkpoint

import (
	"errors"
	"testing"
)

func TestParseCelsius(t *testing.T) {
	tests := []struct {
		in   string
		want Celsius
		err  error
	}{
		{"36.5", 36.5, nil},
		{"36,5", 36.5, nil},
		{" 36.5 ", 36.5, nil},
		{"36.55", 36.6, nil}, // rounded half up on the decimal digits
		{"36.549", 36.5, nil},
		{"37.25", 37.3, nil},
		{"37.249", 37.2, nil},
		{"36.95", 37.0, nil},
		{"37", 37.0, nil},
		{"37.", 37.0, nil},
		{"36.5℃", 36.5, nil},
		{"36.5°C", 36.5, nil},
		{"36.5 °C", 36.5, nil},
		{"99.9", 99.9, nil}, // parses; Config.CheckTemperature rejects it
		{"", 0, ErrTempFormat},
		{".5", 0, ErrTempFormat},
		{"-36.5", 0, ErrTempFormat},
		{"36.5.1", 0, ErrTempFormat},
		{"abc", 0, ErrTempFormat},
		{"1e2", 0, ErrTempFormat},
		{"NaN", 0, ErrTempFormat},
		{"3650", 0, ErrTempFormat},
	}
	for _, tt := range tests {
		got, err := ParseCelsius(tt.in)
		if !errors.Is(err, tt.err) || got != tt.want {
			t.Errorf("ParseCelsius(%q) = %v, %v; want %v, %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestCelsiusString(t *testing.T) {
	for _, tt := range []struct {
		in   Celsius
		want string
	}{{36.5, "36.5"}, {37, "37.0"}, {37.25, "37.3"}} {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("Celsius(%v).String() = %q; want %q", float64(tt.in), got, tt.want)
		}
	}
}
