package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// TestOperatorCommand: add prints a setup link the console's setup page accepts; a second add
// of the name fails; reset gives a new link and kills the old one; list shows the state; bad
// arguments exit 2; add and reset are audited as "cli".
func TestOperatorCommand(t *testing.T) {
	dsn := dbtest.SQLiteDSN(t)
	code, out, errs := dispatchTest(t, "operator", "add", "--db", dsn, "--name", "wang.wei", "--role", "health", "--url", "https://hq.example/")
	if code != 0 {
		t.Fatalf("add = %d, %q", code, errs)
	}
	link, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(link, "https://hq.example/admin/setup?token=") || len(link) < len("https://hq.example/admin/setup?token=")+43 {
		t.Fatalf("link = %q", link)
	}
	if !strings.Contains(out, "valid until") {
		t.Errorf("output = %q", out)
	}
	if code, _, errs := dispatchTest(t, "operator", "add", "--db", dsn, "--name", "wang.wei", "--role", "viewer"); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("second add = %d, %q", code, errs)
	}
	for _, args := range [][]string{
		{"operator", "add", "--db", dsn, "--name", "x", "--role", "admin"}, // name too short
		{"operator", "add", "--db", dsn, "--name", "li", "--role", "root"}, // no such role
		{"operator", "add", "--db", dsn, "--name", "li"},                   // no role
		{"operator", "add", "--db", dsn, "--name", "li", "--role", "admin", "--url", "ftp://x"},
		{"operator", "frobnicate", "--db", dsn},
		{"operator", "list", "--db", dsn, "--name", "li"},
	} {
		if code, _, _ := dispatchTest(t, args...); code != 2 {
			t.Errorf("%v = %d; want 2", args[1:], code)
		}
	}
	_, out, _ = dispatchTest(t, "operator", "list", "--db", dsn)
	if !strings.Contains(out, "wang.wei") || !strings.Contains(out, "health") || !strings.Contains(out, "setup pending") {
		t.Fatalf("list = %q", out)
	}

	srv, err := server.New(server.Config{Config: hq.Config{DSN: dsn}, Console: &server.Console{}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	status := func(link string) (int, string) {
		path := link[strings.Index(link, "/admin/"):]
		r, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	if st, body := status(link); st != 200 || !strings.Contains(body, "wang.wei") {
		t.Fatalf("setup page for the link: %d", st)
	}
	code, out, errs = dispatchTest(t, "operator", "reset", "--db", dsn, "--name", "wang.wei")
	if code != 0 {
		t.Fatalf("reset = %d, %q", code, errs)
	}
	link2, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(link2, "/admin/setup?token=") || link2 == link {
		t.Fatalf("reset link = %q", link2)
	}
	if st, _ := status(link); st != http.StatusNotFound {
		t.Fatalf("old link after reset: %d", st)
	}
	if st, _ := status(link2); st != 200 {
		t.Fatalf("new link: %d", st)
	}
	if code, _, _ := dispatchTest(t, "operator", "reset", "--db", dsn, "--name", "nobody"); code != 1 {
		t.Fatalf("reset of an unknown name = %d", code)
	}
	for _, args := range [][]string{
		{"operator", "role", "--db", dsn, "--name", "wang.wei", "--role", "ops"},
		{"operator", "disable", "--db", dsn, "--name", "wang.wei"},
		{"operator", "enable", "--db", dsn, "--name", "wang.wei"},
	} {
		if code, _, errs := dispatchTest(t, args...); code != 0 {
			t.Fatalf("%v = %d, %q", args[1:], code, errs)
		}
	}
	if code, _, _ := dispatchTest(t, "operator", "role", "--db", dsn, "--name", "wang.wei", "--role", "root"); code != 2 {
		t.Fatalf("role root = %d", code)
	}
	if code, _, _ := dispatchTest(t, "operator", "disable", "--db", dsn, "--name", "nobody"); code != 1 {
		t.Fatalf("disable nobody = %d", code)
	}
	db, err := sqldb.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	es, _ := db.Audit(context.Background(), 0, 10)
	if len(es) != 5 || es[4].Action != "operator.add" || es[4].Operator != "cli" || !strings.Contains(es[4].After, `"health"`) || es[3].Action != "operator.reset" ||
		es[2].Action != "operator.role" || es[2].Before != `{"role":"health"}` || es[2].After != `{"role":"ops"}` ||
		es[1].Action != "operator.disable" || es[0].Action != "operator.enable" {
		t.Fatalf("audit = %+v", es)
	}
	o, _ := db.Operator(context.Background(), "wang.wei")
	if o.Role != "ops" || !o.Active {
		t.Fatalf("operator = %+v", o)
	}
}
