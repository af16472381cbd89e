package sync

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// Errors a Client returns, wrapped; test with errors.Is.
var (
	// ErrNotEnrolled means the kiosk holds no device credential yet.
	ErrNotEnrolled = errors.New("device not enrolled")
	// ErrProtocol means HQ answered something the kiosk cannot use (bad JSON, missing results).
	ErrProtocol = errors.New("unexpected answer from HQ")
	// ErrStore marks a failure of the kiosk's own database.
	ErrStore = errors.New("local store")
	// ErrDataset means the store refused a configuration dataset HQ sent.
	ErrDataset = errors.New("dataset refused")
	// ErrRefused means a dataset HQ sent failed verification (signature, device, version,
	// root) and was not applied.
	ErrRefused = errors.New("dataset failed verification")
	// ErrInsecureURL means an http:// HQ address that is not loopback.
	ErrInsecureURL = errors.New("HQ address must use https")
	// ErrRootMismatch means HQ's root key at enrollment is not the one the code names.
	ErrRootMismatch = errors.New("HQ root key does not match the enrollment code")
	// ErrBusy means another process held the data directory's sync lock for the whole wait.
	ErrBusy = errors.New("another sync is running")
	// ErrContinuity means HQ refused the kiosk's proof that it held its earlier credential.
	ErrContinuity = errors.New("HQ refused the proof of the earlier credential")
	// ErrUnprovenPending means an enrollment would strand pending records: the kiosk holds no
	// earlier credential to prove continuity with (EnrollOptions.Force goes ahead anyway).
	ErrUnprovenPending = errors.New("pending records and no earlier credential to prove continuity")
)

// HTTPError is an answer from HQ with a status other than 200.
type HTTPError struct {
	Status     int           // HTTP status code
	Code       string        // ErrorResponse.Error, machine-readable; may be empty
	Message    string        // ErrorResponse.Message, Chinese first then English; may be empty
	RetryAfter time.Duration // from the Retry-After header; 0 when absent
}

// Error says what HQ answered, without its human-readable message.
func (e *HTTPError) Error() string {
	s := fmt.Sprintf("hq answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		s += " (" + e.Code + ")"
	}
	return s
}

// Temporary reports whether trying again later may succeed.
func (e *HTTPError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status == http.StatusRequestTimeout || e.Status >= 500
}

// maxAnswerBytes bounds what the kiosk reads from one HQ answer.
const maxAnswerBytes = 64 << 20

// pushBatch sends one batch and returns HQ's per-record answers for records of this batch,
// in batch order.
func (c *Client) pushBatch(ctx context.Context, base string, dev store.Device, batch []checkpoint.Record) ([]checkpoint.RecordResult, error) {
	body, err := encodeBatch(batch)
	if err != nil {
		return nil, err
	}
	var resp checkpoint.PushResponse
	err = c.do(ctx, c.cfg.RequestTimeout, http.MethodPost, base, "/api/v1/batches", dev, func() io.Reader { return bytes.NewReader(body) }, true, &resp)
	if err != nil {
		return nil, err
	}
	// Keep only answers for records we sent, once each, in batch order: a confused HQ must not
	// make the store settle records it never saw.
	byID := make(map[string]checkpoint.RecordResult, len(resp.Results))
	for _, r := range resp.Results {
		if _, dup := byID[r.ID]; !dup {
			byID[r.ID] = r
		}
	}
	out := make([]checkpoint.RecordResult, 0, len(batch))
	for _, rec := range batch {
		if r, ok := byID[rec.ID]; ok && validResult(r.Status) {
			out = append(out, r)
		}
	}
	return out, nil
}

func validResult(s string) bool {
	switch s {
	case checkpoint.ResultStored, checkpoint.ResultDuplicate, checkpoint.ResultHeld, checkpoint.ResultSuperseded,
		checkpoint.ResultConflict, checkpoint.ResultRejected:
		return true
	}
	return false
}

// encodeBatch marshals and gzips a PushRequest.
func encodeBatch(batch []checkpoint.Record) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(checkpoint.PushRequest{Records: batch}); err != nil {
		return nil, fmt.Errorf("encode batch: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress batch: %w", err)
	}
	return buf.Bytes(), nil
}

// getConfig asks HQ for the datasets that differ from the cursors: a per-device dataset by its
// content tag, a global one by its version (0: not held). A per-device dataset held without a
// tag (from an older kiosk) is left out of the query, so HQ sends it.
func (c *Client) getConfig(ctx context.Context, base string, dev store.Device, cursors map[string]store.Cursor) (checkpoint.ConfigResponse, error) {
	q := url.Values{}
	for _, name := range checkpoint.Datasets {
		cur := cursors[name]
		switch {
		case checkpoint.PerDevice(name):
			if cur.Tag != "" && cur.Version != 0 {
				q.Set(name, cur.Tag)
			}
		default:
			q.Set(name, strconv.FormatInt(cur.Version, 10))
		}
	}
	var resp checkpoint.ConfigResponse
	hdr := http.Header{}
	if v := c.kioskStatus(ctx).Header(); v != "" {
		hdr.Set(checkpoint.KioskStatusHeader, v)
	}
	err := c.doHeader(ctx, c.cfg.RequestTimeout, http.MethodGet, base, "/api/v1/config?"+q.Encode(), dev, nil, false, hdr, &resp)
	return resp, err
}

// do makes one request with its own timeout. body, when not nil, makes a fresh reader (so the
// transport can replay it); gz marks it gzip-encoded. A 200 answer is decoded into out; any other
// status becomes an *HTTPError. dev.ID == "" sends no credential (enrollment).
func (c *Client) do(ctx context.Context, timeout time.Duration, method, base, path string, dev store.Device, body func() io.Reader, gz bool, out any) error {
	return c.doHeader(ctx, timeout, method, base, path, dev, body, gz, nil, out)
}

// doHeader is do with extra request headers.
func (c *Client) doHeader(ctx context.Context, timeout time.Duration, method, base, path string, dev store.Device, body func() io.Reader, gz bool, hdr http.Header, out any) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = body()
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(body()), nil }
		req.Header.Set("Content-Type", "application/json")
	}
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Accept", "application/json")
	if dev.ID != "" {
		req.Header.Set("Authorization", "Bearer "+dev.ID+"."+dev.Secret)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	c.update(func(s *Status) { s.Online = true })
	if e := resp.Header.Get(checkpoint.EpochHeader); e != "" && len(e) <= 64 && (resp.StatusCode == http.StatusOK || dev.ID != "") {
		c.mu.Lock()
		c.seenEpoch = e
		c.mu.Unlock()
	}
	if resp.StatusCode != http.StatusOK {
		he := &HTTPError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())}
		var er checkpoint.ErrorResponse
		if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&er) == nil {
			he.Code, he.Message = er.Error, er.Message
		}
		return he
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxAnswerBytes)).Decode(out); err != nil {
		var se *json.SyntaxError
		var ute *json.UnmarshalTypeError
		if errors.As(err, &se) || errors.As(err, &ute) || errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		// Cut off in transit (reset, unexpected EOF, timeout): a network failure.
		return fmt.Errorf("read answer: %w", err)
	}
	return nil
}

// retryAfter parses a Retry-After header: delta-seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// maxRetryAfter caps a Retry-After HQ sends, so a bogus value cannot silence a kiosk for days.
const maxRetryAfter = time.Hour

// retryAfterOf returns the Retry-After carried by err, if any.
func retryAfterOf(err error) time.Duration {
	var he *HTTPError
	if errors.As(err, &he) {
		return min(he.RetryAfter, maxRetryAfter)
	}
	return 0
}
