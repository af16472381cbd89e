package sound

import (
	"bytes"
	"encoding/binary"
	"errors"
	"log/slog"
	"math"
	"strings"
	"testing"

	checkpoint "github.com/yongji-county/checkpoint"
)

// recorder is a Device that keeps what it was asked to play.
type recorder struct {
	played [][]byte
	err    error
}

func (r *recorder) Play(pcm []byte) error {
	r.played = append(r.played, pcm)
	return r.err
}

func open(d Device) func() (Device, error) { return func() (Device, error) { return d, nil } }

func TestPlayerPlaysToneThenClip(t *testing.T) {
	r := &recorder{}
	p := New(open(r), nil)
	for _, o := range []checkpoint.Outcome{checkpoint.OutcomePass, checkpoint.OutcomeTurnBack, checkpoint.OutcomeRefer, checkpoint.OutcomeInvalid} {
		p.Play(o)
		got := r.played[len(r.played)-1]
		tone := Tone(o)
		if !bytes.HasPrefix(got, tone) {
			t.Errorf("Play(%q) does not start with its tone", o)
		}
		if clip := len(got) - len(tone); clip < SampleRate/2*2 { // at least 0.5 s of speech
			t.Errorf("Play(%q) has %d bytes of speech; want the spoken clip", o, clip)
		}
	}
}

func TestTonesAreDistinct(t *testing.T) {
	pass, back := Tone(checkpoint.OutcomePass), Tone(checkpoint.OutcomeTurnBack)
	if bytes.Equal(pass, back) {
		t.Fatal("pass and turn back share a tone")
	}
	if f := zeroCrossHz(pass[:2*SampleRate*120/1000]); math.Abs(f-880) > 20 {
		t.Errorf("pass tone is %.0f Hz; want 880", f)
	}
	if f := zeroCrossHz(back[:2*SampleRate*120/1000]); math.Abs(f-440) > 20 {
		t.Errorf("turn back's first beep is %.0f Hz; want 440", f)
	}
	for _, o := range []checkpoint.Outcome{checkpoint.OutcomeRefer, checkpoint.OutcomeInvalid} {
		if !bytes.Equal(Tone(o), back) {
			t.Errorf("Tone(%q) differs from turn back's; want the one problem tone", o)
		}
	}
}

// zeroCrossHz estimates a sine's frequency from its upward zero crossings.
func zeroCrossHz(pcm []byte) float64 {
	n, prev := 0, int16(0)
	for i := 0; i+1 < len(pcm); i += 2 {
		v := int16(binary.LittleEndian.Uint16(pcm[i:]))
		if prev < 0 && v >= 0 {
			n++
		}
		prev = v
	}
	return float64(n) / (float64(len(pcm)/2) / SampleRate)
}

func TestNoDeviceIsSilentAndSaysSoOnce(t *testing.T) {
	var log bytes.Buffer
	p := New(func() (Device, error) { return nil, errors.New("alsa: no card") }, slog.New(slog.NewTextHandler(&log, nil)))
	if !p.Silent() {
		t.Fatal("player without a device is not silent")
	}
	for range 3 {
		p.Play(checkpoint.OutcomePass)
	}
	if n := strings.Count(log.String(), "no sound device"); n != 1 {
		t.Errorf("log says %d times that there is no sound device; want once:\n%s", n, log.String())
	}
}

func TestFailingDeviceIsLoggedOnce(t *testing.T) {
	var log bytes.Buffer
	r := &recorder{err: errors.New("device unplugged")}
	p := New(open(r), slog.New(slog.NewTextHandler(&log, nil)))
	for range 3 {
		p.Play(checkpoint.OutcomeRefer)
	}
	if n := strings.Count(log.String(), "device unplugged"); n != 1 {
		t.Errorf("device failure logged %d times; want once:\n%s", n, log.String())
	}
}

func TestSoundOffPlaysNothing(t *testing.T) {
	r := &recorder{}
	p := New(open(r), nil)
	p.SetEnabled(false)
	p.Play(checkpoint.OutcomePass)
	p.PlayClip(ClipMeasureTemp)
	if len(r.played) != 0 || p.Enabled() {
		t.Fatalf("sound off played %d sounds (enabled %v)", len(r.played), p.Enabled())
	}
	p.SetEnabled(true)
	p.PlayClip(ClipMeasureTemp)
	if len(r.played) != 1 {
		t.Fatalf("sound back on played %d sounds; want 1", len(r.played))
	}
}

func TestClipsAreSmall(t *testing.T) {
	entries, err := clipFS.ReadDir("clips")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, e := range entries {
		info, _ := e.Info()
		total += int(info.Size())
	}
	if total > 100<<10 {
		t.Errorf("bundled clips are %d bytes; keep them under 100 KB", total)
	}
}

func TestULawRoundTrip(t *testing.T) {
	// G.711 reference points: 0xFF is zero, 0x80 the largest positive value, 0x00 the largest negative.
	for _, c := range []struct {
		in   byte
		want int16
	}{{0xff, 0}, {0x7f, 0}, {0x80, 32124}, {0x00, -32124}} {
		if got := ulaw(c.in); got != c.want {
			t.Errorf("ulaw(%#x) = %d; want %d", c.in, got, c.want)
		}
	}
}

func FuzzDecodeWAV(f *testing.F) {
	b, _ := clipFS.ReadFile("clips/pass.wav")
	f.Add(b)
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = decodeWAV(b) })
}

// TestPlayThen: the verdict and 请测体温 reach the device as one sound, verdict first; nothing
// with sound off.
func TestPlayThen(t *testing.T) {
	r := &recorder{}
	p := New(open(r), nil)
	p.PlayThen(checkpoint.OutcomePass, ClipMeasureTemp)
	clip, err := Clip(ClipMeasureTemp)
	if err != nil {
		t.Fatal(err)
	}
	word, _ := Clip(string(checkpoint.OutcomePass))
	if len(r.played) != 1 || !bytes.HasSuffix(r.played[0], clip) || !bytes.HasPrefix(r.played[0], Tone(checkpoint.OutcomePass)) ||
		!bytes.Contains(r.played[0], word) {
		t.Fatalf("PlayThen reached the device as %d sounds; want one: tone, 通行, then 请测体温", len(r.played))
	}
	p.SetEnabled(false)
	p.PlayThen(checkpoint.OutcomeRefer, ClipMeasureTemp)
	if len(r.played) != 1 {
		t.Error("sound off: PlayThen played")
	}
}
