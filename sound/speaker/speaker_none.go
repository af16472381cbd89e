//go:build !cgo || nosound

// Package speaker is the kiosk's real sound output; this build has none (built with the nosound
// tag or without cgo), so Open always fails and the kiosk stays silent.
package speaker

import (
	"errors"

	"github.com/yongji-county/checkpoint/sound"
)

// Open reports that this build has no sound output.
func Open() (sound.Device, error) {
	return nil, errors.New("speaker: open: built without sound (nosound tag or no cgo)")
}
