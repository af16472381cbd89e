// Package codecard renders a printed 吉祥码 as a one-page A6 PDF, for a person without a phone:
// the title, the colour as a band and a word, the QR large, the masked name and ID number, the
// household region by name, when it was issued and until when it is valid (China time), and
// the line that tells its holder to print a new one when it expires.
//
// The QR is qrpng's PNG (whole pixels per module, quiet zone included) placed at a whole number
// of tenths of a millimetre per module, so every module is the same size on paper. The font is
// Droid Sans Fallback (assets/fonts) for Chinese and Go Regular for the rest, each embedded as
// the subset of the glyphs the card uses.
package codecard

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"github.com/go-pdf/fpdf"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/assets/fonts"
	"github.com/yongji-county/checkpoint/hq/internal/qrpng"
	"golang.org/x/image/font/gofont/goregular"
)

// Card is what one card shows.
type Card struct {
	Code       string // the code text, as it goes in the QR
	CodeID     string
	Status     checkpoint.Status
	NameMasked string
	IDMasked   string
	Household  string // division code; the card shows its name
	IssuedAt   time.Time
	ExpiresAt  time.Time
}

// Page and QR sizes, in millimetres: A6 portrait.
const (
	pageW, pageH = 105.0, 148.0
	margin       = 8.0
	// QRSize is the largest the QR may be, quiet zone included; it is rounded down to a whole
	// number of tenths of a millimetre per module.
	QRSize = 72.0
)

type colour struct{ r, g, b int }

// The band's colours: those of the citizen pages (hq/web/static/app.css), with the text
// colour that reads on each.
var bands = map[checkpoint.Status]struct {
	fill, text colour
	word       string
}{
	checkpoint.StatusGreen:  {colour{0x13, 0x8a, 0x43}, colour{255, 255, 255}, "绿码"},
	checkpoint.StatusYellow: {colour{0xf2, 0xb6, 0x00}, colour{0x2b, 0x21, 0x00}, "黄码"},
	checkpoint.StatusRed:    {colour{0xd3, 0x2f, 0x2f}, colour{255, 255, 255}, "红码"},
}

// timeLayout is how the card writes a time (China time, to the minute).
const timeLayout = "2006-01-02 15:04"

// ChinaTime formats t as the card does.
func ChinaTime(t time.Time) string { return t.In(checkpoint.ChinaTime).Format(timeLayout) }

// Notice is the line at the foot of the card.
func Notice(expires time.Time) string {
	return "本卡为打印版吉祥码，有效期至 " + ChinaTime(expires) + "，过期请重新打印"
}

// Render returns the card as a PDF. At most two render at once: each parses the 4 MB font
// (about 0.2 s and 30 MB of allocations).
func Render(c Card) ([]byte, error) {
	slots <- struct{}{}
	defer func() { <-slots }()
	band, ok := bands[c.Status]
	if !ok {
		return nil, fmt.Errorf("codecard: status %q", c.Status)
	}
	png, modules, err := qrpng.Render(c.Code)
	if err != nil {
		return nil, fmt.Errorf("codecard: %w", err)
	}
	// Whole tenths of a millimetre per module: every module the same size on paper.
	mod := math.Floor(QRSize/float64(modules)*10) / 10
	if mod < 0.5 {
		return nil, fmt.Errorf("codecard: the code needs %d modules, too many for the card", modules)
	}
	qr := mod * float64(modules)

	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: pageW, Ht: pageH}})
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetCellMargin(0) // text sets a line in runs, cell after cell
	pdf.SetTitle("吉祥码", true)
	pdf.SetLang("zh-CN")
	pdf.SetCreator("Checkpoint HQ", true)
	pdf.SetCreationDate(c.IssuedAt)
	pdf.SetModificationDate(c.IssuedAt)
	// Droid Sans Fallback has no Latin letters, digits or ASCII punctuation: those are set in Go
	// Regular (text below).
	pdf.AddUTF8FontFromBytes(cjkFont, "", fonts.TTF)
	pdf.AddUTF8FontFromBytes(latinFont, "", goregular.TTF)
	pdf.AddPage()
	t := &text{pdf: pdf}

	w := pageW - 2*margin
	ink := colour{0x1f, 0x29, 0x37}
	// Title.
	t.colour(ink)
	t.draw(margin, 6, w, 10, 19, "吉祥码", "C")
	// The band and the colour word.
	pdf.SetFillColor(band.fill.r, band.fill.g, band.fill.b)
	pdf.Rect(0, 17, pageW, 11, "F")
	t.colour(band.text)
	t.draw(margin, 17, w, 11, 17, band.word, "C")
	// The QR, on white, centred.
	y := 30.0
	opt := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("qr", opt, bytes.NewReader(png))
	pdf.ImageOptions("qr", (pageW-qr)/2, y, qr, qr, false, opt, 0, "")
	y += qr + 1.5
	// Who, and when.
	region, _ := checkpoint.RegionName(c.Household)
	rows := [][2]string{
		{"姓名", c.NameMasked},
		{"身份证号", c.IDMasked},
		{"户籍地", region},
		{"签发时间", ChinaTime(c.IssuedAt)},
		{"有效期至", ChinaTime(c.ExpiresAt)},
	}
	for _, r := range rows {
		t.colour(colour{0x5b, 0x65, 0x73})
		t.draw(margin+3, y, 20, 5, 9, r[0], "L")
		t.colour(ink)
		t.draw(margin+23, y, w-23, 5, 10.5, r[1], "L")
		y += 5
	}
	// The notice, boxed, in two lines.
	y += 1.5
	pdf.SetDrawColor(band.fill.r, band.fill.g, band.fill.b)
	pdf.SetLineWidth(0.3)
	pdf.Rect(margin, y, w, 9.5, "D")
	t.colour(ink)
	t.draw(margin, y+0.5, w, 4.2, 8.5, "本卡为打印版吉祥码，有效期至 "+ChinaTime(c.ExpiresAt)+"，", "C")
	t.draw(margin, y+4.7, w, 4.2, 8.5, "过期请重新打印", "C")
	y += 9.5 + 1
	// The code id, small, for 作废 if the card is lost.
	t.colour(colour{0x8a, 0x93, 0xa0})
	t.draw(margin, y, w, 3, 6.5, "编号 "+c.CodeID, "C")
	if y+3 > pageH-2 {
		return nil, fmt.Errorf("codecard: the card's content runs off the page (%.1f mm)", y+3)
	}

	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("codecard: %w", err)
	}
	return buf.Bytes(), nil
}

var slots = make(chan struct{}, 2)

const (
	cjkFont   = "cjk"
	latinFont = "latin"
)

// text sets a line in two fonts: ASCII in the Latin one, everything else in the CJK one.
type text struct {
	pdf *fpdf.Fpdf
}

func (t *text) colour(c colour) { t.pdf.SetTextColor(c.r, c.g, c.b) }

// run is a stretch of a line in one font.
type run struct {
	font string
	s    string
}

func runs(s string) []run {
	var out []run
	for _, r := range s {
		f := cjkFont
		if r < 0x80 {
			f = latinFont
		}
		if n := len(out); n > 0 && out[n-1].font == f {
			out[n-1].s += string(r)
			continue
		}
		out = append(out, run{f, string(r)})
	}
	return out
}

// draw sets s in a cell at (x, y) of width w and height h, at size pt (smaller if s would not
// fit in w: a long region name), aligned "L" or "C", vertically centred. It returns the size set.
func (t *text) draw(x, y, w, h, pt float64, s, align string) float64 {
	rs := runs(s)
	widths := make([]float64, len(rs))
	measure := func() float64 {
		total := 0.0
		for i, r := range rs {
			t.pdf.SetFont(r.font, "", pt)
			widths[i] = t.pdf.GetStringWidth(r.s)
			total += widths[i]
		}
		return total
	}
	total := measure()
	if total > w {
		pt = math.Floor(pt*w/total*10) / 10
		total = measure()
	}
	if align == "C" {
		x += (w - total) / 2
	}
	for i, r := range rs {
		t.pdf.SetFont(r.font, "", pt)
		t.pdf.SetXY(x, y)
		t.pdf.CellFormat(widths[i], h, r.s, "", 0, "L", false, 0, "")
		x += widths[i]
	}
	return pt
}
