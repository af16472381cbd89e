package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	gosync "sync"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/scanner"
)

// The demo camera's clip: demoLoopFrames frames at demoFPS (10 s), played again and again.
const (
	demoFPS        = 15
	demoLoopFrames = 150
)

// demoVideoFile is the demo clip's name in the data directory; demoVideoFile+".key" names what
// it shows (a hash of the code and the size), so it is made again only when they change.
const demoVideoFile = "demo-camera.avi"

// demoPlaceholder is the code shown by a demo video outside demo mode (no demo HQ to issue a
// real one): the camera path reads it and the person screen says the code is not valid.
const demoPlaceholder = checkpoint.CodePrefix + "DEMO-VIDEO-NOT-A-CODE"

// ensureDemoVideo returns the demo clip in dir showing text at w×h, making it when missing or
// when it shows another code (the demo HQ issues fresh codes, with fresh keys on a fresh demo,
// at each start; a printed code lasts days, so one made at start outlives the session).
func ensureDemoVideo(dir, text string, w, h int) (string, error) {
	path := filepath.Join(dir, demoVideoFile)
	sum := sha256.Sum256(fmt.Appendf(nil, "%dx%d\n%s", w, h, text))
	key := hex.EncodeToString(sum[:])
	if b, err := os.ReadFile(path + ".key"); err == nil && strings.TrimSpace(string(b)) == key {
		if st, err := os.Stat(path); err == nil && st.Size() > 0 {
			return path, nil
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := writeDemoVideo(path, text, w, h); err != nil {
		return "", err
	}
	if err := os.WriteFile(path+".key", []byte(key+"\n"), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// loopVideo is a Source that plays a video file at its own frame rate, as a camera delivers
// frames, from the start again each time it ends, until ctx is done. The file is made (or found)
// by prepare the first time Frames runs, so a demo clip is rendered off the window's start.
// Frame.Index counts on across loops.
type loopVideo struct {
	prepare func() (string, error)

	once gosync.Once
	path string
	err  error
}

// Frames implements scanner.Source.
func (l *loopVideo) Frames(ctx context.Context, fn func(scanner.Frame) error) error {
	l.once.Do(func() { l.path, l.err = l.prepare() })
	if l.err != nil {
		return l.err
	}
	index := 0
	for {
		src, err := scanner.NewLiveVideo(l.path)
		if err != nil {
			return err
		}
		n := 0
		err = src.Frames(ctx, func(f scanner.Frame) error {
			n++
			f.Index = index
			index++
			return fn(f)
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return errors.New("video: no frames to play")
		}
	}
}
