// Package assets embeds what the kiosk ships with: the CJK font every screen renders with, the
// app icon and the Chinese and English strings of the UI.
package assets

import (
	"embed"
	_ "embed" // for the icon

	"fyne.io/fyne/v2"
	"github.com/yongji-county/checkpoint/assets/fonts"
)

//go:embed icon.png
var iconPNG []byte

// Font is Droid Sans Fallback (Apache-2.0, package fonts) with CFF outlines: one font that covers
// Chinese, Latin and digits (Fyne cannot load .ttc collections), in the form that costs Fyne the
// least memory to hold.
var Font = &fyne.StaticResource{StaticName: "DroidSansFallback-CFF.otf", StaticContent: fonts.CFF}

// Icon is the application icon.
var Icon = &fyne.StaticResource{StaticName: "icon.png", StaticContent: iconPNG}

// I18N holds the UI strings, one JSON object of key → text per language: i18n/zh.json, i18n/en.json.
//
//go:embed i18n/*.json
var I18N embed.FS
