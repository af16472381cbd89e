package codecard

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/assets/fonts"
	"golang.org/x/image/font/gofont/goregular"
)

func testCard() Card {
	at := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
	return Card{Code: "HC1:" + strings.Repeat("ABCDEFGH12", 14), CodeID: "0123456789abcdef0123456789abcdef", Status: checkpoint.StatusGreen,
		NameMasked: "张*丰", IDMasked: "220221********1233", Household: "220221", IssuedAt: at, ExpiresAt: at.Add(7 * 24 * time.Hour)}
}

// TestRender: a card is one small PDF page; the font is embedded as a subset (the whole font
// is 4 MB); an unknown colour is refused. CODECARD_OUT writes the PDF for a look.
func TestRender(t *testing.T) {
	start := time.Now()
	pdf, err := Render(testCard())
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("card: %d bytes in %v", len(pdf), took)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) || bytes.Count(pdf, []byte("/Type /Page\n")) != 1 {
		t.Fatalf("not a one-page PDF: %.40q", pdf)
	}
	if len(pdf) > 200<<10 {
		t.Errorf("the card is %d bytes: the font is not subset", len(pdf))
	}
	if p := os.Getenv("CODECARD_OUT"); p != "" {
		os.WriteFile(p, pdf, 0o644)
	}
	c := testCard()
	c.Status = "purple"
	if _, err := Render(c); err == nil {
		t.Error("a purple card rendered")
	}
}

// TestFit: a line wider than its cell is set smaller, to fit.
func TestFit(t *testing.T) {
	pdf := fpdf.New("P", "mm", "A6", "")
	pdf.AddUTF8FontFromBytes(cjkFont, "", fonts.TTF)
	pdf.AddUTF8FontFromBytes(latinFont, "", goregular.TTF)
	pdf.SetCellMargin(0)
	pdf.AddPage()
	tx := &text{pdf: pdf}
	if pt := tx.draw(0, 0, 66, 5, 10.5, "吉林省吉林市永吉县", "L"); pt != 10.5 {
		t.Errorf("a short line set at %v pt", pt)
	}
	long := "新疆维吾尔自治区伊犁哈萨克自治州伊宁市 (654002)"
	pt := tx.draw(0, 0, 66, 5, 10.5, long, "L")
	w := 0.0
	for _, r := range runs(long) {
		pdf.SetFont(r.font, "", pt)
		w += pdf.GetStringWidth(r.s)
	}
	if pt >= 10.5 || w > 66 {
		t.Errorf("the long line: %v pt, %.1f mm wide", pt, w)
	}
}

func TestNotice(t *testing.T) {
	exp := time.Date(2026, 12, 8, 2, 0, 0, 0, time.UTC)
	if got, want := Notice(exp), "本卡为打印版吉祥码，有效期至 2026-12-08 10:00，过期请重新打印"; got != want {
		t.Fatalf("Notice = %q; want %q", got, want)
	}
}

func BenchmarkRender(b *testing.B) {
	c := testCard()
	for b.Loop() {
		if _, err := Render(c); err != nil {
			b.Fatal(err)
		}
	}
}
