package store

import (
	"io"
	"log/slog"
)

func slogTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
