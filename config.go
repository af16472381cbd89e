package checkpoint

import (
	"fmt"
	"time"
)

// Config holds the thresholds HQ sends to kiosks. Zero fields take the defaults (WithDefaults),
// so an older or partial config from HQ is still safe. Durations travel in JSON as nanoseconds
// (time.Duration's encoding).
type Config struct {
	// FeverC is the temperature from which a person is referred (发热, default 37.3).
	FeverC Celsius `json:"fever_c"`
	// MinPlausibleC and MaxPlausibleC bound a believable body temperature; a reading outside
	// them is a measuring error and must be taken again.
	MinPlausibleC Celsius `json:"min_plausible_c"`
	MaxPlausibleC Celsius `json:"max_plausible_c"`
	// LocalCounty is the division code of the county running the checkpoints (永吉县 220221).
	LocalCounty string `json:"local_county"`
	// MaxClockSkew is how far in the future a code's issue time may be before the kiosk's
	// clock is suspected to be wrong.
	MaxClockSkew time.Duration `json:"max_clock_skew"`
	// MaxCodeAge caps the age of any code whatever its own expiry says.
	MaxCodeAge time.Duration `json:"max_code_age"`
	// LiveTTL is the validity of a live (phone) code: HQ issues live codes for it, and a kiosk
	// accepts a live code for at most LiveTTL plus ValiditySkew after its issue time, whatever
	// the code claims (see MaxValidity).
	LiveTTL time.Duration `json:"live_ttl"`
}

// Verification caps (DESIGN §9: the verifier caps validity per kind, whatever the code claims).
const (
	// MaxPrintedValidity is the longest a printed code verifies after its issue time.
	MaxPrintedValidity = 7 * 24 * time.Hour
	// MaxLiveTTL bounds Config.LiveTTL: a live code lives for minutes.
	MaxLiveTTL = time.Hour
	// ValiditySkew is the allowance added to every cap for a kiosk clock running ahead of HQ's.
	ValiditySkew = 2 * time.Minute
)

// MaxValidity is the longest a code of kind k verifies after its issue time: LiveTTL for a
// live code, MaxPrintedValidity for a printed one, each plus ValiditySkew. Zero fields of c
// take their defaults.
func (c Config) MaxValidity(k CodeKind) time.Duration {
	c = c.WithDefaults()
	if k == KindPrinted {
		return MaxPrintedValidity + ValiditySkew
	}
	return c.LiveTTL + ValiditySkew
}

// DefaultConfig returns the safe defaults used until HQ has sent a config.
func DefaultConfig() Config {
	return Config{
		FeverC:        37.3,
		MinPlausibleC: 34.0,
		MaxPlausibleC: 43.0,
		LocalCounty:   "220221",
		MaxClockSkew:  5 * time.Minute,
		MaxCodeAge:    31 * 24 * time.Hour,
		LiveTTL:       KindLive.DefaultTTL(),
	}
}

// WithDefaults returns c with every zero field replaced by its default.
func (c Config) WithDefaults() Config {
	d := DefaultConfig()
	if c.FeverC == 0 {
		c.FeverC = d.FeverC
	}
	if c.MinPlausibleC == 0 {
		c.MinPlausibleC = d.MinPlausibleC
	}
	if c.MaxPlausibleC == 0 {
		c.MaxPlausibleC = d.MaxPlausibleC
	}
	if c.LocalCounty == "" {
		c.LocalCounty = d.LocalCounty
	}
	if c.MaxClockSkew == 0 {
		c.MaxClockSkew = d.MaxClockSkew
	}
	if c.MaxCodeAge == 0 {
		c.MaxCodeAge = d.MaxCodeAge
	}
	if c.LiveTTL == 0 {
		c.LiveTTL = d.LiveTTL
	}
	return c
}

// Validate reports the first field that is out of its sane range.
func (c Config) Validate() error {
	var err error
	switch {
	case c.MinPlausibleC < 30 || c.MaxPlausibleC > 45 || c.MinPlausibleC.Tenths() >= c.MaxPlausibleC.Tenths():
		err = fmt.Errorf("plausible range %v-%v °C must lie within 30-45 °C", c.MinPlausibleC, c.MaxPlausibleC)
	case c.FeverC.Tenths() <= c.MinPlausibleC.Tenths() || c.FeverC.Tenths() > c.MaxPlausibleC.Tenths():
		err = fmt.Errorf("fever threshold %v °C outside the plausible range", c.FeverC)
	case !ValidDivisionCode(c.LocalCounty):
		err = fmt.Errorf("local county %q is not a 6-digit division code", c.LocalCounty)
	case c.MaxClockSkew < 0 || c.MaxClockSkew > 24*time.Hour:
		err = fmt.Errorf("max clock skew %v must be within 0-24h", c.MaxClockSkew)
	case c.MaxCodeAge <= 0:
		err = fmt.Errorf("max code age %v must be positive", c.MaxCodeAge)
	case c.LiveTTL < time.Minute || c.LiveTTL > MaxLiveTTL:
		err = fmt.Errorf("live ttl %v must be within 1m-%v", c.LiveTTL, MaxLiveTTL)
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// CheckTemperature returns ErrTempImplausible when t is outside the plausible range.
func (c Config) CheckTemperature(t Celsius) error {
	if t.Tenths() < c.MinPlausibleC.Tenths() || t.Tenths() > c.MaxPlausibleC.Tenths() {
		return fmt.Errorf("%w: %v °C", ErrTempImplausible, t)
	}
	return nil
}

// Fever reports whether a plausible reading t is at or above the fever threshold.
func (c Config) Fever(t Celsius) bool { return t.Tenths() >= c.FeverC.Tenths() }
