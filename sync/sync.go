// Package sync is the kiosk side of the HQ protocol: it pushes the outbox to HQ in bounded,
// gzip-compressed batches, pulls versioned configuration, enrolls the device, asks HQ for the
// live status of a code, and reports its state to the UI in words staff can read.
//
// A Client never marks a record synced on its own: the store drops a record from the outbox only
// when HQ has answered for it ("stored" or "duplicate"). A lost answer means the same batch is sent
// again and HQ acknowledges it as a duplicate, so every record reaches HQ exactly once.
package sync

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	gosync "sync"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// Store is the part of the kiosk store a Client uses; *store.DB implements it.
type Store interface {
	PendingBatch(ctx context.Context, maxRecords, maxBytes int) ([]checkpoint.Record, error)
	ApplyResults(ctx context.Context, results []checkpoint.RecordResult, now time.Time) error
	OutboxStats(ctx context.Context) (store.OutboxStats, error)
	DatasetCursors(ctx context.Context) (map[string]store.Cursor, error)
	ApplyDatasets(ctx context.Context, ds []checkpoint.Dataset) error
	Device(ctx context.Context) (store.Device, error)
	SaveDevice(ctx context.Context, d store.Device) error
	SyncState(ctx context.Context) (store.SyncState, error)
	SetSyncState(ctx context.Context, s store.SyncState) error
	PinRoot(ctx context.Context, root ed25519.PublicKey, epoch string) error
	ChangeEpoch(ctx context.Context, epoch string, resend bool) (int, error)
	RecordRefusal(ctx context.Context, reason string, at time.Time) error
	Purge(ctx context.Context, now time.Time) (int, error)
}

// dirLocker is implemented by stores that live in a data directory other processes may open too
// (*store.DB): a pass holds the directory's sync lock from start to end.
type dirLocker interface {
	LockSync(ctx context.Context) (unlock func(), err error)
}

// Defaults used where a Config field is left zero.
const (
	DefaultBatchRecords   = 1000
	DefaultBatchBytes     = 1 << 20
	DefaultRequestTimeout = 30 * time.Second
	DefaultStatusTimeout  = 3 * time.Second
	DefaultInterval       = 30 * time.Second
	DefaultMinBackoff     = time.Second
	DefaultMaxBackoff     = 5 * time.Minute
)

// Config holds what a Client depends on. New gives zero fields their defaults.
type Config struct {
	// BaseURL overrides the HQ address saved at enrollment (e.g. "https://hq.example:8443").
	BaseURL string
	// HTTPClient makes the requests; each request also gets its own RequestTimeout.
	HTTPClient *http.Client
	// Now is the clock used for timestamps (sync times, synced-at in the store).
	Now func() time.Time
	// Logger receives counts, ids and errors only, never personal data.
	Logger *slog.Logger

	// BatchRecords and BatchBytes bound one push (records, and uncompressed record bytes).
	// They are capped at the protocol limits checkpoint.MaxBatchRecords and MaxBatchBytes/2.
	BatchRecords int
	BatchBytes   int

	// RequestTimeout bounds one HTTP exchange with HQ; StatusTimeout bounds a live code lookup,
	// which a person at the checkpoint is waiting for.
	RequestTimeout time.Duration
	StatusTimeout  time.Duration

	// Interval is how often Run syncs when nothing asks it to.
	Interval time.Duration
	// MinBackoff and MaxBackoff bound the jittered exponential wait between failed attempts.
	MinBackoff time.Duration
	MaxBackoff time.Duration

	// DeviceName is sent at enrollment so HQ operators can tell kiosks apart.
	DeviceName string
	// AppVersion is the kiosk software's version, reported to HQ on every config pull
	// (checkpoint.KioskStatusHeader); empty: the main module's version from the build info.
	AppVersion string

	// OnStatus, when set, is called with every new Status, from the goroutine that changed it.
	// It must not block; a Fyne UI wraps its work in fyne.Do.
	OnStatus func(Status)
}

// Client talks to HQ on behalf of one kiosk store. Its methods are safe for concurrent use;
// sync passes are serialised.
type Client struct {
	st  Store
	cfg Config
	log *slog.Logger

	pass    gosync.Mutex  // held for a whole push/pull pass
	trigger chan struct{} // SyncNow → Run; buffered 1 so requests coalesce

	mu        gosync.Mutex
	seenEpoch string    // HQ's epoch in its last answer (EpochHeader); guarded by mu
	resent    bool      // an epoch change this pass requeued records; guarded by pass
	lastPurge time.Time // when retention last ran; guarded by pass
	status    Status
	loaded    bool          // status holds the sync state saved by an earlier run
	stopped   chan struct{} // closed by Shutdown; Run returns when it is closed
	stop      gosync.Once
	running   gosync.WaitGroup
}

// New returns a Client for the store st.
func New(st Store, cfg Config) *Client {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BatchRecords <= 0 {
		cfg.BatchRecords = DefaultBatchRecords
	}
	cfg.BatchRecords = min(cfg.BatchRecords, checkpoint.MaxBatchRecords)
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = DefaultBatchBytes
	}
	// HQ refuses a batch past MaxBatchBytes; half leaves room for the JSON around the envelopes
	// and for the one record PendingBatch lets through even when it alone is over the limit.
	cfg.BatchBytes = min(cfg.BatchBytes, checkpoint.MaxBatchBytes/2)
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.StatusTimeout <= 0 {
		cfg.StatusTimeout = DefaultStatusTimeout
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = DefaultMinBackoff
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(DefaultMaxBackoff, cfg.MinBackoff)
	}
	return &Client{
		st:      st,
		cfg:     cfg,
		log:     cfg.Logger,
		trigger: make(chan struct{}, 1),
		stopped: make(chan struct{}),
	}
}

// Summary is what one sync pass achieved.
type Summary struct {
	Pushed      int  // records HQ acknowledged (stored or duplicate) in this pass
	Quarantined int  // records HQ refused in this pass (conflict or rejected)
	Pulled      int  // datasets that changed and were applied
	Drained     bool // the outbox had nothing left to send when the push ended
}

// Sync runs one pass now: it pushes until the outbox is empty, then pulls configuration.
// It does not retry; Run and Flush do. The error is wrapped ("sync: push: …"); Explain turns it
// into words for staff.
func (c *Client) Sync(ctx context.Context) (Summary, error) {
	unlock, err := c.lock(ctx)
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	return c.syncLocked(ctx, true)
}

// Push runs the push half of a pass: batches until the outbox is empty or a request fails.
func (c *Client) Push(ctx context.Context) (Summary, error) {
	unlock, err := c.lock(ctx)
	if err != nil {
		return Summary{}, err
	}
	defer unlock()
	return c.syncLocked(ctx, false)
}

// Pull fetches the configuration datasets that changed since the versions the store holds and
// applies them atomically.
func (c *Client) Pull(ctx context.Context) (int, error) {
	unlock, err := c.lock(ctx)
	if err != nil {
		return 0, err
	}
	defer unlock()
	c.begin()
	n, err := c.pull(ctx)
	c.finish(ctx, err)
	return n, err
}

// lock takes the client's pass mutex and, when the store has one, the data directory's sync
// lock, so that two processes on one kiosk never sync at the same time.
func (c *Client) lock(ctx context.Context) (func(), error) {
	c.pass.Lock()
	l, ok := c.st.(dirLocker)
	if !ok {
		return c.pass.Unlock, nil
	}
	unlock, err := l.LockSync(ctx)
	if err != nil {
		c.pass.Unlock()
		return nil, fmt.Errorf("sync: %w", errors.Join(ErrBusy, err))
	}
	return func() {
		unlock()
		c.pass.Unlock()
	}, nil
}

func (c *Client) syncLocked(ctx context.Context, pull bool) (Summary, error) {
	c.begin()
	c.resent = false
	sum, err := c.push(ctx)
	if err == nil && pull {
		sum.Pulled, err = c.pull(ctx)
	}
	if err == nil && c.resent {
		// HQ's epoch changed during the pull: what it may have lost is queued again.
		var more Summary
		more, err = c.push(ctx)
		sum.Pushed, sum.Quarantined, sum.Drained = sum.Pushed+more.Pushed, sum.Quarantined+more.Quarantined, more.Drained
	}
	if err == nil && pull {
		c.purge(ctx)
	}
	c.finish(ctx, err)
	return sum, err
}

// purgeEvery is how often retention runs when passes keep failing (no HQ for days): synced
// records past the retention period go even while the kiosk is offline.
const purgeEvery = 24 * time.Hour

// purge applies retention (store.Purge: only records HQ acknowledged, never pending or
// quarantined ones). It runs after every successful pass and, from Run, at least daily. A
// failure is logged and retried next time; it never fails the pass.
func (c *Client) purge(ctx context.Context) {
	now := c.cfg.Now()
	n, err := c.st.Purge(ctx, now)
	if err != nil {
		c.log.WarnContext(ctx, "sync: retention purge failed", slog.Any("error", err))
		return
	}
	c.lastPurge = now
	if n > 0 {
		c.log.InfoContext(ctx, "sync: retention purged synced records", slog.Int("records", n))
	}
}

// purgeIfDue runs retention when it has not run for purgeEvery, holding the pass lock.
func (c *Client) purgeIfDue(ctx context.Context) {
	unlock, err := c.lock(ctx)
	if err != nil {
		return
	}
	defer unlock()
	if c.cfg.Now().Sub(c.lastPurge) >= purgeEvery {
		c.purge(ctx)
	}
}

// push sends batches until PendingBatch returns nothing. Results are applied after each batch,
// so a failure later in the pass loses nothing already acknowledged.
func (c *Client) push(ctx context.Context) (Summary, error) {
	var sum Summary
	dev, base, err := c.device(ctx)
	if err != nil {
		return sum, fmt.Errorf("sync: push: %w", err)
	}
	limit := c.cfg.BatchRecords
	for {
		if err := ctx.Err(); err != nil {
			return sum, fmt.Errorf("sync: push: %w", err)
		}
		batch, err := c.st.PendingBatch(ctx, limit, c.cfg.BatchBytes)
		if err != nil {
			return sum, fmt.Errorf("sync: push: read outbox: %w", errors.Join(ErrStore, err))
		}
		if len(batch) == 0 {
			sum.Drained = true
			return sum, nil
		}
		results, err := c.pushBatch(ctx, base, dev, batch)
		var he *HTTPError
		if errors.As(err, &he) && he.Status == http.StatusRequestEntityTooLarge {
			if len(batch) > 1 {
				// HQ's limit is lower than ours: halve and go on; the smaller size sticks
				// for the rest of this pass.
				limit = max(1, len(batch)/2)
				c.log.WarnContext(ctx, "sync: batch too large, halving", slog.Int("records", len(batch)), slog.Int("limit", limit))
				continue
			}
			// One record HQ will never take: quarantine it so it does not block the queue.
			results = []checkpoint.RecordResult{{ID: batch[0].ID, Status: checkpoint.ResultRejected, Error: "too_large",
				Message: "记录过大，总部无法接收 / record too large for HQ"}}
			err = nil
		}
		if err != nil {
			return sum, fmt.Errorf("sync: push: %w", err)
		}
		// A new epoch first requeues what HQ may have lost; this batch's answers come after,
		// from the HQ that now holds them.
		if err := c.noteEpoch(ctx, &dev); err != nil {
			return sum, fmt.Errorf("sync: push: %w", err)
		}
		if err := c.st.ApplyResults(ctx, results, c.cfg.Now().UTC()); err != nil {
			return sum, fmt.Errorf("sync: push: apply results: %w", errors.Join(ErrStore, err))
		}
		var done, bad int
		for _, r := range results {
			if r.Done() {
				done++
			} else {
				bad++
				c.log.WarnContext(ctx, "sync: record quarantined", slog.String("record", r.ID), slog.String("status", r.Status), slog.String("error", r.Error))
			}
		}
		sum.Pushed += done
		sum.Quarantined += bad
		c.log.DebugContext(ctx, "sync: batch pushed", slog.Int("records", len(batch)), slog.Int("acknowledged", done), slog.Int("quarantined", bad))
		if len(results) < len(batch) {
			return sum, fmt.Errorf("sync: push: %w: %d of %d records answered", ErrProtocol, len(results), len(batch))
		}
	}
}

// pull fetches and applies the datasets that changed.
func (c *Client) pull(ctx context.Context) (int, error) {
	dev, base, err := c.device(ctx)
	if err != nil {
		return 0, fmt.Errorf("sync: pull: %w", err)
	}
	cursors, err := c.st.DatasetCursors(ctx)
	if err != nil {
		return 0, fmt.Errorf("sync: pull: read cursors: %w", errors.Join(ErrStore, err))
	}
	resp, err := c.getConfig(ctx, base, dev, cursors)
	if err != nil {
		return 0, fmt.Errorf("sync: pull: %w", err)
	}
	if was := dev.Epoch; was != "" {
		if err := c.noteEpoch(ctx, &dev); err != nil {
			return 0, fmt.Errorf("sync: pull: %w", err)
		}
		if dev.Epoch != was {
			// HQ was restored: what it answered was measured against cursors from before.
			// Ask again with the cursors reset.
			if cursors, err = c.st.DatasetCursors(ctx); err != nil {
				return 0, fmt.Errorf("sync: pull: read cursors: %w", errors.Join(ErrStore, err))
			}
			if resp, err = c.getConfig(ctx, base, dev, cursors); err != nil {
				return 0, fmt.Errorf("sync: pull: %w", err)
			}
		}
	}
	if !resp.ServerTime.IsZero() {
		skew := resp.ServerTime.Sub(c.cfg.Now())
		c.update(func(s *Status) { s.ClockSkew = skew })
	}
	sets, refused := c.verify(ctx, dev, cursors, resp)
	var applyErr error
	if len(sets) > 0 {
		if err := c.st.ApplyDatasets(ctx, sets); err != nil {
			applyErr = fmt.Errorf("sync: pull: apply: %w", errors.Join(ErrDataset, err))
			c.noteRefusal(ctx, refusalReason(err))
		}
		for _, d := range sets {
			c.log.InfoContext(ctx, "sync: dataset received", slog.String("dataset", d.Name), slog.Int64("version", d.Version))
		}
	}
	if refused != nil {
		return len(sets), errors.Join(fmt.Errorf("sync: pull: %w", refused), applyErr)
	}
	return len(sets), applyErr
}

// verify follows HQ's root chain from the pinned root and checks every envelope against it,
// the device and the versions held. It returns the datasets that verified; each one that did
// not is logged, counted in the store and left out, so the kiosk keeps the last good one. The
// error (nil when all verified) wraps ErrRefused and the last envelope error.
func (c *Client) verify(ctx context.Context, dev store.Device, held map[string]store.Cursor, resp checkpoint.ConfigResponse) ([]checkpoint.Dataset, error) {
	var refused error
	refuse := func(name string, err error) {
		reason := refusalReason(err)
		refused = fmt.Errorf("%w: %w", ErrRefused, err)
		c.log.WarnContext(ctx, "sync: dataset refused", slog.String("dataset", name), slog.String("reason", reason), slog.Any("error", err))
		c.noteRefusal(ctx, reason)
	}
	root := dev.RootKey
	if len(root) == ed25519.PublicKeySize && len(resp.RootChain) > 0 {
		next, err := checkpoint.FollowRootChain(root, resp.RootChain)
		if err != nil {
			refuse("root_chain", err)
		}
		if !next.Equal(root) {
			if err := c.st.PinRoot(ctx, next, ""); err != nil {
				return nil, fmt.Errorf("sync: pull: pin root: %w", errors.Join(ErrStore, err))
			}
			c.log.InfoContext(ctx, "sync: followed HQ root rotation", slog.String("from", checkpoint.RootID(root)), slog.String("to", checkpoint.RootID(next)))
			root = next
		}
	}
	var out []checkpoint.Dataset
	epoch := ""
	for _, env := range resp.Datasets {
		h := held[env.Name]
		p, err := env.Verify(h.Check(root, dev.ID))
		if err != nil {
			refuse(env.Name, err)
			continue
		}
		if dev.Epoch != "" && p.Epoch != dev.Epoch {
			// Signed in another epoch than the one HQ answers in: after a restore, an old
			// epoch's datasets are replays.
			refuse(env.Name, fmt.Errorf("%w: epoch %s, HQ is in %s", checkpoint.ErrEnvelopeVersion, p.Epoch, dev.Epoch))
			continue
		}
		if p.Version == h.Version && p.Tag == h.Tag && p.Epoch == h.Epoch && h.Version != 0 {
			continue // the dataset held again: nothing to do
		}
		out = append(out, p.Dataset())
		epoch = p.Epoch
	}
	if epoch != "" && epoch != dev.Epoch {
		if err := c.st.PinRoot(ctx, root, epoch); err != nil {
			return nil, fmt.Errorf("sync: pull: save epoch: %w", errors.Join(ErrStore, err))
		}
	}
	return out, refused
}

// noteEpoch compares the epoch in HQ's last answer with the one the kiosk knows. The first one
// seen is just recorded; a change means HQ was restored from a backup: the store requeues every
// synced record it still holds and resets the dataset cursors (store.ChangeEpoch), and dev is
// updated.
func (c *Client) noteEpoch(ctx context.Context, dev *store.Device) error {
	c.mu.Lock()
	seen := c.seenEpoch
	c.mu.Unlock()
	if seen == "" || seen == dev.Epoch {
		return nil
	}
	resend := dev.Epoch != ""
	n, err := c.st.ChangeEpoch(ctx, seen, resend)
	if err != nil {
		return fmt.Errorf("save epoch: %w", errors.Join(ErrStore, err))
	}
	if resend {
		c.resent = c.resent || n > 0
		c.log.WarnContext(ctx, "sync: HQ epoch changed (restored from a backup): pulling every dataset again and resending synced records",
			slog.String("from", dev.Epoch), slog.String("to", seen), slog.Int("requeued", n))
	}
	dev.Epoch = seen
	return nil
}

// noteRefusal counts a refused dataset in the store and the status.
func (c *Client) noteRefusal(ctx context.Context, reason string) {
	now := c.cfg.Now()
	if err := c.st.RecordRefusal(context.WithoutCancel(ctx), reason, now); err != nil {
		c.log.WarnContext(ctx, "sync: save refusal", slog.Any("error", err))
	}
	c.update(func(s *Status) {
		s.Refused++
		s.LastRefusal, s.LastRefusedAt = RefusalMessage(reason), now
	})
}

// device loads the credential and the HQ address to use.
func (c *Client) device(ctx context.Context) (store.Device, string, error) {
	dev, err := c.st.Device(ctx)
	if err != nil || dev.ID == "" || dev.Secret == "" {
		return dev, "", notEnrolled(err)
	}
	base := c.cfg.BaseURL
	if base == "" {
		base = dev.HQURL
	}
	if base == "" {
		return dev, "", fmt.Errorf("%w: no HQ address", ErrNotEnrolled)
	}
	if err := checkSecure(base); err != nil {
		return dev, "", err
	}
	return dev, base, nil
}

func notEnrolled(err error) error {
	if err == nil || errors.Is(err, store.ErrNotEnrolled) {
		return ErrNotEnrolled
	}
	return fmt.Errorf("read device: %w", errors.Join(ErrStore, err))
}
