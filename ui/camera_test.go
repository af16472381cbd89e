package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestCameraSameCodeKeepsPersonScreen: a person still holding their code up (the camera reads
// it again) does not wipe the temperature being typed; the next person's code does replace it.
func TestCameraSameCodeKeepsPersonScreen(t *testing.T) {
	u, _ := newTestUI(t)
	login(t, u, "13800000002")
	p := scanText(t, u, "JXM1:GREEN")
	test.Type(p.temp, "36.")
	u.onCode("JXM1:GREEN")
	if u.screen != p || p.temp.Text != "36." {
		t.Fatalf("the same code again replaced the person screen (temperature %q)", u.screen.(*personScreen).temp.Text)
	}
	u.onCode("JXM1:NEXT")
	if q, ok := u.screen.(*personScreen); !ok || q == p || q.view.Text != "JXM1:NEXT" {
		t.Fatal("the next person's code did not open their screen")
	}
}
