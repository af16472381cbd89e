package ui

import (
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/sound"
)

// playVerdict sounds a verdict as it is shown; silent without Deps.Sound.
func (u *UI) playVerdict(verdict string) {
	if u.deps.Sound != nil {
		u.deps.Sound.Play(checkpoint.Outcome(verdict))
	}
}

// playVerdictAskTemp sounds the verdict of a person screen that waits for a temperature, then
// 请测体温.
func (u *UI) playVerdictAskTemp(verdict string) {
	if u.deps.Sound != nil {
		u.deps.Sound.PlayThen(checkpoint.Outcome(verdict), sound.ClipMeasureTemp)
	}
}

// SoundEnabled reports whether verdicts are sounded (false without Deps.Sound).
func (u *UI) SoundEnabled() bool { return u.deps.Sound != nil && u.deps.Sound.Enabled() }

// SetSoundEnabled turns verdict sounds on or off (the settings screen's switch).
func (u *UI) SetSoundEnabled(on bool) {
	if u.deps.Sound != nil {
		u.deps.Sound.SetEnabled(on)
	}
}
