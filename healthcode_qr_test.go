package checkpoint_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode/decoder"
	"github.com/makiuchi-d/gozxing/qrcode/encoder"

	"github.com/yongji-county/checkpoint"
)

// TestCodeFitsQRVersion10 measures, with a real QR encoder, that codes fit a version 10 symbol at
// error-correction level M (DESIGN §3), including the largest claims Issue accepts in practice.
// This test lives in the external test package because the domain package imports only the
// standard library.
func TestCodeFitsQRVersion10(t *testing.T) {
	is, err := checkpoint.NewIssuer("k1a2b3c", ed25519.NewKeyFromSeed(make([]byte, 32)))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2022, 3, 15, 10, 0, 0, 0, checkpoint.ChinaTime)
	base := checkpoint.Claims{
		HolderID: "0123456789abcdef", Name: "张三", IDMasked: "220221********123X", Household: "220221",
		Status: checkpoint.StatusGreen, Kind: checkpoint.KindLive,
	}
	tests := []struct {
		name        string
		edit        func(*checkpoint.Claims)
		wantVersion int // the version measured today; a larger one fails the test
	}{
		{"typical live", func(*checkpoint.Claims) {}, 7},
		{"30-character name", func(c *checkpoint.Claims) {
			c.Name = "阿卜杜克热木·阿卜杜热合曼·买买提明·艾则孜·吐尔逊·阿里木"
		}, 9},
		{"30-character name, red, longest reason, printed", func(c *checkpoint.Claims) {
			c.Name = strings.Repeat("张", 30)
			c.Status, c.Kind = checkpoint.StatusRed, checkpoint.KindPrinted
			c.Reason = strings.Repeat("密", checkpoint.MaxReasonLen)
			c.ExpiresAt = now.Add(30 * 24 * time.Hour)
		}, 10},
		{"30-character name with 15 extension-B characters", func(c *checkpoint.Claims) {
			c.Name = strings.Repeat("𠀀", 15) + strings.Repeat("张", 15)
		}, 10},
		{"30-letter Latin name", func(c *checkpoint.Claims) {
			c.Name = "Abcdefghij Klmnopqrst Uvwxyzab"
			c.Reason = "close contact"
		}, 9},
	}
	for _, tt := range tests {
		c := base
		tt.edit(&c)
		text, _, err := is.Issue(c, now)
		if err != nil {
			t.Fatalf("%s: Issue = %v", tt.name, err)
		}
		code, werr := encoder.Encoder_encode(text, decoder.ErrorCorrectionLevel_M, map[gozxing.EncodeHintType]any{})
		if werr != nil {
			t.Fatalf("%s: Encoder_encode(%q) = %v", tt.name, text, werr)
		}
		v := code.GetVersion().GetVersionNumber()
		t.Logf("%s: %d characters, QR version %d (mode %v)", tt.name, len(text), v, code.GetMode())
		if v > 10 || v > tt.wantVersion {
			t.Errorf("%s: %d characters need QR version %d; want at most %d", tt.name, len(text), v, min(10, tt.wantVersion))
		}
	}
}

// TestMaxCodeLen checks that MaxCodeLen is exactly the alphanumeric capacity of version 10-M.
func TestMaxCodeLen(t *testing.T) {
	for n, want := range map[int]int{checkpoint.MaxCodeLen: 10, checkpoint.MaxCodeLen + 1: 11} {
		code, err := encoder.Encoder_encode(strings.Repeat("A", n), decoder.ErrorCorrectionLevel_M, nil)
		if err != nil {
			t.Fatal(err)
		}
		if v := code.GetVersion().GetVersionNumber(); v != want {
			t.Errorf("%d alphanumeric characters at level M: version %d; want %d", n, v, want)
		}
	}
}
