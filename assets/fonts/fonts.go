// Package fonts embeds the CJK font Checkpoint renders Chinese with: the kiosk's screens (through
// package assets) and HQ's printed code cards. It imports nothing, so HQ can use it without
// the kiosk's GUI toolkit and build with CGO_ENABLED=0.
package fonts

import _ "embed" // for the fonts

//go:generate /usr/bin/python3 ../../tools/fontcff/ttf2cff.py DroidSansFallbackFull.ttf DroidSansFallback-CFF.otf

// TTF is Droid Sans Fallback (Apache-2.0, LICENSE.txt): one .ttf that covers Chinese, Latin and
// digits. HQ's code cards embed it in their PDFs (the PDF library reads TrueType only).
//
//go:embed DroidSansFallbackFull.ttf
var TTF []byte

// CFF is the same font with its outlines in CFF form, subroutinized, and only the glyphs its
// character map reaches (tools/fontcff): the kiosk's screens draw with it. Fyne parses a font once
// per text style, and a TrueType font's outlines are decoded for every glyph up front, ~14 MB of
// heap per style for this one, where CFF charstrings stay bytes until a glyph is drawn (~4 MB).
// TestCFFMatchesTTF holds it to the same characters and advances as TTF.
//
//go:embed DroidSansFallback-CFF.otf
var CFF []byte
