#!/usr/bin/python3
"""Convert the kiosk's CJK font from TrueType outlines to CFF (PostScript) outlines.

The result is committed, so builds and CI never run this. `go generate` in assets/fonts runs it
and leaves an existing output alone (so `go generate ./...` works without fontTools); --force
converts again:

    /usr/bin/python3 tools/fontcff/ttf2cff.py --force assets/fonts/DroidSansFallbackFull.ttf \
        assets/fonts/DroidSansFallback-CFF.otf

Why: the kiosk's GUI toolkit (Fyne, through go-text/typesetting) parses the whole font once per
text style it draws. A TrueType font's glyf table is decoded into point arrays for every glyph up
front (about 14 MB of heap per style for this font); a CFF font keeps its charstrings as bytes and
interprets a glyph only when it is drawn (about 4 MB per style). The outlines are the same:
each quadratic segment is written as the cubic that draws the identical curve (fontTools'
T2CharStringPen), on the font's own 256-unit grid, and placed where a TrueType rasteriser
places it.

Only the glyphs the character map reaches are kept. Droid Sans Fallback draws most CJK
characters as a composite of one unmapped component glyph; the CFF charstring holds the outline
itself, so the 20,891 component glyphs are dropped. The 'vert' substitutions (vertical writing,
which the kiosk never uses) go with them; the font has no kerning. Outline pieces the glyphs share
become CFF subroutines (cffsubr, AFDKO's tx), which takes the file from 5.2 to 3.0 MB. Needs
Debian's python3-fonttools (4.38) and python3-cffsubr (0.2.9); the output is reproducible.
"""
import os
import sys

import cffsubr
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont


def main(src, dst):
    ttf = TTFont(src)
    cmap = ttf.getBestCmap()
    mapped = set(cmap.values())
    order = [g for g in ttf.getGlyphOrder() if g == ".notdef" or g in mapped]
    glyphs = ttf.getGlyphSet()
    hmtx, glyf = ttf["hmtx"], ttf["glyf"]
    charstrings = {}
    for name in order:
        advance, lsb = hmtx[name]
        pen = T2CharStringPen(advance, glyphs)
        # A TrueType rasteriser places a glyph so that its left edge is at the hmtx side bearing
        # (the phantom point); CFF outlines are drawn where they are. Many of this font's
        # composites say lsb 0 with their outline starting at x=7: shift them as TrueType would.
        dx = lsb - glyf[name].xMin if glyf[name].numberOfContours != 0 else 0
        glyphs[name].draw(TransformPen(pen, (1, 0, 0, 1, dx, 0)) if dx else pen)
        charstrings[name] = pen.getCharString()

    names = ttf["name"]
    ps = names.getDebugName(6) or "DroidSansFallback"
    fb = FontBuilder(ttf["head"].unitsPerEm, isTTF=False)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    fb.setupCFF(ps, {"FullName": names.getDebugName(4) or ps, "FamilyName": names.getDebugName(1) or ps},
                charstrings, {})
    fb.setupHorizontalMetrics({n: hmtx[n] for n in order})
    hhea = ttf["hhea"]
    fb.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    for tag in ("head", "name", "OS/2", "post"):
        fb.font[tag] = ttf[tag]
    fb.font["post"].formatType = 3.0  # no glyph names: CFF carries its own charset
    fb.font["head"].indexToLocFormat = 0
    fb.setupMaxp()
    fb.font.recalcTimestamp = False  # keep the source's dates: the same input gives the same file
    # Shared pieces of outlines as subroutines (AFDKO's tx): 5.2 MB of charstrings become 3.0 MB,
    # the same outlines.
    cffsubr.subroutinize(fb.font)
    fb.save(dst)


if __name__ == "__main__":
    args = sys.argv[1:]
    force = args[:1] == ["--force"]
    if force:
        args = args[1:]
    if len(args) != 2:
        sys.exit("usage: ttf2cff.py [--force] IN.ttf OUT.otf")
    if force or not os.path.exists(args[1]):
        main(args[0], args[1])
