//go:build gocv

package main

import "github.com/yongji-county/checkpoint/scanner"

// goEngines are the in-process decoders of this build: the pure-Go cascade and the cascade with
// the WeChat fallback (what a gocv station runs); with -wechat-alone also WeChat by itself.
func goEngines(cfg config) []engine {
	es := []engine{
		&goEngine{label: "scanner (pure Go)", opts: func() (scanner.Options, error) { return scanner.Options{}, nil }},
		&goEngine{label: "scanner + WeChat fallback (gocv)", opts: func() (scanner.Options, error) {
			w, err := scanner.NewWeChat()
			return scanner.Options{Fallback: w}, err
		}},
	}
	if cfg.wechatAlone {
		es = append(es, &goEngine{label: "OpenCV WeChat alone", opts: func() (scanner.Options, error) {
			w, err := scanner.NewWeChat()
			return scanner.Options{Steps: []string{"fallback"}, Fallback: w}, err
		}})
	}
	return es
}

// analysisFallback is the fallback decoder the "fallback*" steps use in -analyze.
func analysisFallback() (scanner.Fallback, error) { return scanner.NewWeChat() }
