//go:build !gocv

package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestDecodeVideoWithoutCameraSupport(t *testing.T) {
	code, _, stderr := runDecodeTest("--video", "clip.avi")
	if code != 1 || !strings.Contains(stderr, "no camera or video support") {
		t.Fatalf("exit %d, stderr %q; want 1 and a clear message", code, stderr)
	}
}

func TestCamerasWithoutCameraSupport(t *testing.T) {
	var out, errb bytes.Buffer
	code := runCameras(context.Background(), nil, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "no camera support") {
		t.Fatalf("exit %d, stderr %q; want 1 and a clear message", code, errb.String())
	}
}
