package checkpoint

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/healthcode_golden.json and the fuzz seed corpus")

// The golden key: a fixed seed, so that golden texts are reproducible (Ed25519 is deterministic).
var (
	goldenSeed = mustHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
	goldenKID  = "kgolden"
	goldenNow  = time.Date(2022, 3, 15, 10, 0, 0, 0, ChinaTime)
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func goldenIssuer(t testing.TB) *Issuer {
	is, err := NewIssuer(goldenKID, ed25519.NewKeyFromSeed(goldenSeed))
	if err != nil {
		t.Fatal(err)
	}
	return is
}

func goldenTrust() TrustList {
	return TrustList{Version: 1, Keys: []TrustedKey{{
		KID:       goldenKID,
		PublicKey: ed25519.NewKeyFromSeed(goldenSeed).Public().(ed25519.PublicKey),
		NotBefore: time.Date(2022, 1, 1, 0, 0, 0, 0, ChinaTime),
		NotAfter:  time.Date(2023, 1, 1, 0, 0, 0, 0, ChinaTime),
	}}}
}

// longName is a 30-character minority name, the longest ParseName accepts.
const longName = "阿卜杜克热木·阿卜杜热合曼·买买提明·艾则孜·吐尔逊·阿里木"

func baseClaims() Claims {
	return Claims{
		CodeID:    "0011223344556677",
		HolderID:  "8899aabbccddeeff",
		Name:      "张三",
		IDMasked:  "220221********1233",
		Household: "220221",
		Status:    StatusGreen,
		Kind:      KindLive,
		IssuedAt:  goldenNow,
		ExpiresAt: goldenNow.Add(10 * time.Minute),
	}
}

type goldenFile struct {
	Seed    string         `json:"seed"`
	KID     string         `json:"kid"`
	Revoked []string       `json:"revoked"`
	Codes   []goldenCode   `json:"codes"`
	Bad     []goldenBadTxt `json:"bad"`
}

type goldenCode struct {
	Name   string `json:"name"`
	Claims Claims `json:"claims"`
	Text   string `json:"text"`
}

type goldenBadTxt struct {
	Name  string    `json:"name"`
	Text  string    `json:"text"`
	Now   time.Time `json:"now"`
	Error string    `json:"error"`
}

func goldenClaims() []goldenCode {
	long := baseClaims()
	long.CodeID, long.Name, long.Status, long.Reason = "0123456789abcdef0123", longName, StatusRed, "密切接触者"
	printed := baseClaims()
	printed.CodeID, printed.Kind, printed.Status, printed.Reason = "a1a2a3a4a5a6a7a8a9a0", KindPrinted, StatusYellow, "travel"
	printed.Name, printed.IDMasked, printed.Household = "John Smith", "110105********002X", "110105"
	printed.ExpiresAt = goldenNow.Add(7 * 24 * time.Hour)
	later := baseClaims()
	later.CodeID, later.NotBefore = "ffeeddccbbaa99887766", goldenNow.Add(24*time.Hour)
	later.Kind, later.ExpiresAt = KindPrinted, goldenNow.Add(8*24*time.Hour)
	rare := baseClaims()
	rare.CodeID, rare.Name = "5555555555555555", "𠀀𪚥·王"
	return []goldenCode{
		{Name: "typical", Claims: baseClaims()},
		{Name: "long name red", Claims: long},
		{Name: "printed latin yellow", Claims: printed},
		{Name: "not before", Claims: later},
		{Name: "rare characters, 8-byte id", Claims: rare},
	}
}

// makeGolden computes the golden file from the fixed key; with -update it is written to testdata.
func makeGolden(t *testing.T) goldenFile {
	is := goldenIssuer(t)
	g := goldenFile{Seed: hex.EncodeToString(goldenSeed), KID: goldenKID, Revoked: []string{"deaddeaddeaddeaddead"}}
	for _, c := range goldenClaims() {
		text, signed, err := is.Issue(c.Claims, goldenNow)
		if err != nil {
			t.Fatalf("Issue(%s) = %v", c.Name, err)
		}
		g.Codes = append(g.Codes, goldenCode{Name: c.Name, Claims: signed, Text: text})
	}
	typical := g.Codes[0].Text
	other, _ := NewIssuer("kother", ed25519.NewKeyFromSeed(make([]byte, 32)))
	unknown, _, _ := other.Issue(baseClaims(), goldenNow)
	forger, _ := NewIssuer(goldenKID, ed25519.NewKeyFromSeed(make([]byte, 32)))
	forged, _, _ := forger.Issue(baseClaims(), goldenNow)
	rc := baseClaims()
	rc.CodeID = g.Revoked[0]
	revoked, _, _ := is.Issue(rc, goldenNow)
	oc := baseClaims()
	oc.IssuedAt, oc.ExpiresAt = time.Date(2021, 12, 31, 23, 0, 0, 0, ChinaTime), time.Date(2022, 12, 31, 0, 0, 0, 0, ChinaTime)
	outside, _, _ := is.Issue(oc, goldenNow)
	flipped := []byte(typical)
	flipped[10] = map[bool]byte{true: '1', false: '0'}[flipped[10] == '0']
	g.Bad = []goldenBadTxt{
		{"empty", "", goldenNow, kindNotOurs},
		{"url", "https://example.com/?code=" + typical, goldenNow, kindNotOurs},
		{"lowercase prefix", strings.ToLower(CodePrefix) + typical[len(CodePrefix):], goldenNow, kindNotOurs},
		{"prefix only", CodePrefix, goldenNow, kindMalformed},
		{"not base45", typical[:20] + "#" + typical[21:], goldenNow, kindMalformed},
		{"truncated", typical[:len(typical)-3], goldenNow, kindMalformed},
		{"truncated to payload", typical[:len(typical)-96], goldenNow, kindMalformed},
		{"unknown key", unknown, goldenNow, kindUnknownKey},
		{"key not valid at issue time", outside, goldenNow, kindUnknownKey},
		{"forged", forged, goldenNow, kindBadSignature},
		{"flipped character", string(flipped), goldenNow, kindMalformed},
		{"expired", typical, goldenNow.Add(10 * time.Minute), kindExpired},
		{"expired long ago", typical, goldenNow.Add(30 * 24 * time.Hour), kindExpired},
		{"clock behind", typical, goldenNow.Add(-6 * time.Minute), kindClockSkew},
		{"not yet valid", g.Codes[3].Text, goldenNow.Add(time.Hour), kindNotYetValid},
		{"revoked", revoked, goldenNow, kindRevoked},
	}
	return g
}

func TestGoldenVectors(t *testing.T) {
	path := filepath.Join("testdata", "healthcode_golden.json")
	if *update {
		g := makeGolden(t)
		data, _ := json.MarshalIndent(g, "", "  ")
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		writeFuzzCorpus(t, g)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g goldenFile
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	is := goldenIssuer(t)
	trust := goldenTrust()
	revoked := NewRevocationList(1, g.Revoked)
	for _, c := range g.Codes {
		text, _, err := is.Issue(c.Claims, goldenNow)
		if err != nil || text != c.Text {
			t.Errorf("%s: Issue = %q, %v; want %q", c.Name, text, err, c.Text)
		}
		now := goldenNow
		if !c.Claims.NotBefore.IsZero() {
			now = c.Claims.NotBefore
		}
		got, err := Verify(c.Text, trust, revoked, now, DefaultConfig())
		if err != nil || !sameClaims(got, c.Claims) {
			t.Errorf("%s: Verify(%q) = %+v, %v; want %+v", c.Name, c.Text, got, err, c.Claims)
		}
	}
	for _, b := range g.Bad {
		_, err := Verify(b.Text, trust, revoked, b.Now, DefaultConfig())
		if got := ErrorKind(err); got != b.Error {
			t.Errorf("%s: Verify(%q) = %v (%s); want %s", b.Name, b.Text, err, got, b.Error)
		}
	}
	// The golden file must still be exactly what the code produces: a change of encoding is a
	// change of the wire format (run go test -run TestGoldenVectors -update only on purpose).
	want, _ := json.MarshalIndent(makeGolden(t), "", "  ")
	if string(append(want, '\n')) != string(data) {
		t.Errorf("%s is out of date with the encoder", path)
	}
}

func TestClaimsLogValue(t *testing.T) {
	var buf strings.Builder
	c := baseClaims()
	c.Name = "张小三"
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("verified", "claims", c)
	if strings.Contains(buf.String(), "张小三") || !strings.Contains(buf.String(), "张*三") {
		t.Errorf("logged claims = %s; want the name masked", buf.String())
	}
}

func sameClaims(a, b Claims) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// writeFuzzCorpus commits the golden texts as seeds for FuzzParseCode.
func writeFuzzCorpus(t *testing.T, g goldenFile) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParseCode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, c := range g.Codes {
		texts = append(texts, c.Text)
	}
	for _, b := range g.Bad {
		texts = append(texts, b.Text)
	}
	for i, s := range texts {
		body := "go test fuzz v1\nstring(" + strconv.Quote(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("golden%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzParseCode(f *testing.F) {
	f.Add("JXM:")
	f.Add("JXM:BB8")
	is := goldenIssuer(f)
	trust := goldenTrust()
	f.Fuzz(func(t *testing.T, text string) {
		c, err := Verify(text, trust, nil, goldenNow, DefaultConfig())
		if err != nil {
			if ErrorKind(err) == kindUnknown {
				t.Fatalf("Verify(%q) = %v; not a sentinel error", text, err)
			}
			return
		}
		again, _, err := is.Issue(c, goldenNow)
		if err != nil || again != strings.TrimSpace(text) {
			t.Fatalf("Verify(%q) ok but re-issuing its claims gives %q, %v", text, again, err)
		}
	})
}

// TestTamperEveryCharacter replaces every character of a valid code with several others: no
// single-character change may verify.
func TestTamperEveryCharacter(t *testing.T) {
	is := goldenIssuer(t)
	trust := goldenTrust()
	c := baseClaims()
	c.Name, c.Reason = longName, "密接"
	for _, c := range []Claims{baseClaims(), c} {
		text, _, err := is.Issue(c, goldenNow)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(text) {
			for _, r := range []byte("0AZ9 %:.-X") {
				if text[i] == r {
					continue
				}
				bad := text[:i] + string(r) + text[i+1:]
				if got, err := Verify(bad, trust, nil, goldenNow, DefaultConfig()); err == nil {
					t.Fatalf("Verify(%q) (position %d = %q) = %+v, nil; want an error", bad, i, r, got)
				}
			}
		}
	}
}

func TestVerifyErrors(t *testing.T) {
	is := goldenIssuer(t)
	trust := goldenTrust()
	text, claims, err := is.Issue(baseClaims(), goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	tests := []struct {
		name    string
		text    string
		trust   TrustList
		revoked Revocations
		now     time.Time
		want    error
	}{
		{"valid", text, trust, nil, goldenNow, nil},
		{"valid with spaces and newline", " " + text + "\r\n", trust, nil, goldenNow, nil},
		{"valid just before expiry", text, trust, nil, claims.ExpiresAt.Add(-time.Second), nil},
		{"at expiry", text, trust, nil, claims.ExpiresAt, ErrExpired},
		{"kiosk clock 4m behind", text, trust, nil, goldenNow.Add(-4 * time.Minute), nil},
		{"kiosk clock 6m behind", text, trust, nil, goldenNow.Add(-6 * time.Minute), ErrClockSkew},
		{"empty trust list", text, TrustList{}, nil, goldenNow, ErrUnknownKey},
		{"revoked", text, trust, NewRevocationList(1, []string{claims.CodeID}), goldenNow, ErrRevoked},
		{"other id revoked", text, trust, NewRevocationList(1, []string{"00"}), goldenNow, nil},
		{"nil revocation list", text, trust, (*RevocationList)(nil), goldenNow, nil},
		{"not ours", "HC1:" + text[4:], trust, nil, goldenNow, ErrNotOurs},
	}
	for _, tt := range tests {
		_, err := Verify(tt.text, tt.trust, tt.revoked, tt.now, cfg)
		if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: Verify(%q) = %v; want %v", tt.name, tt.text, err, tt.want)
		}
	}
}

func TestMaxCodeAge(t *testing.T) {
	is := goldenIssuer(t)
	c := baseClaims()
	c.Kind, c.ExpiresAt = KindPrinted, goldenNow.Add(60*24*time.Hour)
	text, _, err := is.Issue(c, goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	trust := goldenTrust()
	cfg := DefaultConfig()
	cfg.MaxCodeAge = 3 * 24 * time.Hour
	if _, err := Verify(text, trust, nil, goldenNow.Add(2*24*time.Hour), cfg); err != nil {
		t.Errorf("Verify at 2 days = %v; want nil", err)
	}
	if _, err := Verify(text, trust, nil, goldenNow.Add(4*24*time.Hour), cfg); !errors.Is(err, ErrExpired) {
		t.Errorf("Verify at 4 days = %v; want ErrExpired (MaxCodeAge of 3 days)", err)
	}
	if _, err := Verify(text, trust, nil, goldenNow.Add(8*24*time.Hour), DefaultConfig()); !errors.Is(err, ErrExpired) {
		t.Errorf("Verify at 8 days = %v; want ErrExpired (printed cap)", err)
	}
}

// TestKeyRotation: a retired key keeps verifying the codes it issued in its window, not later ones.
func TestKeyRotation(t *testing.T) {
	oldKey := IssuerKey{KID: "kold", PrivateKey: make([]byte, 32), NotBefore: goldenNow.AddDate(-1, 0, 0), NotAfter: goldenNow}
	newKey := IssuerKey{KID: "knew", PrivateKey: goldenSeed, NotBefore: goldenNow.Add(-time.Hour)}
	trust := TrustList{Version: 2, Keys: []TrustedKey{oldKey.TrustedKey(), newKey.TrustedKey()}}
	if err := trust.Validate(); err != nil {
		t.Fatal(err)
	}
	oldIssuer, _ := oldKey.Issuer()
	newIssuer, _ := newKey.Issuer()
	c := baseClaims()
	c.Kind, c.ExpiresAt = KindPrinted, goldenNow.Add(7*24*time.Hour)
	oldText, _, err := oldIssuer.Issue(c, goldenNow)
	if err != nil {
		t.Fatalf("old key Issue at its not_after = %v", err)
	}
	newText, _, err := newIssuer.Issue(c, goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	later := goldenNow.Add(24 * time.Hour)
	for _, text := range []string{oldText, newText} {
		if _, err := Verify(text, trust, nil, later, DefaultConfig()); err != nil {
			t.Errorf("Verify(%q) a day later = %v; want nil", text, err)
		}
	}
	// The retired key refuses to issue after its window, and a code it signed claiming a later
	// issue time (a stolen retired key) does not verify.
	c.IssuedAt, c.ExpiresAt = later, later.Add(time.Hour)
	if _, _, err := oldIssuer.Issue(c, later); !errors.Is(err, ErrKeyNotValid) {
		t.Errorf("retired key Issue = %v; want ErrKeyNotValid", err)
	}
	stolen, _ := NewIssuer("kold", ed25519.NewKeyFromSeed(make([]byte, 32)))
	text, _, _ := stolen.Issue(c, later)
	if _, err := Verify(text, trust, nil, later, DefaultConfig()); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify(code from retired key issued after not_after) = %v; want ErrUnknownKey", err)
	}
}

func TestIssueRejects(t *testing.T) {
	is := goldenIssuer(t)
	tests := []struct {
		name string
		edit func(*Claims)
		want error
	}{
		{"bad name", func(c *Claims) { c.Name = "张三1" }, ErrInvalidClaims},
		{"unnormalised name", func(c *Claims) { c.Name = " 张三" }, ErrInvalidClaims},
		{"full id", func(c *Claims) { c.IDMasked = "220221199001011233" }, ErrInvalidClaims},
		{"bad household", func(c *Claims) { c.Household = "2202" }, ErrInvalidClaims},
		{"bad status", func(c *Claims) { c.Status = "blue" }, ErrInvalidClaims},
		{"long reason", func(c *Claims) { c.Reason = strings.Repeat("密", MaxReasonLen+1) }, ErrInvalidClaims},
		{"control in reason", func(c *Claims) { c.Reason = "a\nb" }, ErrInvalidClaims},
		{"expires before issue", func(c *Claims) { c.ExpiresAt = c.IssuedAt }, ErrInvalidClaims},
		{"short code id", func(c *Claims) { c.CodeID = "0011" }, ErrInvalidClaims},
		{"uppercase code id", func(c *Claims) { c.CodeID = "00112233445566778899AA" }, ErrInvalidClaims},
		{"not before after expiry", func(c *Claims) { c.NotBefore = c.ExpiresAt }, ErrInvalidClaims},
		{"no holder id", func(c *Claims) { c.HolderID = "" }, ErrInvalidClaims},
		{"short holder id", func(c *Claims) { c.HolderID = "00112233445566" }, ErrInvalidClaims},
		{"uppercase holder id", func(c *Claims) { c.HolderID = "8899AABBCCDDEEFF" }, ErrInvalidClaims},
		{"id number as holder id", func(c *Claims) { c.HolderID = "220221199001011233" }, ErrInvalidClaims},
		{"all rare characters", func(c *Claims) { c.Name = strings.Repeat("𠀀", 30) }, ErrCodeTooLarge},
	}
	for _, tt := range tests {
		c := baseClaims()
		tt.edit(&c)
		if _, _, err := is.Issue(c, goldenNow); !errors.Is(err, tt.want) {
			t.Errorf("%s: Issue = %v; want %v", tt.name, err, tt.want)
		}
	}
}

func TestIssueDefaults(t *testing.T) {
	is := goldenIssuer(t)
	c := baseClaims()
	c.CodeID, c.Kind, c.IssuedAt, c.ExpiresAt = "", "", time.Time{}, time.Time{}
	now := goldenNow.Add(1500 * time.Millisecond)
	text, got, err := is.Issue(c, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.CodeID) != 2*codeIDBytes || got.Kind != KindLive || got.KID != goldenKID ||
		!got.IssuedAt.Equal(goldenNow.Add(time.Second)) || got.ExpiresAt.Sub(got.IssuedAt) != 10*time.Minute {
		t.Errorf("Issue defaults = %+v", got)
	}
	v, err := Verify(text, goldenTrust(), nil, now, DefaultConfig())
	if err != nil || !sameClaims(v, got) {
		t.Errorf("Verify(%q) = %+v, %v; want %+v", text, v, err, got)
	}
	if _, again, _ := is.Issue(c, now); again.CodeID == got.CodeID {
		t.Errorf("two issues share code id %s", got.CodeID)
	}
}

// TestCodeSize keeps the size budget in view; the QR version itself is measured in
// healthcode_qr_test.go.
func TestCodeSize(t *testing.T) {
	is := goldenIssuer(t)
	for _, c := range goldenClaims() {
		text, _, err := is.Issue(c.Claims, goldenNow)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d characters", c.Name, len(text))
		if len(text) > MaxCodeLen {
			t.Errorf("%s: %d characters; want at most %d", c.Name, len(text), MaxCodeLen)
		}
		if strings.Trim(text, base45Alphabet) != "" {
			t.Errorf("%s: %q has characters outside the QR alphanumeric set", c.Name, text)
		}
	}
}

func TestDecodePayloadRejectsNonCanonical(t *testing.T) {
	c := baseClaims()
	c.KID = goldenKID
	p := encodePayload(c)
	if _, err := decodePayload(p); err != nil {
		t.Fatalf("decodePayload(encodePayload) = %v", err)
	}
	// The name "张三" as UTF-8 (6 bytes) instead of the shorter UTF-16 (4 bytes).
	i := 2 + 1 + len(c.KID) + 1 + len(c.CodeID)/2 + HolderIDBytes
	utf8Name := append(append(append([]byte{}, p[:i]...), 6<<1), "张三"...)
	utf8Name = append(utf8Name, p[i+1+4:]...)
	if _, err := decodePayload(utf8Name); !errors.Is(err, ErrMalformed) {
		t.Errorf("decodePayload(UTF-8 name) = %v; want ErrMalformed", err)
	}
	// A version 1 payload (before holder ids) is no longer accepted.
	v1 := append([]byte{1}, p[1:]...)
	for _, bad := range [][]byte{nil, {2}, {3, 1}, {2, 0}, {2, 1<<3 | 1}, v1, append(p, 0), p[:len(p)-1]} {
		if _, err := decodePayload(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("decodePayload(%x) = %v; want ErrMalformed", bad, err)
		}
	}
}
