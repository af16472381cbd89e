package main

import (
	"bytes"
	"context"
	"testing"
)

func TestCamerasUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := runCameras(context.Background(), []string{"extra"}, &out, &errb); code != 2 || errb.Len() == 0 {
		t.Fatalf("cameras extra: exit %d, stderr %q; want 2", code, errb.String())
	}
	errb.Reset()
	if code := runCameras(context.Background(), []string{"--bogus"}, &out, &errb); code != 2 || errb.Len() == 0 {
		t.Fatalf("cameras --bogus: exit %d, stderr %q; want 2", code, errb.String())
	}
}
