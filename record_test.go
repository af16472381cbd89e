package checkpoint

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestPersonalNeverLoggedInFull(t *testing.T) {
	p := Personal{Name: "王小明", ID: "220221199003074473", Phone: "13912345678"}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "p", p)
	out := buf.String() + fmt.Sprint(p) + fmt.Sprintf("%v %s", p, p)
	for _, full := range []string{"王小明", "220221199003074473", "13912345678"} {
		if strings.Contains(out, full) {
			t.Errorf("%q appears in %q", full, out)
		}
	}
	if !strings.Contains(buf.String(), "220221********4473") {
		t.Errorf("log %q lacks the masked ID", buf.String())
	}
}
