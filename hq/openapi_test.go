package hq

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes keeps docs/api/openapi.yaml and the registered routes in step, both
// ways. A small line-based reading of the "paths:" section is enough for the file's layout.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f, err := os.Open("../docs/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pathRe := regexp.MustCompile(`^  (/\S*):\s*$`)
	opRe := regexp.MustCompile(`^    (get|put|post|delete|patch|head|options):\s*$`)
	var doc []string
	in, cur := false, ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "paths:":
			in = true
		case in && line != "" && !strings.HasPrefix(line, " "):
			in = false
		case in:
			if m := pathRe.FindStringSubmatch(line); m != nil {
				cur = m[1]
			} else if m := opRe.FindStringSubmatch(line); m != nil && cur != "" {
				doc = append(doc, strings.ToUpper(m[1])+" "+cur)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{DSN: "sqlite:" + t.TempDir() + "/hq.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	routes := srv.Routes()
	slices.Sort(doc)
	slices.Sort(routes)
	for _, r := range routes {
		if !slices.Contains(doc, r) {
			t.Errorf("route %q is not in docs/api/openapi.yaml", r)
		}
	}
	for _, d := range doc {
		if !slices.Contains(routes, d) {
			t.Errorf("openapi.yaml has %q, which the server does not serve", d)
		}
	}
	if len(doc) < 10 {
		t.Fatalf("parsed only %d operations from openapi.yaml", len(doc))
	}
}
