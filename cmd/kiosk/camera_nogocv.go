//go:build !gocv

package main

import (
	"log/slog"

	"github.com/yongji-county/checkpoint/scanner"
)

func cameraSource(runFlags, *slog.Logger) (scanner.Source, error) { return nil, scanner.ErrNoCamera }

func newDecoder() (*scanner.Decoder, error) { return scanner.NewDecoder(scanner.Options{}) }
