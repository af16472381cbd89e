package ui

import checkpoint "github.com/yongji-county/checkpoint"

// playVerdict sounds a verdict as it is shown; silent without Deps.Sound.
func (u *UI) playVerdict(verdict string) {
	if u.deps.Sound != nil {
		u.deps.Sound.Play(checkpoint.Outcome(verdict))
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
