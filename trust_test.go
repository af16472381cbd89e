package checkpoint

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTrustListJSON(t *testing.T) {
	want := goldenTrust()
	data, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{`"version":1`, `"kid":"kgolden"`, `"public_key":"`, `"not_before":"2022-01-01T00:00:00+08:00"`, `"not_after":"2023-01-01T00:00:00+08:00"`} {
		if !strings.Contains(string(data), field) {
			t.Errorf("trust list JSON %s lacks %s", data, field)
		}
	}
	got, err := ParseTrustList(data)
	if err != nil {
		t.Fatalf("ParseTrustList(%s) = %v", data, err)
	}
	if k, ok := got.Key(goldenKID); !ok || !k.PublicKey.Equal(want.Keys[0].PublicKey) || !k.NotAfter.Equal(want.Keys[0].NotAfter) {
		t.Errorf("ParseTrustList round trip = %+v; want %+v", got, want)
	}
	open := TrustList{Keys: []TrustedKey{{KID: "k", PublicKey: want.Keys[0].PublicKey}}}
	if data, _ := json.Marshal(open); strings.Contains(string(data), "not_after") {
		t.Errorf("open-ended key marshals a not_after: %s", data)
	}
}

func TestParseTrustListRejects(t *testing.T) {
	key := `"public_key":"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="`
	tests := []string{
		`{`,
		`{"version":1,"keys":[{"kid":"","public_key":"AAAA"}]}`,
		`{"version":1,"keys":[{"kid":"k1","public_key":"AAAA"}]}`,
		`{"version":1,"keys":[{"kid":"k1",` + key + `},{"kid":"k1",` + key + `}]}`,
		`{"version":1,"keys":[{"kid":"k1",` + key + `,"not_before":"2022-02-01T00:00:00Z","not_after":"2022-01-01T00:00:00Z"}]}`,
		`{"version":1,"keys":[{"kid":"k 1",` + key + `}]}`,
	}
	for _, s := range tests {
		if _, err := ParseTrustList([]byte(s)); err == nil {
			t.Errorf("ParseTrustList(%s) = nil error; want an error", s)
		}
	}
	if _, err := ParseTrustList([]byte(`{"version":1,"keys":[{"kid":"k1",` + key + `}]}`)); err != nil {
		t.Errorf("ParseTrustList(valid) = %v", err)
	}
}

func TestIssuerKeyFile(t *testing.T) {
	now := time.Date(2022, 3, 1, 0, 0, 0, 0, ChinaTime)
	k, err := GenerateIssuerKey("", now, now.AddDate(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if k.KID != KeyID(k.TrustedKey().PublicKey) || len(k.KID) != 7 {
		t.Errorf("derived kid = %q; want KeyID of the public key", k.KID)
	}
	data, _ := json.Marshal(k)
	got, err := ParseIssuerKey(data)
	if err != nil {
		t.Fatalf("ParseIssuerKey(%s) = %v", data, err)
	}
	is, err := got.Issuer()
	if err != nil {
		t.Fatal(err)
	}
	c := baseClaims()
	c.IssuedAt, c.ExpiresAt = now.Add(time.Hour), now.Add(2*time.Hour)
	text, _, err := is.Issue(c, now)
	if err != nil {
		t.Fatal(err)
	}
	trust := TrustList{Version: 1, Keys: []TrustedKey{k.TrustedKey()}}
	if _, err := Verify(text, trust, nil, now.Add(time.Hour), DefaultConfig()); err != nil {
		t.Errorf("Verify(code from parsed key file) = %v", err)
	}
	for _, bad := range []string{`{"kid":"k1","private_key":"AAAA"}`, `{"kid":"","private_key":"` + strings.Repeat("A", 43) + `="}`, `[]`} {
		if _, err := ParseIssuerKey([]byte(bad)); err == nil {
			t.Errorf("ParseIssuerKey(%s) = nil error; want an error", bad)
		}
	}
}

func TestRevocationList(t *testing.T) {
	r, err := ParseRevocationList([]byte(`{"version":3,"code_ids":["aa","bb"]}`))
	if err != nil {
		t.Fatal(err)
	}
	lit := &RevocationList{CodeIDs: []string{"aa"}} // built without the constructor: linear scan
	var nilList *RevocationList
	tests := []struct {
		list *RevocationList
		id   string
		want bool
	}{
		{r, "aa", true}, {r, "bb", true}, {r, "cc", false}, {lit, "aa", true}, {lit, "bb", false}, {nilList, "aa", false},
	}
	for _, tt := range tests {
		if got := tt.list.Revoked(tt.id); got != tt.want {
			t.Errorf("Revoked(%q) = %v; want %v", tt.id, got, tt.want)
		}
	}
	if _, err := ParseRevocationList([]byte(`{"code_ids":"aa"}`)); err == nil {
		t.Errorf("ParseRevocationList(bad) = nil error")
	}
}
