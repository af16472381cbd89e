//go:build cgo && !nosound

// Package speaker is the kiosk's real sound output: the default ALSA device through
// github.com/ebitengine/oto/v3. It needs the ALSA headers to build (Debian libasound2-dev) and
// libasound2 to run; built with the nosound tag or without cgo, Open always fails and the kiosk
// stays silent. Only cmd/kiosk imports it.
package speaker

// #cgo pkg-config: alsa
// #include <alsa/asoundlib.h>
// static void quiet(const char *file, int line, const char *function, int err, const char *fmt, ...) {}
// static void silenceALSA(void) { snd_lib_error_set_handler(quiet); }
import "C"

import (
	"bytes"
	"fmt"
	gosync "sync"
	"time"

	"github.com/ebitengine/oto/v3"

	"github.com/yongji-county/checkpoint/sound"
)

// Speaker plays PCM on the default output device. Open it once per process (oto allows one
// context).
type Speaker struct {
	ctx *oto.Context

	mu      gosync.Mutex
	current *oto.Player // kept so it is not collected while it plays; cut short by the next Play
}

// Open opens the default output device at sound.SampleRate, mono, 16-bit.
func Open() (sound.Device, error) {
	// ALSA's own messages go to stderr on every failed open (a machine without a card); the
	// error below says the same once, in the kiosk's log.
	C.silenceALSA()
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate:   sound.SampleRate,
		ChannelCount: 1,
		Format:       oto.FormatSignedInt16LE,
		BufferSize:   50 * time.Millisecond,
	})
	if err != nil {
		return nil, fmt.Errorf("speaker: open: %w", err)
	}
	select {
	case <-ready:
	case <-time.After(2 * time.Second):
		return nil, fmt.Errorf("speaker: open: device not ready after 2s")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("speaker: open: %w", err)
	}
	return &Speaker{ctx: ctx}, nil
}

// Play starts pcm and returns; a sound still playing is stopped first.
func (s *Speaker) Play(pcm []byte) error {
	if err := s.ctx.Err(); err != nil {
		return fmt.Errorf("speaker: play: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil {
		s.current.Pause()
	}
	s.current = s.ctx.NewPlayer(bytes.NewReader(pcm))
	s.current.Play()
	return nil
}
