package station

import (
	"context"
	"errors"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// prefSound is the prefs key of the sound setting: "on" or "off".
const prefSound = "sound"

// SettingsView is what the supervisor's settings screen (设置) shows: the enrolled HQ, the rules
// HQ set (read-only here) and the kiosk's own preferences.
type SettingsView struct {
	Enrolled bool
	HQURL    string
	// Rules are the thresholds in force: HQ's, or the safe defaults before its first settings
	// (FromHQ false).
	Rules  checkpoint.Config
	FromHQ bool
	Sound  bool // on until a supervisor turns it off
}

// Settings returns the settings screen's view. Supervisors only.
func (st *Station) Settings(ctx context.Context, s Session) (SettingsView, error) {
	if !s.Supervisor {
		return SettingsView{}, errNotSupervisor
	}
	var v SettingsView
	d, err := st.db.Device(ctx)
	if err == nil {
		v.Enrolled, v.HQURL = true, d.HQURL
	} else if !errors.Is(err, store.ErrNotEnrolled) {
		return SettingsView{}, errStore(err)
	}
	v.Rules = checkpoint.DefaultConfig()
	if set, err := st.db.Settings(ctx); err == nil {
		v.Rules, v.FromHQ = set.Rules.WithDefaults(), true
	}
	sound, ok, err := st.db.Pref(ctx, prefSound)
	if err != nil {
		return SettingsView{}, errStore(err)
	}
	v.Sound = !ok || sound != "off"
	return v, nil
}

// SetSound turns the kiosk's sounds on or off and keeps the choice. Supervisors only.
func (st *Station) SetSound(ctx context.Context, s Session, on bool) error {
	if !s.Supervisor {
		return errNotSupervisor
	}
	v := "off"
	if on {
		v = "on"
	}
	if err := st.db.SetPref(ctx, prefSound, v); err != nil {
		return errStore(err)
	}
	return nil
}

// SoundOn reports the kept sound setting (on until a supervisor turns it off, and on when the
// store cannot say), for the kiosk to apply at start.
func (st *Station) SoundOn(ctx context.Context) bool {
	v, ok, err := st.db.Pref(ctx, prefSound)
	return err != nil || !ok || v != "off"
}
