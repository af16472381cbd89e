package main

import "testing"

func TestSoundFlag(t *testing.T) {
	for _, c := range []struct {
		f          runFlags
		on, silent bool
	}{
		{runFlags{sound: false, tour: t.TempDir()}, false, true},
		{runFlags{sound: true, tour: t.TempDir()}, true, true}, // screenshots never open the device
	} {
		p := openSound(c.f, nil)
		if p.Enabled() != c.on || p.Silent() != c.silent {
			t.Errorf("openSound(sound=%v, tour) enabled %v silent %v; want %v %v", c.f.sound, p.Enabled(), p.Silent(), c.on, c.silent)
		}
	}
}
