package checkpoint

import (
	"errors"
	"testing"
	"time"
)

// retiredTrust is a trust list whose only key was retired at retiredAt, the way HQ publishes it.
func retiredTrust(retiredAt time.Time) TrustList {
	k := goldenTrust().Keys[0]
	k.NotAfter = retiredAt
	k.State, k.RetiredAt = KeyRetired, retiredAt
	return TrustList{Version: 2, Keys: []TrustedKey{k}}
}

// holderOfKey signs with the golden key and no window: whoever holds a retired or stolen key
// can write any issue time into the codes they sign.
func holderOfKey(t *testing.T) *Issuer { return goldenIssuer(t) }

// TestRetiredKeyBackdatedCode is the attack: after retirement the key's holder signs codes
// claiming an issue time just before it. Each verifies only within the kind's cap after the
// retirement, whatever expiry it claims.
func TestRetiredKeyBackdatedCode(t *testing.T) {
	retired := goldenNow
	trust := retiredTrust(retired)
	is := holderOfKey(t)
	for _, kind := range []CodeKind{KindLive, KindPrinted} {
		c := baseClaims()
		c.Kind = kind
		c.IssuedAt, c.ExpiresAt = retired.Add(-time.Minute), retired.Add(30*24*time.Hour)
		made := retired.Add(3 * time.Hour)
		text, _, err := is.Issue(c, made)
		if err != nil {
			t.Fatal(err)
		}
		limit := retired.Add(DefaultConfig().MaxValidity(kind))
		for _, tt := range []struct {
			at   time.Time
			want error
		}{
			{limit.Add(-2 * time.Minute), nil},
			{limit, ErrExpired},
			{retired.Add(8 * 24 * time.Hour), ErrExpired},
			{retired.Add(29 * 24 * time.Hour), ErrExpired},
		} {
			_, err := Verify(text, trust, nil, tt.at, DefaultConfig())
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("%s: Verify(backdated code from a key retired %s) at %s = %v; want %v",
					kind, retired.Format(time.RFC3339), tt.at.Format(time.RFC3339), err, tt.want)
			}
		}
	}
	// A code claiming an issue time after retirement never verifies.
	c := baseClaims()
	c.IssuedAt, c.ExpiresAt = retired.Add(time.Second), retired.Add(5*time.Minute)
	text, _, _ := is.Issue(c, retired)
	if _, err := Verify(text, trust, nil, retired.Add(time.Minute), DefaultConfig()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify(code issued after retirement) = %v; want ErrUnknownKey", err)
	}
}

// TestRetiredKeyHonestCodes: codes a key issued before retirement verify until their own expiry.
func TestRetiredKeyHonestCodes(t *testing.T) {
	retired := goldenNow
	is := holderOfKey(t)
	c := baseClaims()
	c.Kind = KindPrinted
	c.IssuedAt, c.ExpiresAt = retired.Add(-24*time.Hour), retired.Add(6*24*time.Hour)
	text, _, err := is.Issue(c, c.IssuedAt)
	if err != nil {
		t.Fatal(err)
	}
	trust := retiredTrust(retired)
	if _, err := Verify(text, trust, nil, retired.Add(5*24*time.Hour), DefaultConfig()); err != nil {
		t.Errorf("Verify(printed code issued a day before retirement) 5 days after = %v; want nil", err)
	}
	if _, err := Verify(text, trust, nil, c.ExpiresAt, DefaultConfig()); !errors.Is(err, ErrExpired) {
		t.Errorf("Verify at its expiry = %v; want ErrExpired", err)
	}
}

// TestDistrustedKey: a compromised key's codes are all invalid at once, with their own error.
func TestDistrustedKey(t *testing.T) {
	is := holderOfKey(t)
	c := baseClaims()
	text, _, err := is.Issue(c, goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	trust := goldenTrust()
	if _, err := Verify(text, trust, nil, goldenNow, DefaultConfig()); err != nil {
		t.Fatalf("Verify before distrust = %v", err)
	}
	trust.Keys[0].State = KeyDistrusted
	_, err = Verify(text, trust, nil, goldenNow, DefaultConfig())
	if !errors.Is(err, ErrKeyDistrusted) || ErrorKind(err) != "key_distrusted" {
		t.Errorf("Verify(code of a distrusted key) = %v (%s); want ErrKeyDistrusted", err, ErrorKind(err))
	}
	if m := MessageFor(ErrorKind(err)); m == MessageFor("no such kind") {
		t.Errorf("key_distrusted has no staff message")
	}
}

// TestPrintedCodeCap: a printed code claiming 30 days verifies for 7 days only; a live code
// claiming an hour for the live TTL plus the skew allowance.
func TestPrintedCodeCap(t *testing.T) {
	is := goldenIssuer(t)
	for _, tt := range []struct {
		kind   CodeKind
		claims time.Duration
		ok     time.Duration
		cap    time.Duration
	}{
		{KindPrinted, 30 * 24 * time.Hour, 6 * 24 * time.Hour, 7*24*time.Hour + ValiditySkew},
		{KindLive, time.Hour, 9 * time.Minute, 10*time.Minute + ValiditySkew},
	} {
		c := baseClaims()
		c.Kind, c.IssuedAt, c.ExpiresAt = tt.kind, goldenNow, goldenNow.Add(tt.claims)
		text, _, err := is.Issue(c, goldenNow)
		if err != nil {
			t.Fatal(err)
		}
		trust := goldenTrust()
		if _, err := Verify(text, trust, nil, goldenNow.Add(tt.ok), DefaultConfig()); err != nil {
			t.Errorf("%s code claiming %v: Verify after %v = %v; want nil", tt.kind, tt.claims, tt.ok, err)
		}
		if _, err := Verify(text, trust, nil, goldenNow.Add(tt.cap), DefaultConfig()); !errors.Is(err, ErrExpired) {
			t.Errorf("%s code claiming %v: Verify after %v = %v; want ErrExpired", tt.kind, tt.claims, tt.cap, err)
		}
	}
	// The live TTL comes from HQ's rules when they set one.
	c := baseClaims()
	c.IssuedAt, c.ExpiresAt = goldenNow, goldenNow.Add(time.Hour)
	text, _, _ := is.Issue(c, goldenNow)
	cfg := DefaultConfig()
	cfg.LiveTTL = 30 * time.Minute
	if _, err := Verify(text, goldenTrust(), nil, goldenNow.Add(25*time.Minute), cfg); err != nil {
		t.Errorf("live code under a 30-minute live TTL: Verify after 25 min = %v; want nil", err)
	}
}

func TestTrustListKeyStatesJSON(t *testing.T) {
	// A list from an older HQ has no state: every key is active.
	old := `{"version":1,"keys":[{"kid":"k1","public_key":"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=","not_before":"2022-01-01T00:00:00+08:00","not_after":"2022-06-01T00:00:00+08:00"}]}`
	tl, err := ParseTrustList([]byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if k := tl.Keys[0]; k.State != KeyActive || !k.RetiredAt.IsZero() {
		t.Errorf("key from an old trust list = %+v; want active", k)
	}
	cur := `{"version":2,"keys":[{"kid":"k1","public_key":"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=","not_before":"2022-01-01T00:00:00+08:00","state":"retired","retired_at":"2022-03-01T00:00:00+08:00"}]}`
	if tl, err = ParseTrustList([]byte(cur)); err != nil {
		t.Fatal(err)
	}
	if k := tl.Keys[0]; k.State != KeyRetired || k.RetiredAt.IsZero() || k.ValidAt(k.RetiredAt.Add(time.Second)) || !k.ValidAt(k.RetiredAt) {
		t.Errorf("retired key = %+v", k)
	}
	for _, bad := range []string{
		`{"version":2,"keys":[{"kid":"k1","public_key":"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=","state":"lost"}]}`,
		`{"version":2,"keys":[{"kid":"k1","public_key":"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=","state":"retired"}]}`,
		`{"version":2,"keys":[{"kid":"k1","public_key":"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=","not_before":"2022-03-01T00:00:00Z","state":"retired","retired_at":"2022-02-01T00:00:00Z"}]}`,
	} {
		if _, err := ParseTrustList([]byte(bad)); err == nil {
			t.Errorf("ParseTrustList(%s) = nil error", bad)
		}
	}
}

// TestMostSpecificRiskArea: a district listed low inside a high city is low.
func TestMostSpecificRiskArea(t *testing.T) {
	list, err := ParseRiskList([]byte(`[
		{"code":"220100","level":"high","from":"2022-03-01"},
		{"code":"220102","level":"low","from":"2022-03-01"},
		{"code":"22","level":"high","from":"2022-03-01"},
		{"code":"220221","level":"medium","from":"2022-03-01"},
		{"code":"220203","level":"high","from":"2022-03-01","to":"2022-03-05"},
		{"code":"220203","level":"low","from":"2022-03-01"}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		household, at string
		want          RiskLevel
		code          string
	}{
		{"220102", "2022-03-15 12:00", RiskLow, "220102"},
		{"220104", "2022-03-15 12:00", RiskHigh, "220100"},
		{"220221", "2022-03-15 12:00", RiskMedium, "220221"},
		{"220281", "2022-03-15 12:00", RiskHigh, "22"},
		{"220203", "2022-03-03 12:00", RiskHigh, "220203"}, // same area twice: the higher entry
		{"220203", "2022-03-15 12:00", RiskLow, "220203"},
	} {
		got, ok := list.Match(tt.household, day(tt.at))
		if !ok || got.Level != tt.want || got.Code != tt.code {
			t.Errorf("Match(%q, %s) = %+v, %v; want %s %s", tt.household, tt.at, got, ok, tt.code, tt.want)
		}
	}
}

// TestImplausibleTemperatureNeverPasses: every reading outside the plausible range is refer
// temp_implausible, including a typed 0.
func TestImplausibleTemperatureNeverPasses(t *testing.T) {
	c := baseClaims()
	for _, temp := range []Celsius{0, 12.5, 33.9, 43.1, 99.9, 999.9} {
		v := Decide(VerdictInput{Claims: &c, Temperature: temp, TempMeasured: true, Now: goldenNow})
		if v.Outcome != OutcomeRefer || !hasReason(v.Reasons, ReasonTempImplausible) {
			t.Errorf("Decide(green, measured %v °C) = %s %v; want refer temp_implausible", temp, v.Outcome, v.Reasons)
		}
		v = Decide(VerdictInput{Household: "220221", Temperature: temp, TempMeasured: true, Now: goldenNow})
		if v.Outcome != OutcomeRefer || !hasReason(v.Reasons, ReasonTempImplausible) {
			t.Errorf("Decide(no code, measured %v °C) = %s %v; want refer temp_implausible", temp, v.Outcome, v.Reasons)
		}
	}
	if v := Decide(VerdictInput{Claims: &c, Now: goldenNow}); !hasReason(v.Reasons, ReasonTempMissing) {
		t.Errorf("Decide(not measured) = %v; want temp_missing", v.Reasons)
	}
}

func hasReason(rs []Reason, r Reason) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func TestValidReason(t *testing.T) {
	for s, want := range map[string]bool{"": true, "密接": true, " 密接": false, "a\nb": false, "密密密密密密密密密密密密密密密密密": false} {
		if got := ValidReason(s); got != want {
			t.Errorf("ValidReason(%q) = %v; want %v", s, got, want)
		}
	}
}
