package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// ErrLocked is wrapped by LockSync when another sync held the data directory for the whole wait.
var ErrLocked = errors.New("another sync is running on this data directory")

// LockSync takes the data directory's sync lock (an exclusive flock on kiosk.db.sync-lock),
// waiting until ctx ends. One sync pass at a time per data directory: the kiosk window's
// background sync and a `kiosk sync` or `kiosk enroll` run from a script never interleave their
// pushes and pulls, so a dataset can never be applied over a newer one. The lock is released by
// the returned function, and by the kernel when the process dies, so a crash leaves no stale lock.
func (db *DB) LockSync(ctx context.Context) (unlock func(), err error) {
	f, err := os.OpenFile(db.path+".sync-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: sync lock: %w", err)
	}
	wait := 10 * time.Millisecond
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("store: sync lock: %w", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("store: sync lock: %w (%w)", ErrLocked, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 250*time.Millisecond)
	}
}
