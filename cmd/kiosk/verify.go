package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/yongji-county/checkpoint"
)

func init() {
	register("verify", "verify a health code text offline and print the verdict as JSON", runVerify)
}

// verifyOutput is the JSON contract of "kiosk verify".
type verifyOutput struct {
	Valid     bool                `json:"valid"`
	Error     string              `json:"error"` // checkpoint.ErrorKind of the failure, "" when valid
	Verdict   checkpoint.Outcome  `json:"verdict"`
	Symbol    string              `json:"symbol"`
	Reasons   []checkpoint.Reason `json:"reasons"`
	MessageZH string              `json:"message_zh"`
	MessageEN string              `json:"message_en"`
	Claims    *checkpoint.Claims  `json:"claims,omitempty"`
}

// runVerify verifies CODE against a trust list (and optional risk and revocation lists), decides
// the verdict and prints one JSON object. It exits 0 whenever a decision was made, even for an
// invalid code; 1 when a list cannot be read; 2 for usage errors. The check is always offline.
func runVerify(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	trustPath := fs.String("trust", "", "trust list `FILE` (trust.json, required)")
	riskPath := fs.String("risk", "", "risk-area list `FILE` (JSON array)")
	revokedPath := fs.String("revoked", "", "revocation list `FILE`")
	tempText := fs.String("temp", "", "measured temperature in °C, e.g. 36.5")
	localStay := fs.Bool("local-stay", false, "staff confirmed a month's stay in the county without visiting a high-risk area")
	nowText := fs.String("now", "", "verification time, RFC 3339 (default: now)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "kiosk verify: "+format+"\n", a...)
		return 2
	}
	if len(pos) != 1 || *trustPath == "" {
		return usage("usage: kiosk verify --trust FILE [--risk FILE] [--revoked FILE] [--temp C] [--local-stay] [--now RFC3339] CODE")
	}
	now := time.Now()
	if *nowText != "" {
		if now, err = time.Parse(time.RFC3339, *nowText); err != nil {
			return usage("--now: %v", err)
		}
	}
	var temp checkpoint.Celsius
	if *tempText != "" {
		if temp, err = checkpoint.ParseCelsius(*tempText); err != nil {
			return usage("--temp: %v", err)
		}
	}

	fail := func(err error) int {
		fmt.Fprintf(stderr, "kiosk verify: %v\n", err)
		return 1
	}
	trust, err := readListFile(*trustPath, checkpoint.ParseTrustList)
	if err != nil {
		return fail(err)
	}
	var risk checkpoint.RiskList
	if *riskPath != "" {
		if risk, err = readListFile(*riskPath, checkpoint.ParseRiskList); err != nil {
			return fail(err)
		}
	}
	var revoked *checkpoint.RevocationList
	if *revokedPath != "" {
		if revoked, err = readListFile(*revokedPath, checkpoint.ParseRevocationList); err != nil {
			return fail(err)
		}
	}

	cfg := checkpoint.DefaultConfig()
	claims, codeErr := checkpoint.Verify(pos[0], trust, revoked, now, cfg)
	in := checkpoint.VerdictInput{
		CodeErr: codeErr, Risk: risk, LocalStay: *localStay, Temperature: temp,
		Offline: true, Config: cfg, Now: now,
	}
	if codeErr == nil {
		in.Claims = &claims
	}
	v := checkpoint.Decide(in)
	out := verifyOutput{
		Valid: codeErr == nil, Error: checkpoint.ErrorKind(codeErr), Verdict: v.Outcome, Symbol: v.Symbol,
		Reasons: v.Reasons, MessageZH: v.MessageZH, MessageEN: v.MessageEN, Claims: in.Claims,
	}
	return writeJSONLine(stdout, stderr, out)
}

// readListFile reads path and parses it with parse, naming the file in errors.
func readListFile[T any](path string, parse func([]byte) (T, error)) (T, error) {
	var zero T
	data, err := os.ReadFile(path)
	if err != nil {
		return zero, err
	}
	v, err := parse(data)
	if err != nil {
		return zero, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// parseInterspersed parses flags that come before or after the positional arguments (the flag
// package stops at the first positional one) and returns the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
