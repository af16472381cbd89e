package ui

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// TestCataloguesComplete: both languages have the same keys, and every key the screens use exists.
func TestCataloguesComplete(t *testing.T) {
	c, err := loadCatalogue(LangZH)
	if err != nil {
		t.Fatal(err)
	}
	zh, en := c.texts[LangZH], c.texts[LangEN]
	for k := range zh {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q has no English text", k)
		}
	}
	for k := range en {
		if _, ok := zh[k]; !ok {
			t.Errorf("key %q has no Chinese text", k)
		}
	}
	files, _ := filepath.Glob("*.go")
	re := regexp.MustCompile(`\.T\("([a-z_.]+[a-z])"`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			if _, ok := zh[m[1]]; !ok {
				t.Errorf("%s uses key %q, missing from the catalogue", f, m[1])
			}
		}
	}
}
