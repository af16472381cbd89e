package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/yongji-county/checkpoint/assets"
)

// kioskTheme wraps Fyne's default theme: the bundled CJK font for every text style, larger text
// and padding for touch screens, and a light variant that stays readable in a bright tent.
//
// The font has one face, so every style draws the same glyphs; but Fyne parses the font afresh
// for each text style a screen uses (about 12 MB of heap each, with the fallback faces it adds),
// so the screens use only the regular and the bold style (Fyne's buttons are bold), never italic
// or monospace.
type kioskTheme struct{ fyne.Theme }

func newTheme() fyne.Theme { return kioskTheme{theme.DefaultTheme()} }

func (t kioskTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Symbol {
		return t.Theme.Font(s) // Fyne's own symbol font: no second parse of the CJK font for it
	}
	return assets.Font
}

func (t kioskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	return t.Theme.Color(n, theme.VariantLight)
}

func (t kioskTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return 18
	case theme.SizeNameHeadingText:
		return 28
	case theme.SizeNameSubHeadingText:
		return 22
	case theme.SizeNameInputBorder:
		return 2
	case theme.SizeNamePadding:
		return 6
	}
	return t.Theme.Size(n)
}

// Verdict colours. A verdict is never told by colour alone: each banner also has a symbol and words.
var (
	colorPass  = color.NRGBA{R: 0x1b, G: 0x8a, B: 0x4b, A: 0xff}
	colorBack  = color.NRGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff}
	colorRefer = color.NRGBA{R: 0xe0, G: 0x8a, B: 0x00, A: 0xff}
	colorGrey  = color.NRGBA{R: 0x55, G: 0x55, B: 0x55, A: 0xff}
)
