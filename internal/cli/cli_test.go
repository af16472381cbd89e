package cli

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestDispatch(t *testing.T) {
	s := New("kiosk", "usage: kiosk [COMMAND]", "run")
	var got []string
	rec := func(name string) Run {
		return func(_ context.Context, args []string, _, _ io.Writer) int {
			got = append(got, name+":"+strings.Join(args, ","))
			return 0
		}
	}
	s.Register("run", "window", rec("run"))
	s.Register("sync", "one sync", rec("sync"))
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 0, "run:"},
		{[]string{"--demo"}, 0, "run:--demo"},
		{[]string{"sync", "--data", "d"}, 0, "sync:--data,d"},
		{[]string{"nope"}, 2, ""},
		{[]string{"help"}, 0, ""},
	}
	for _, tt := range tests {
		got = nil
		var out, errb bytes.Buffer
		code := s.Dispatch(context.Background(), tt.args, &out, &errb)
		if code != tt.code || strings.Join(got, "") != tt.want {
			t.Errorf("Dispatch(%q) = %d, ran %v; want %d, %q", tt.args, code, got, tt.code, tt.want)
		}
	}
	var out bytes.Buffer
	s.Usage(&out)
	if !strings.Contains(out.String(), "sync") || !strings.Contains(out.String(), "one sync") {
		t.Errorf("usage %q lacks the commands", out.String())
	}
}
