// Package sound plays a verdict at the checkpoint: a short tone (one high beep for 通行, two lower
// ones for 劝返 / 复核 / 无效) followed by the verdict spoken in Mandarin from clips bundled in
// clips/ (made offline by tools/clipgen with espeak-ng).
//
// The package holds no audio driver: a Device plays PCM (sound/speaker is the real one, over
// ALSA), so tests and a machine without a sound device run the same code silently.
package sound

//go:generate go run ../tools/clipgen -out clips

import (
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	gosync "sync"
	"sync/atomic"

	checkpoint "github.com/yongji-county/checkpoint"
)

// SampleRate is the rate of every sound played: 16 kHz, mono, signed 16-bit little-endian.
const SampleRate = 16000

// Device plays PCM at SampleRate, mono, signed 16-bit little-endian. Play returns once the sound
// has started; a new Play cuts the one still playing short (the next person's verdict matters).
type Device interface {
	Play(pcm []byte) error
}

//go:embed clips/*.wav
var clipFS embed.FS

// Clip names beyond the outcomes.
const ClipMeasureTemp = "measure_temp" // 请测体温

// Player plays verdicts on a Device. A Player without a device is silent. Safe for concurrent use.
type Player struct {
	dev    Device
	log    *slog.Logger
	on     atomic.Bool
	warned gosync.Once
	sounds map[string][]byte // by outcome code or clip name: tone + clip as PCM
}

// New returns a player on the device open returns; when open fails (no sound device, no ALSA)
// the player is silent and says so once in log. Sound starts on.
func New(open func() (Device, error), log *slog.Logger) *Player {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Player{log: log, sounds: map[string][]byte{}}
	p.on.Store(true)
	if open != nil {
		dev, err := open()
		if err != nil {
			p.warn("no sound device; the kiosk stays silent", err)
		} else {
			p.dev = dev
		}
	}
	for _, o := range []checkpoint.Outcome{checkpoint.OutcomePass, checkpoint.OutcomeTurnBack, checkpoint.OutcomeRefer, checkpoint.OutcomeInvalid} {
		p.sounds[string(o)] = append(Tone(o), mustClip(string(o))...)
	}
	p.sounds[ClipMeasureTemp] = mustClip(ClipMeasureTemp)
	return p
}

func (p *Player) warn(msg string, err error) {
	p.warned.Do(func() { p.log.Warn(msg, "err", err) })
}

// SetEnabled turns sound on or off (the settings screen's switch and the kiosk's --sound flag).
func (p *Player) SetEnabled(on bool) { p.on.Store(on) }

// Enabled reports whether sound is on. A silent machine's player is on but plays nothing.
func (p *Player) Enabled() bool { return p.on.Load() }

// Silent reports that the player has no sound device.
func (p *Player) Silent() bool { return p.dev == nil }

// Play plays the outcome's tone and spoken word, if sound is on and there is a device. It does
// not wait for the sound to end. A device that fails is logged once.
func (p *Player) Play(o checkpoint.Outcome) {
	s, ok := p.sounds[string(o)]
	if !ok {
		s = p.sounds[string(checkpoint.OutcomeInvalid)]
	}
	p.play(s)
}

// PlayClip plays a bundled clip by name (ClipMeasureTemp) without a tone.
func (p *Player) PlayClip(name string) {
	if s, ok := p.sounds[name]; ok {
		p.play(s)
	}
}

// PlayThen plays the outcome's tone and word, then a bundled clip after a short pause, as one
// sound (a new Play would cut the verdict short): the verdict of a person screen waiting for a
// temperature followed by 请测体温.
func (p *Player) PlayThen(o checkpoint.Outcome, clip string) {
	v, ok := p.sounds[string(o)]
	if !ok {
		v = p.sounds[string(checkpoint.OutcomeInvalid)]
	}
	c, ok := p.sounds[clip]
	if !ok {
		p.play(v)
		return
	}
	s := make([]byte, 0, len(v)+len(c)+2*SampleRate/5)
	s = append(append(append(s, v...), silence(200)...), c...)
	p.play(s)
}

// Clip is a bundled clip as the PCM a Device is given (ClipMeasureTemp, or an outcome's word
// without its tone).
func Clip(name string) ([]byte, error) {
	b, err := clipFS.ReadFile("clips/" + name + ".wav")
	if err != nil {
		return nil, fmt.Errorf("sound: clip %s: %w", name, err)
	}
	return decodeWAV(b)
}

func (p *Player) play(pcm []byte) {
	if p.dev == nil || !p.on.Load() {
		return
	}
	if err := p.dev.Play(pcm); err != nil {
		p.warn("sound device failed; verdicts are not heard", err)
	}
}

// Tone is the outcome's beep as PCM: 880 Hz for 120 ms for a pass; 440 Hz then 330 Hz, 120 ms
// each, for every other outcome, so a queue hears a problem without reading the screen.
func Tone(o checkpoint.Outcome) []byte {
	if o == checkpoint.OutcomePass {
		return append(beep(880, 120), silence(60)...)
	}
	b := beep(440, 120)
	b = append(b, silence(60)...)
	b = append(b, beep(330, 120)...)
	return append(b, silence(60)...)
}

// beep is a sine at hz for ms milliseconds at half volume, with 5 ms fades so it does not click.
func beep(hz float64, ms int) []byte {
	n := SampleRate * ms / 1000
	fade := SampleRate * 5 / 1000
	out := make([]byte, 2*n)
	for i := range n {
		a := 0.5
		if i < fade {
			a *= float64(i) / float64(fade)
		} else if n-i < fade {
			a *= float64(n-i) / float64(fade)
		}
		v := int16(a * math.MaxInt16 * math.Sin(2*math.Pi*hz*float64(i)/SampleRate))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

func silence(ms int) []byte { return make([]byte, 2*SampleRate*ms/1000) }

func mustClip(name string) []byte {
	b, err := clipFS.ReadFile("clips/" + name + ".wav")
	if err != nil {
		panic(fmt.Sprintf("sound: clip %s not bundled: %v", name, err))
	}
	pcm, err := decodeWAV(b)
	if err != nil {
		panic(fmt.Sprintf("sound: clip %s: %v", name, err))
	}
	return pcm
}

// decodeWAV reads a bundled clip (16 kHz mono µ-law WAV, as tools/clipgen writes it) into PCM.
func decodeWAV(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a WAV file")
	}
	fmtOK := false
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		if n < 0 || p+8+n > len(b) {
			return nil, errors.New("truncated chunk")
		}
		body := b[p+8 : p+8+n]
		switch id {
		case "fmt ":
			if n < 16 || binary.LittleEndian.Uint16(body) != 7 || binary.LittleEndian.Uint16(body[2:]) != 1 ||
				binary.LittleEndian.Uint32(body[4:]) != SampleRate {
				return nil, errors.New("want 16 kHz mono µ-law")
			}
			fmtOK = true
		case "data":
			if !fmtOK {
				return nil, errors.New("data before fmt")
			}
			out := make([]byte, 2*len(body))
			for i, u := range body {
				binary.LittleEndian.PutUint16(out[2*i:], uint16(ulaw(u)))
			}
			return out, nil
		}
		p += 8 + n + n%2
	}
	return nil, errors.New("no data chunk")
}

// ulaw decodes one G.711 µ-law byte.
func ulaw(u byte) int16 {
	u = ^u
	t := (int(u&0x0f)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return int16(0x84 - t)
	}
	return int16(t - 0x84)
}
