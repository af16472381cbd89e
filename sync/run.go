package sync

import (
	"context"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// SyncNow asks Run for a pass as soon as possible and returns at once; it never blocks, so the
// UI may call it from its own goroutine (e.g. after recording a check, or from a "sync now"
// button). Requests made while one is already waiting coalesce.
func (c *Client) SyncNow() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// Run syncs in the background: at once, then every Config.Interval and whenever SyncNow is
// called. After a failed pass it waits HQ's Retry-After, or else a jittered exponential backoff
// between Config.MinBackoff and MaxBackoff, and tries again; it never gives up. A SyncNow during
// the wait tries at once.
//
// Run returns nil when ctx is canceled or Shutdown is called — the two ways to end it. A pass in
// flight is canceled; whatever HQ had acknowledged is already settled in the store.
func (c *Client) Run(ctx context.Context) error {
	c.running.Add(1)
	defer c.running.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Ends when Run returns (cancel) or Shutdown closes stopped.
	go func() {
		select {
		case <-c.stopped:
			cancel()
		case <-ctx.Done():
		}
	}()

	b := c.newBackoff()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.trigger:
		case <-timer.C:
		}
		_, err := c.Sync(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			c.purgeIfDue(ctx)
		}
		wait := c.cfg.Interval
		if err != nil {
			wait = c.retryDelay(b, err)
			c.log.DebugContext(ctx, "sync: retrying later", slog.Duration("wait", wait))
		} else {
			b.Reset()
		}
		timer.Reset(wait)
	}
}

// Flush syncs until the outbox is empty and a pull has succeeded, retrying failures with the same
// backoff as Run, until ctx ends or the error needs a person (not enrolled, credential rejected).
// It returns the totals over all attempts and, on failure, the last error. `kiosk sync` uses it.
func (c *Client) Flush(ctx context.Context) (Summary, error) {
	b := c.newBackoff()
	var total Summary
	for {
		sum, err := c.Sync(ctx)
		total.Pushed += sum.Pushed
		total.Quarantined += sum.Quarantined
		total.Pulled += sum.Pulled
		total.Drained = sum.Drained
		if err == nil || permanent(err) || ctx.Err() != nil {
			return total, err
		}
		t := time.NewTimer(c.retryDelay(b, err))
		select {
		case <-ctx.Done():
			t.Stop()
			return total, err
		case <-t.C:
		}
	}
}

// Shutdown stops Run, waits for it to return, then pushes once more so records made while it was
// stopping are sent if HQ can be reached. ctx bounds the whole call. Use it when the kiosk closes.
func (c *Client) Shutdown(ctx context.Context) error {
	c.stop.Do(func() { close(c.stopped) })
	done := make(chan struct{})
	// Ends when every Run has returned, which closing stopped makes prompt.
	go func() {
		c.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	_, err := c.Push(ctx)
	return err
}

// newBackoff returns the jittered exponential backoff used between failed passes.
func (c *Client) newBackoff() *backoff.ExponentialBackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = c.cfg.MinBackoff
	b.MaxInterval = c.cfg.MaxBackoff
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	b.Reset()
	return b
}

// retryDelay is how long to wait after err: HQ's Retry-After when it sent one, else the next
// backoff step; errors that need a person wait at least a full Interval.
func (c *Client) retryDelay(b *backoff.ExponentialBackOff, err error) time.Duration {
	d := b.NextBackOff()
	if ra := retryAfterOf(err); ra > 0 {
		d = ra
	}
	if permanent(err) {
		d = max(d, c.cfg.Interval)
	}
	return d
}
