package ui

import (
	"bytes"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/sound"
)

// fakeSound records the verdicts played, and the clips played after them.
type fakeSound struct {
	played []checkpoint.Outcome
	clips  []string // "" for a verdict alone
	off    bool
}

func (f *fakeSound) Play(o checkpoint.Outcome) {
	if !f.off {
		f.played = append(f.played, o)
		f.clips = append(f.clips, "")
	}
}
func (f *fakeSound) PlayThen(o checkpoint.Outcome, clip string) {
	if !f.off {
		f.played = append(f.played, o)
		f.clips = append(f.clips, clip)
	}
}
func (f *fakeSound) SetEnabled(on bool) { f.off = !on }
func (f *fakeSound) Enabled() bool      { return !f.off }

// scanText scans text from the scan screen's manual entry, as staff would.
func scanText(t *testing.T, u *UI, text string) *personScreen {
	t.Helper()
	u.showScan()
	sc := u.screen.(*scanScreen)
	test.Type(sc.manual, text)
	test.Tap(sc.submit)
	p, ok := u.screen.(*personScreen)
	if !ok {
		t.Fatalf("after scanning %q the screen is %q; want person", text, u.Current())
	}
	return p
}

func TestScanPlaysVerdict(t *testing.T) {
	for _, c := range []struct {
		code string
		want checkpoint.Outcome
	}{
		{"JXM1:GREEN", checkpoint.OutcomePass},
		{"red", checkpoint.OutcomeRefer},
		{"risky", checkpoint.OutcomeTurnBack},
		{"bad", checkpoint.OutcomeInvalid},
	} {
		s := &fakeSound{}
		u, _ := newTestUIWith(t, func(d *Deps) { d.Sound = s })
		login(t, u, "13800000002")
		scanText(t, u, c.code)
		if !slices.Equal(s.played, []checkpoint.Outcome{c.want}) {
			t.Errorf("scanning %q played %v; want [%s]", c.code, s.played, c.want)
		}
	}
}

func TestFeverConfirmedPlaysRefer(t *testing.T) {
	s := &fakeSound{}
	u, _ := newTestUIWith(t, func(d *Deps) { d.Sound = s })
	login(t, u, "13800000002")
	p := scanText(t, u, "JXM1:GREEN")
	test.Type(p.temp, "38.5")
	test.Tap(p.confirm)
	want := []checkpoint.Outcome{checkpoint.OutcomePass, checkpoint.OutcomeRefer}
	if !slices.Equal(s.played, want) {
		t.Errorf("green code, fever typed and confirmed played %v; want %v (nothing while typing)", s.played, want)
	}
}

func TestConfirmSameVerdictPlaysOnce(t *testing.T) {
	s := &fakeSound{}
	u, _ := newTestUIWith(t, func(d *Deps) { d.Sound = s })
	login(t, u, "13800000002")
	p := scanText(t, u, "JXM1:GREEN")
	test.Type(p.temp, "36.5")
	test.Tap(p.confirm)
	if !slices.Equal(s.played, []checkpoint.Outcome{checkpoint.OutcomePass}) {
		t.Errorf("a pass confirmed as a pass played %v; want one pass", s.played)
	}
}

func TestRegistrationPlaysVerdict(t *testing.T) {
	s := &fakeSound{}
	u, _ := newTestUIWith(t, func(d *Deps) { d.Sound = s })
	login(t, u, "13800000002")
	u.showRegister()
	r := u.screen.(*registerScreen)
	test.Type(r.phone, "13912345678")
	test.Type(r.name, "王小明")
	test.Type(r.id, "220221199001011234")
	test.Tap(r.next)
	test.Type(r.temp, "36.6")
	test.Tap(r.submit)
	if u.Current() != "register_done" || !slices.Equal(s.played, []checkpoint.Outcome{checkpoint.OutcomePass}) {
		t.Errorf("registration (screen %q) played %v; want [pass]", u.Current(), s.played)
	}
}

// recorder is a sound.Device that counts what reaches it.
type recorder struct {
	n    int
	last []byte
}

func (r *recorder) Play(pcm []byte) error { r.n++; r.last = pcm; return nil }

// TestPersonAsksForTemperature: a person screen waiting for a temperature says 请测体温 after the
// verdict, through the real player to the device; an invalid code (no temperature to take)
// does not; with sound off nothing is heard.
func TestPersonAsksForTemperature(t *testing.T) {
	fs := &fakeSound{}
	u, _ := newTestUIWith(t, func(d *Deps) { d.Sound = fs })
	login(t, u, "13800000002")
	scanText(t, u, "JXM1:GREEN")
	scanText(t, u, "bad")
	if !slices.Equal(fs.clips, []string{sound.ClipMeasureTemp, ""}) {
		t.Errorf("clips after the verdicts %q; want 请测体温 after the valid code's only", fs.clips)
	}

	dev := &recorder{}
	player := sound.New(func() (sound.Device, error) { return dev, nil }, nil)
	u, _ = newTestUIWith(t, func(d *Deps) { d.Sound = player })
	login(t, u, "13800000002")
	scanText(t, u, "JXM1:GREEN")
	clip, err := sound.Clip(sound.ClipMeasureTemp)
	if err != nil {
		t.Fatal(err)
	}
	if dev.n != 1 || !bytes.HasSuffix(dev.last, clip) || !bytes.HasPrefix(dev.last, sound.Tone(checkpoint.OutcomePass)) {
		t.Fatalf("%d sounds reached the device; want one: the pass tone and word, then 请测体温", dev.n)
	}
	u.SetSoundEnabled(false)
	scanText(t, u, "red")
	if dev.n != 1 {
		t.Errorf("sound off: %d sounds; want none after the first", dev.n)
	}
}

// TestSoundOffPlaysNothing goes through the real sound.Player: the switch the settings screen
// turns is the player's.
func TestSoundOffPlaysNothing(t *testing.T) {
	dev := &recorder{}
	player := sound.New(func() (sound.Device, error) { return dev, nil }, nil)
	u, _ := newTestUIWith(t, func(d *Deps) { d.Sound = player })
	login(t, u, "13800000002")
	scanText(t, u, "red")
	if dev.n != 1 {
		t.Fatalf("sound on: %d sounds reached the device; want 1", dev.n)
	}
	u.SetSoundEnabled(false)
	if u.SoundEnabled() {
		t.Error("SoundEnabled after turning it off")
	}
	scanText(t, u, "JXM1:GREEN")
	scanText(t, u, "red")
	if dev.n != 1 {
		t.Errorf("sound off: %d sounds reached the device; want none after the first", dev.n)
	}
}

func TestNoSoundIsSilent(t *testing.T) {
	u, _ := newTestUI(t)
	login(t, u, "13800000002")
	scanText(t, u, "JXM1:GREEN") // must not panic without Deps.Sound
	if u.SoundEnabled() {
		t.Error("SoundEnabled without a sound player")
	}
}
