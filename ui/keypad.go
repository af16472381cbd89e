package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// Temperatures staff tap most: one touch for a normal reading.
var quickTemps = []string{"36.2", "36.5", "36.8"}

// keypad is a large numeric keypad for a temperature entry, usable with gloves: keys of at least
// 80×56 px, quick buttons for common readings, a backspace and a clear.
type keypad struct {
	entry *widget.Entry
	keys  map[string]*widget.Button // by label, for tests
	box   fyne.CanvasObject
}

func (u *UI) newKeypad(entry *widget.Entry) *keypad {
	k := &keypad{entry: entry, keys: map[string]*widget.Button{}}
	key := func(label string, f func()) *widget.Button {
		b := widget.NewButton(label, func() {
			u.touched()
			f()
		})
		k.keys[label] = b
		return b
	}
	var digits []fyne.CanvasObject
	for _, d := range []string{"7", "8", "9", "4", "5", "6", "1", "2", "3", ".", "0"} {
		d := d
		digits = append(digits, key(d, func() { k.set(k.entry.Text + d) }))
	}
	digits = append(digits, key("⌫", func() {
		if r := []rune(k.entry.Text); len(r) > 0 {
			k.set(string(r[:len(r)-1]))
		}
	}))
	var quick []fyne.CanvasObject
	for _, q := range quickTemps {
		q := q
		b := key(q, func() { k.set(q) })
		b.Importance = widget.MediumImportance
		quick = append(quick, b)
	}
	quick = append(quick, key(u.T("keypad.clear"), func() { k.set("") }))
	size := fyne.NewSize(80, 56)
	k.box = container.NewVBox(
		container.NewGridWrap(size, quick...),
		container.NewGridWrap(size, digits[0:3]...),
		container.NewGridWrap(size, digits[3:6]...),
		container.NewGridWrap(size, digits[6:9]...),
		container.NewGridWrap(size, digits[9:12]...),
	)
	return k
}

// set replaces the entry's text (at most 5 characters: "37.25" is already more than a
// thermometer shows), which runs its OnChanged as typing would.
func (k *keypad) set(s string) {
	if r := []rune(s); len(r) > 5 {
		return
	}
	k.entry.SetText(s)
}
