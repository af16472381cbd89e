package web

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yongji-county/checkpoint/internal/browsertest"
)

// newBrowser starts a headless Chromium for one test, as a phone: a 375×812 viewport at device
// scale factor 2 (the size of the screenshots in docs/). No browser: the test skips, or fails under CI=true. CHROMIUM names the binary.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx := browsertest.Start(t, 375, 812, 3*time.Minute)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves the whole page as name.png in a temporary directory, and as
// citizen-name.png in $CHECKPOINT_SCREENSHOTS when that is set. It returns the PNG.
func screenshot(t *testing.T, ctx context.Context, dir, name string) []byte {
	t.Helper()
	b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := os.Getenv("CHECKPOINT_SCREENSHOTS"); out != "" {
		if err := os.WriteFile(filepath.Join(out, "citizen-"+name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b
}
