package checkpoint

import (
	"errors"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v; want nil", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"fever at max", func(c *Config) { c.FeverC = 43.0 }, true},
		{"fever below range", func(c *Config) { c.FeverC = 33.0 }, false},
		{"fever above range", func(c *Config) { c.FeverC = 43.1 }, false},
		{"inverted range", func(c *Config) { c.MinPlausibleC, c.MaxPlausibleC = 43, 34 }, false},
		{"range too wide", func(c *Config) { c.MaxPlausibleC = 50 }, false},
		{"bad county", func(c *Config) { c.LocalCounty = "2202" }, false},
		{"negative skew", func(c *Config) { c.MaxClockSkew = -time.Second }, false},
		{"no skew", func(c *Config) { c.MaxClockSkew = 0 }, true},
		{"zero age", func(c *Config) { c.MaxCodeAge = 0 }, false},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.edit(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v; want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestConfigWithDefaults(t *testing.T) {
	if got := (Config{}).WithDefaults(); got != DefaultConfig() {
		t.Errorf("Config{}.WithDefaults() = %+v; want %+v", got, DefaultConfig())
	}
	c := Config{FeverC: 37.5}.WithDefaults()
	if c.FeverC != 37.5 || c.MaxPlausibleC != 43 {
		t.Errorf("WithDefaults kept/filled wrongly: %+v", c)
	}
}

func TestConfigTemperature(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		in          Celsius
		implausible bool
		fever       bool
	}{
		{36.5, false, false},
		{37.2, false, false},
		{37.3, false, true},
		{39.0, false, true},
		{34.0, false, false},
		{33.9, true, false},
		{43.0, false, true},
		{43.1, true, true},
	}
	for _, tt := range tests {
		err := cfg.CheckTemperature(tt.in)
		if errors.Is(err, ErrTempImplausible) != tt.implausible {
			t.Errorf("CheckTemperature(%v) = %v; want implausible=%v", tt.in, err, tt.implausible)
		}
		if got := cfg.Fever(tt.in); got != tt.fever {
			t.Errorf("Fever(%v) = %v; want %v", tt.in, got, tt.fever)
		}
	}
}
