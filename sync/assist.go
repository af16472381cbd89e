package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// AssistSMS asks HQ to send a verification code to phone for an assisted registration (获取验证码
// at 辅助登记). It waits at most Config.StatusTimeout; retry is when HQ allows the next request.
// Errors are *HTTPError for HQ's answers (429 with RetryAfter when limited) or network failures.
func (c *Client) AssistSMS(ctx context.Context, phone string) (retry time.Duration, err error) {
	var out checkpoint.AssistSMSResponse
	if err := c.post(ctx, "/api/v1/assist/sms", checkpoint.AssistSMSRequest{Phone: phone}, &out); err != nil {
		return 0, fmt.Errorf("sync: assist sms: %w", err)
	}
	return time.Duration(max(out.RetryAfterS, 0)) * time.Second, nil
}

// AssistVerify asks HQ to check (and consume) the code the person read out. A wrong or expired
// code is an *HTTPError with status 400 and its reason in Code; any other error means HQ could
// not be asked, and the registration is then recorded as unverified.
func (c *Client) AssistVerify(ctx context.Context, phone, code string) error {
	var out checkpoint.AssistVerifyResponse
	if err := c.post(ctx, "/api/v1/assist/verify", checkpoint.AssistVerifyRequest{Phone: phone, Code: code}, &out); err != nil {
		return fmt.Errorf("sync: assist verify: %w", err)
	}
	if !out.Verified {
		return fmt.Errorf("sync: assist verify: %w: verified false", ErrProtocol)
	}
	return nil
}

// post sends a small JSON request with the device credential, waiting at most
// Config.StatusTimeout (a person is standing at the kiosk).
func (c *Client) post(ctx context.Context, path string, in, out any) error {
	dev, base, err := c.device(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.do(ctx, c.cfg.StatusTimeout, http.MethodPost, base, path, dev,
		func() io.Reader { return bytes.NewReader(body) }, false, out)
}
