//go:build !gocv

package main

import "github.com/yongji-county/checkpoint/scanner"

// goEngines are the in-process decoders of this build: without the gocv tag, pure Go only.
func goEngines(config) []engine {
	return []engine{&goEngine{label: "scanner (pure Go)", opts: func() (scanner.Options, error) { return scanner.Options{}, nil }}}
}

// analysisFallback is the fallback decoder the "fallback*" steps use in -analyze: none here.
func analysisFallback() (scanner.Fallback, error) { return nil, nil }
