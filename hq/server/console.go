package server

import (
	"fmt"
	"log/slog"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/console"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
)

// Console turns on the operator console at /admin/ (operators are made by `hq operator add`).
type Console struct {
	// Secure says the console is served over TLS (by HQ or a proxy in front): cookies get
	// Secure and the __Host- prefix.
	Secure bool
}

// consoleMounts builds the console's handler over core.
func consoleMounts(core *hq.Server, c Console, trusted httpx.ClientAddr, log *slog.Logger) ([]Mount, error) {
	h, err := console.New(console.Config{Core: core, ClientIP: trusted.Of, Secure: c.Secure, Logger: log, Now: core.Now})
	if err != nil {
		return nil, fmt.Errorf("console: %w", err)
	}
	return []Mount{{Pattern: console.Prefix, Handler: httpx.Logged(log, "console", console.Prefix, h)}}, nil
}
