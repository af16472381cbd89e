package main

import (
	"context"
	"runtime/debug"
	"time"

	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/ui"
)

// freeingAuth hands the memory of a login's password hash back to the system once the login
// returns. The argon2id hash of HQ's staff parameters fills 64 MiB that are garbage as soon as
// it is done; left to the GC's pace they stay resident while the kiosk idles or scans.
type freeingAuth struct {
	ui.Auth
	free func() // nil: debug.FreeOSMemory in the background
}

func (a freeingAuth) Login(ctx context.Context, phone, password string) (station.Session, error) {
	s, err := a.Auth.Login(ctx, phone, password)
	free := a.free
	if free == nil {
		free = debug.FreeOSMemory // a full GC, then every free page back to the system
	}
	go free()
	return s, err
}

// cHeapTrimEvery is how often the window hands the C heap's free pages back (trimCHeap).
const cHeapTrimEvery = 10 * time.Second

// trimEvery calls trimCHeap every d until ctx ends.
func trimEvery(ctx context.Context, d time.Duration) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			trimCHeap()
		}
	}
}
