package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/store"
)

// Enroll exchanges a one-time enrollment code from HQ for this kiosk's own credential and saves
// it in the store, replacing any earlier one. The code carries the fingerprint of HQ's root key;
// HQ's answer must hold the key it names, which the kiosk pins to verify every later dataset.
// An http:// address is refused unless it is loopback (ErrInsecureURL). hqURL is HQ's base address (scheme and host); it is
// saved with the credential unless Config.BaseURL overrides it. Enroll does not pull itself: it
// wakes Run if one is running, and callers without Run call Pull (or Sync) next.
func (c *Client) Enroll(ctx context.Context, hqURL, code string) (store.Device, error) {
	return c.EnrollWith(ctx, hqURL, code, EnrollOptions{})
}

// EnrollOptions change how EnrollWith treats the data directory's past.
type EnrollOptions struct {
	// Force enrolls even though records are pending and the kiosk holds no earlier credential
	// to prove it is the device that made them (ErrUnprovenPending otherwise). HQ then accepts
	// them only if the code names their device; else it holds them for an operator.
	Force bool
}

// EnrollWith is Enroll with options. A kiosk that holds an earlier credential (revoked or not)
// sends its device id and a proof made with its secret (checkpoint.ContinuityProof): HQ records
// the new device as that one's successor and accepts its queued records from the new one. HQ
// refusing the proof is ErrContinuity and spends nothing. Saving the new credential drops
// everything HQ supplied before (store.SaveDevice), never pending records or local edits.
func (c *Client) EnrollWith(ctx context.Context, hqURL, code string, opts EnrollOptions) (store.Device, error) {
	u, err := url.Parse(hqURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return store.Device{}, fmt.Errorf("sync: enroll: HQ address %q is not an http(s) URL", hqURL)
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return store.Device{}, errors.New("sync: enroll: empty enrollment code")
	}
	_, rootID, err := checkpoint.SplitEnrollCode(code)
	if err != nil {
		return store.Device{}, fmt.Errorf("sync: enroll: %w", err)
	}
	base := c.cfg.BaseURL
	if base == "" {
		base = hqURL
	}
	if err := checkSecure(hqURL); err != nil {
		return store.Device{}, fmt.Errorf("sync: enroll: %w", err)
	}
	if err := checkSecure(base); err != nil {
		return store.Device{}, fmt.Errorf("sync: enroll: %w", err)
	}
	req := checkpoint.EnrollRequest{Code: code, DeviceName: c.cfg.DeviceName}
	old, err := c.st.Device(ctx)
	if err != nil && !errors.Is(err, store.ErrNotEnrolled) {
		return store.Device{}, fmt.Errorf("sync: enroll: read device: %w", errors.Join(ErrStore, err))
	}
	if old.ID != "" && old.Secret != "" {
		req.Replaces, req.Proof = old.ID, checkpoint.ContinuityProof(old.ID, old.Secret, code)
	} else if !opts.Force {
		st, err := c.st.OutboxStats(ctx)
		if err != nil {
			return store.Device{}, fmt.Errorf("sync: enroll: %w", errors.Join(ErrStore, err))
		}
		if st.Pending > 0 {
			return store.Device{}, fmt.Errorf("sync: enroll: %w: %d pending", ErrUnprovenPending, st.Pending)
		}
	}
	body, err := json.Marshal(req)
	if err != nil {
		return store.Device{}, fmt.Errorf("sync: enroll: %w", err)
	}
	var resp checkpoint.EnrollResponse
	err = c.do(ctx, c.cfg.RequestTimeout, http.MethodPost, base, "/api/v1/enroll", store.Device{},
		func() io.Reader { return bytes.NewReader(body) }, false, &resp)
	if err != nil {
		var he *HTTPError
		switch {
		case errors.As(err, &he) && he.Code == "bad_continuity_proof":
			err = fmt.Errorf("%w: %w", ErrContinuity, err)
		case errors.As(err, &he) && he.Status >= 400 && he.Status < 500 && he.Status != http.StatusTooManyRequests:
			err = &enrollError{he}
		}
		return store.Device{}, fmt.Errorf("sync: enroll: %w", err)
	}
	if resp.DeviceID == "" || resp.Secret == "" || resp.SiteID == "" {
		return store.Device{}, fmt.Errorf("sync: enroll: %w: credential incomplete", ErrProtocol)
	}
	// Pin HQ's root only if the fingerprint staff typed names it: no trust on first use. A
	// man in the middle answering with his own root gets nothing saved.
	root, err := checkpoint.MatchRoot(rootID, resp.RootKey, resp.RootChain)
	if err != nil {
		c.log.WarnContext(ctx, "sync: enrollment refused: HQ root does not match the code", slog.String("want", rootID))
		return store.Device{}, fmt.Errorf("sync: enroll: %w: %w", ErrRootMismatch, err)
	}
	dev := store.Device{
		ID:         resp.DeviceID,
		Secret:     resp.Secret,
		SiteID:     resp.SiteID,
		HQURL:      strings.TrimRight(hqURL, "/"),
		EnrolledAt: c.cfg.Now().UTC(),
		RootKey:    root,
		Epoch:      resp.Epoch,
		Replaces:   resp.Replaces,
	}
	if err := c.st.SaveDevice(ctx, dev); err != nil {
		return store.Device{}, fmt.Errorf("sync: enroll: save device: %w", errors.Join(ErrStore, err))
	}
	c.log.InfoContext(ctx, "sync: enrolled", slog.String("device", dev.ID), slog.String("site", dev.SiteID), slog.String("replaces", resp.Replaces))
	c.update(func(s *Status) { s.Enrolled, s.LastError = true, Message{} })
	c.SyncNow() // a running Run pulls the new site's configuration at once
	return dev, nil
}

// enrollError is HQ refusing an enrollment code (unknown, used, expired): Explain says so
// rather than blaming the device credential.
type enrollError struct{ *HTTPError }

func (e *enrollError) Unwrap() error { return e.HTTPError }

// CodeStatus asks HQ for the live status of a code (revoked, colour changed since issue). It
// waits at most Config.StatusTimeout, because a person is standing at the checkpoint; on any
// error the caller falls back to what the code and the last pulled revocation list say.
func (c *Client) CodeStatus(ctx context.Context, codeID string) (checkpoint.CodeStatus, error) {
	var cs checkpoint.CodeStatus
	if codeID == "" || len(codeID) > checkpoint.MaxIDLen {
		return cs, errors.New("sync: code status: bad code id")
	}
	dev, base, err := c.device(ctx)
	if err != nil {
		return cs, fmt.Errorf("sync: code status: %w", err)
	}
	err = c.do(ctx, c.cfg.StatusTimeout, http.MethodGet, base, "/api/v1/codes/"+url.PathEscape(codeID)+"/status", dev, nil, false, &cs)
	if err != nil {
		return checkpoint.CodeStatus{}, fmt.Errorf("sync: code status: %w", err)
	}
	return cs, nil
}

// CheckHQURL refuses an HQ address a kiosk must not use: not http(s), or plain http to a host
// that is not loopback (ErrInsecureURL; Explain gives the words).
func CheckHQURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("sync: HQ address %q is not an http(s) URL", raw)
	}
	return checkSecure(raw)
}

// checkSecure refuses a plain-http HQ address unless its host is loopback (127.0.0.0/8, ::1,
// localhost): anywhere else the device secret and the enrollment code would travel in clear.
func checkSecure(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("HQ address %q: %w", raw, err)
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInsecureURL, u.Redacted())
}
