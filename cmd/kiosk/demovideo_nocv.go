//go:build !gocv

package main

import (
	"image"

	"github.com/yongji-county/checkpoint/scanner"
)

// videoSupport reports whether this build plays and writes video (the gocv tag).
const videoSupport = false

func writeDemoVideo(path, text string, w, h int) error { return scanner.ErrNoCamera }

func demoStill(text string, w, h int) (image.Image, error) { return nil, scanner.ErrNoCamera }
