// Package fonts embeds the CJK font Checkpoint renders Chinese with: the kiosk's screens (through
// package assets) and HQ's printed code cards. It imports nothing, so HQ can use it without
// the kiosk's GUI toolkit and build with CGO_ENABLED=0.
package fonts

import _ "embed" // for the font

// TTF is Droid Sans Fallback (Apache-2.0, LICENSE.txt): one .ttf that covers Chinese, Latin and
// digits.
//
//go:embed DroidSansFallbackFull.ttf
var TTF []byte
