//go:build cgo && !nosound

package speaker

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/sound"
)

// TestPlaysThroughALSA plays a verdict through the real ALSA library into a file device (an
// ~/.asoundrc whose default PCM writes raw samples to a file), so no sound card is needed.
func TestPlaysThroughALSA(t *testing.T) {
	home := t.TempDir()
	out := filepath.Join(home, "out.raw")
	rc := "pcm.!default { type file slave.pcm null file \"" + out + "\" format raw }\n"
	if err := os.WriteFile(filepath.Join(home, ".asoundrc"), []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	dev, err := Open()
	if err != nil {
		t.Fatalf("Open with a file device: %v", err)
	}
	p := sound.New(func() (sound.Device, error) { return dev, nil }, nil)
	if p.Silent() {
		t.Fatal("player on a real device is silent")
	}
	p.Play(checkpoint.OutcomePass)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if info, err := os.Stat(out); err == nil && info.Size() > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing reached the ALSA file device %s", out)
}
