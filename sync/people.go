package sync

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	checkpoint "github.com/yongji-county/checkpoint"
)

// PersonStatus asks HQ the colour of a person who shows no code (assisted registration), by
// their 18-character ID number; HQ answers the colour and reason only. The number travels in
// the request body, never in the URL. Like CodeStatus it waits at most Config.StatusTimeout;
// on any error the caller must treat the status as unknown (never as green).
func (c *Client) PersonStatus(ctx context.Context, idNumber string) (checkpoint.PersonStatus, error) {
	if len(idNumber) != 18 {
		return checkpoint.PersonStatus{}, errors.New("sync: person status: bad id number")
	}
	dev, base, err := c.device(ctx)
	if err != nil {
		return checkpoint.PersonStatus{}, fmt.Errorf("sync: person status: %w", err)
	}
	body, err := json.Marshal(checkpoint.PersonStatusQuery{IDNumber: idNumber})
	if err != nil {
		return checkpoint.PersonStatus{}, fmt.Errorf("sync: person status: %w", err)
	}
	var ps checkpoint.PersonStatus
	err = c.do(ctx, c.cfg.StatusTimeout, http.MethodPost, base, "/api/v1/people/status", dev,
		func() io.Reader { return bytes.NewReader(body) }, false, &ps)
	if err != nil {
		return checkpoint.PersonStatus{}, fmt.Errorf("sync: person status: %w", err)
	}
	return ps, nil
}
