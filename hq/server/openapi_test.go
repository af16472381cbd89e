package server

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/sms"
	"go.yaml.in/yaml/v3"
)

// TestOpenAPIMatchesRoutes keeps docs/api/openapi.yaml and the registered routes in step, both
// ways. A small line-based reading of the "paths:" section is enough for the file's layout.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	f, err := os.Open("../../docs/api/openapi.yaml")
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
	srv, err := New(Config{Config: hq.Config{DSN: "sqlite:" + t.TempDir() + "/hq.db"}, Citizen: &Citizen{Outbox: sms.NewOutbox()}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	routes := srv.Routes()
	slices.Sort(doc)
	slices.Sort(routes)
	// Page mounts ("/") have no method and are not part of the JSON API.
	routes = slices.DeleteFunc(routes, func(r string) bool { return !strings.Contains(r, " ") })
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

// TestOpenAPIParses reads docs/api/openapi.yaml as YAML and fails on what makes it an invalid
// OpenAPI 3 document without breaking the YAML: a null anywhere (an unquoted "description: a, b"
// inside a flow mapping turns "b" into a key with no value), a version other than 3.x, a path
// that does not start with "/", and a $ref to a component that does not exist.
func TestOpenAPIParses(t *testing.T) {
	b, err := os.ReadFile("../../docs/api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("openapi.yaml is not YAML: %v", err)
	}
	if v, _ := doc["openapi"].(string); !strings.HasPrefix(v, "3.") {
		t.Errorf("openapi = %q; want 3.x", v)
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	for p := range paths {
		if !strings.HasPrefix(p, "/") {
			t.Errorf("path %q does not start with /", p)
		}
	}
	comps, _ := doc["components"].(map[string]any)
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch x := v.(type) {
		case nil:
			t.Errorf("%s is null (an unquoted comma or colon in a flow mapping?)", where)
		case map[string]any:
			for k, e := range x {
				if k == "$ref" {
					ref, _ := e.(string)
					parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
					if len(parts) != 2 {
						t.Errorf("%s: $ref %q", where, ref)
						continue
					}
					sect, _ := comps[parts[0]].(map[string]any)
					if _, ok := sect[parts[1]]; !ok {
						t.Errorf("%s: $ref %q names no component", where, ref)
					}
					continue
				}
				walk(where+"."+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", where, i), e)
			}
		}
	}
	walk("openapi.yaml", doc)
}
