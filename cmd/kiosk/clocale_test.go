package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain lets a test run this package's main as a child process with its own environment:
// what a script sees when it runs the real binary.
func TestMain(m *testing.M) {
	if args := os.Getenv("KIOSK_TEST_MAIN_ARGS"); args != "" {
		os.Exit(dispatch(context.Background(), strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Headless subcommands print nothing from Fyne under LANG=C: scripts read their stderr.
func TestHeadlessQuietUnderCLocale(t *testing.T) {
	for _, lang := range []string{"C", "POSIX", "C.UTF-8"} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LANG="+lang, "LC_ALL="+lang, "KIOSK_TEST_MAIN_ARGS=check-id\x1f220221199003074473")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("LANG=%s kiosk check-id: %v; stderr %q", lang, err, errb.String())
		}
		if errb.Len() != 0 || !strings.Contains(out.String(), `"valid":true`) {
			t.Errorf("LANG=%s kiosk check-id printed stdout %q, stderr %q; want the JSON and nothing on stderr", lang, out.String(), errb.String())
		}
	}
}
