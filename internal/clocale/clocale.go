// Package clocale clears a "C" or "POSIX" locale from the environment before Fyne reads it.
//
// Fyne parses the user's locale when its lang package initialises and prints an error for "C"
// (`Fyne error: Error parsing user locale C`), which scripts running the kiosk's headless
// subcommands under LANG=C then find on stderr. C means "no locale", so this package unsets
// it. It must be imported by package main only, and it imports nothing but os: by the Go
// specification's initialisation order (packages sorted by import path, each initialised once
// its imports are), it then runs before fyne.io/fyne/v2/lang, which waits for golang.org/x/text.
package clocale

import (
	"os"
	"strings"
)

func init() { Clear() }

// Clear unsets LC_ALL, LC_MESSAGES and LANG where they name the C or POSIX locale.
func Clear() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "C" || v == "POSIX" || strings.HasPrefix(v, "C.") {
			os.Unsetenv(k)
		}
	}
}
