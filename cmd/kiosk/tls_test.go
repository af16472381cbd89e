package main

import (
	"encoding/pem"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnrollRefusesPlainHTTP: an http:// HQ that is not loopback is refused before anything is
// sent, in words that say to use https.
func TestEnrollRefusesPlainHTTP(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kiosk")
	for _, u := range []string{"http://hq.example.org", "http://192.0.2.10:8080"} {
		rc, out, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", u, "--code", "AAAA-BBBB-CCCC-DDDD")
		if rc != 1 || out != "" || !strings.Contains(errOut, "https") || !strings.HasPrefix(errOut, "kiosk enroll: 总部地址必须使用 https") {
			t.Errorf("enroll --hq %s = %d, %q, %q; want refused with the https words", u, rc, out, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "kiosk.db")); err == nil {
		t.Error("a kiosk database was made for a refused address")
	}
}

// TestEnrollOverTLS enrolls with the real HQ served over TLS by a certificate the system does
// not trust: refused without --ca, enrolled and synced with it.
func TestEnrollOverTLS(t *testing.T) {
	srv, code := testHQServer(t)
	ts := httptest.NewTLSServer(srv.Handler())
	defer ts.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ts.URL, "https://127.0.0.1:") {
		t.Fatalf("TLS server at %s", ts.URL)
	}
	dir := filepath.Join(t.TempDir(), "kiosk")
	rc, _, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", code)
	if rc != 1 || !strings.Contains(errOut, "certificate") {
		t.Fatalf("enroll without --ca = %d, %q; want a certificate error", rc, errOut)
	}
	rc, out, errOut := dispatchTest(t, "enroll", "--data", dir, "--hq", ts.URL, "--code", code, "--ca", ca)
	if rc != 0 || errOut != "" {
		t.Fatalf("enroll --ca = %d, %q, %q", rc, out, errOut)
	}
	rc, out, errOut = dispatchTest(t, "sync", "--data", dir, "--ca", ca)
	if rc != 0 {
		t.Fatalf("sync --ca = %d, %q, %q", rc, out, errOut)
	}
	if _, pending, _, e := decodeSync(t, out); pending != 0 || e != "" || !strings.Contains(out, `"refused":0`) {
		t.Fatalf("sync output %q", out)
	}
}
