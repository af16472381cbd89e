package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

func init() {
	register("verify", "verify a health code text as a kiosk would and print the verdict as JSON", runVerify)
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

// runVerify verifies CODE, decides the verdict and prints one JSON object. With --data it
// verifies exactly as the enrolled kiosk in DIR would: the trust list, revocations, risk areas
// and rules it last pulled, its clock, and HQ's live status when HQ answers with the device's
// credential. With --trust it checks offline against the given files and the default rules.
// It exits 0 whenever a decision was made, even for an invalid code; 1 when the data cannot be
// read; 2 for usage errors.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "kiosk data `DIR` (holds kiosk.db): verify as that kiosk")
	hqURL := fs.String("hq", "", "with --data: HQ base URL (overrides the one saved at enrollment)")
	trustPath := fs.String("trust", "", "trust list `FILE` (trust.json), when there is no --data")
	riskPath := fs.String("risk", "", "with --trust: risk-area list `FILE` (JSON array)")
	revokedPath := fs.String("revoked", "", "with --trust: revocation list `FILE`")
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
	if len(pos) != 1 || (*trustPath == "") == (*dataDir == "") ||
		*dataDir != "" && (*riskPath != "" || *revokedPath != "") || *dataDir == "" && *hqURL != "" {
		return usage("usage: kiosk verify --data DIR [--hq URL] [--temp C] [--local-stay] [--now RFC3339] CODE\n" +
			"   or: kiosk verify --trust FILE [--risk FILE] [--revoked FILE] [--temp C] [--local-stay] [--now RFC3339] CODE")
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
	if *dataDir != "" {
		out, err := verifyAsKiosk(ctx, *dataDir, *hqURL, pos[0], *tempText, *localStay, now, *nowText != "", stderr)
		if err != nil {
			return fail(err)
		}
		return writeJSONLine(stdout, stderr, out)
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
		CodeErr: codeErr, Risk: risk, LocalStay: *localStay, Temperature: temp, TempMeasured: *tempText != "",
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

// verifyAsKiosk scans text through the kiosk logic over the store in dir, as the enrolled kiosk
// would: the verdict is station.Decide's, and HQ is asked for the live status (when the kiosk is
// enrolled and HQ answers in time). fixedNow replaces the kiosk's clock with now.
func verifyAsKiosk(ctx context.Context, dir, hqURL, text, temp string, localStay bool, now time.Time, fixedNow bool, stderr io.Writer) (verifyOutput, error) {
	if _, err := os.Stat(filepath.Join(dir, store.FileName)); err != nil {
		return verifyOutput{}, fmt.Errorf("no kiosk database in %s (run kiosk enroll and kiosk sync first)", dir)
	}
	logger := cliLogger(stderr, false)
	db, err := store.OpenDir(ctx, dir, store.Options{Logger: logger})
	if err != nil {
		return verifyOutput{}, err
	}
	defer db.Close()
	clock := time.Now
	if fixedNow {
		clock = func() time.Time { return now }
	}
	cfg := station.Config{DB: db, Now: clock, Logger: logger, AskHQ: true}
	if _, err := db.Device(ctx); err == nil {
		cfg.Sync = sync.New(db, sync.Config{BaseURL: hqURL, Logger: logger, Now: clock})
	}
	st := station.New(cfg)
	v := st.Scan(ctx, station.Session{}, text)
	d := v.Decision
	if v.Valid {
		if d, err = st.Decide(v, temp, localStay); err != nil && !errors.Is(err, checkpoint.ErrTempImplausible) {
			return verifyOutput{}, err
		}
	}
	out := verifyOutput{Valid: v.Valid, Error: v.ErrorKind, Verdict: checkpoint.Outcome(d.Verdict), Claims: v.Claims,
		Reasons: []checkpoint.Reason{}, MessageZH: d.MessageZH, MessageEN: d.MessageEN}
	out.Symbol = out.Verdict.Symbol()
	for _, r := range d.Reasons {
		out.Reasons = append(out.Reasons, checkpoint.Reason(r))
	}
	return out, nil
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
