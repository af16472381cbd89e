package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
)

// TestScreensUseRegularAndBoldOnly: every screen's text is in the regular or the bold style.
// The kiosk font has one face, so an italic or monospace style would look the same, yet Fyne
// parses the font again for each style (about 12 MB of heap that stays for the kiosk's life).
func TestScreensUseRegularAndBoldOnly(t *testing.T) {
	db, err := store.OpenDir(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	u, _ := newTestUIWith(t, func(d *Deps) {
		d.Prefs = db
		d.Settings = station.New(station.Config{DB: db})
		d.DemoHint = "13800000001 / demo"
	})
	check := func(screen string) {
		t.Helper()
		for _, o := range test.LaidOutObjects(u.win.Canvas().Content()) {
			var styles []fyne.TextStyle
			switch o := o.(type) {
			case *widget.Label:
				styles = append(styles, o.TextStyle)
			case *canvas.Text:
				styles = append(styles, o.TextStyle)
			case *widget.RichText:
				for _, s := range o.Segments {
					if ts, ok := s.(*widget.TextSegment); ok {
						styles = append(styles, ts.Style.TextStyle)
					}
				}
			}
			for _, s := range styles {
				if s.Italic || s.Monospace {
					t.Errorf("%s: text in style %+v (%T); want regular or bold", screen, s, o)
				}
			}
		}
	}
	check("login")
	login(t, u, "13800000001")
	for _, s := range []struct {
		name string
		show func()
	}{
		{"home", u.showHome}, {"scan", u.showScan}, {"register", u.showRegister}, {"sites", u.showSites},
		{"log", u.showLog}, {"sync", u.showSync}, {"settings", u.showSettings},
		{"person", func() { u.showPerson("CP1:unknown") }},
	} {
		s.show()
		check(s.name)
	}
}
