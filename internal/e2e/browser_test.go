package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/yongji-county/checkpoint/internal/browsertest"
)

// newBrowser starts a headless Chromium for one test and returns its first tab, sized as a
// phone (360×740 at device scale factor 2). No browser: the test skips, or fails under CI=true.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	ctx := browsertest.Start(t, 360, 740, 3*time.Minute)
	phone(t, ctx, "chromium")
	return ctx
}

// newPhone opens a tab in a browser context of its own (no cookies shared with the others) in
// the browser of tab, sized as a phone. It closes when t ends.
func newPhone(t *testing.T, tab context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(tab, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	phone(t, ctx, "a second browser context")
	return ctx
}

func phone(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatalf("start %s: %v", what, err)
	}
}

// screenshot saves the page as name.png in dir, and as e2e-name.png in
// $CHECKPOINT_SCREENSHOTS when that is set. It returns the PNG.
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
		if err := os.WriteFile(filepath.Join(out, "e2e-"+name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return b
}
