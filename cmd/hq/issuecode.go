package main

import (
	"context"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"github.com/yongji-county/checkpoint"
)

func init() {
	register("issue-code", "sign a health code and print its text (optionally a QR PNG)", runIssueCode)
}

// runIssueCode signs a health code with the key in --key and prints the code text on one line.
// A zero or negative --ttl yields a code that expired that long ago (for tests): it is dated as
// issued the kind's default TTL before its expiry, but not before the key's window opens.
func runIssueCode(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("issue-code", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "issuer key `FILE` (required)")
	name := fs.String("name", "", "holder's name (required)")
	idText := fs.String("id", "", "holder's 18-character resident ID (required; only the masked form goes in the code)")
	household := fs.String("household", "", "household registration division code, 6 digits (default: the ID number's region)")
	statusText := fs.String("status", "", "code colour: green, yellow or red (required)")
	ttlText := fs.String("ttl", "", "validity, e.g. 10m or 168h (default: 10m live, 168h printed)")
	reason := fs.String("reason", "", "short reason for the colour")
	kindText := fs.String("kind", "live", "live (phone) or printed")
	pngPath := fs.String("png", "", "also write the code as a QR PNG to `FILE`")
	nowText := fs.String("now", "", "issue time, RFC 3339 (default: now)")
	holder := fs.String("holder", "", "holder id, 16 lowercase hex digits: the person's pseudonym at HQ (default: a fresh random one, so kiosks see a new person)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "hq issue-code: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() != 0 || *keyPath == "" || *name == "" || *idText == "" || *statusText == "" {
		return usage("usage: hq issue-code --key FILE --name NAME --id ID --status green|yellow|red [--household CODE] [--ttl D] [--reason TEXT] [--kind live|printed] [--holder HEX] [--png FILE]")
	}
	now := time.Now()
	if *nowText != "" {
		t, err := time.Parse(time.RFC3339, *nowText)
		if err != nil {
			return usage("--now: %v", err)
		}
		now = t
	}
	id, err := checkpoint.ParseResidentIDAt(*idText, now)
	if err != nil {
		return usage("--id: %v", err)
	}
	n, err := checkpoint.ParseName(*name)
	if err != nil {
		return usage("--name: %v", err)
	}
	if *household == "" {
		*household = id.Region()
	}
	if !checkpoint.ValidDivisionCode(*household) {
		return usage("--household %q: want a 6-digit division code", *household)
	}
	if !checkpoint.ValidReason(*reason) {
		return usage("--reason: at most %d printable characters, no leading or trailing space", checkpoint.MaxReasonLen)
	}
	status, err := checkpoint.ParseStatus(*statusText)
	if err != nil {
		return usage("--status: %v", err)
	}
	kind, err := checkpoint.ParseCodeKind(*kindText)
	if err != nil {
		return usage("--kind: %v", err)
	}
	if *holder == "" {
		*holder = checkpoint.NewHolderID()
	} else if !checkpoint.ValidHolderID(*holder) {
		return usage("--holder %q: want 16 lowercase hex digits", *holder)
	}
	ttl := kind.DefaultTTL()
	if *ttlText != "" {
		if ttl, err = time.ParseDuration(*ttlText); err != nil {
			return usage("--ttl: %v", err)
		}
	}

	data, err := os.ReadFile(*keyPath)
	if err != nil {
		fmt.Fprintf(stderr, "hq issue-code: %v\n", err)
		return 1
	}
	key, err := checkpoint.ParseIssuerKey(data)
	if err != nil {
		fmt.Fprintf(stderr, "hq issue-code: %s: %v\n", *keyPath, err)
		return 1
	}
	c := checkpoint.Claims{
		HolderID: *holder, Name: n.Full(), IDMasked: id.Masked(), Household: *household,
		Status: status, Reason: *reason, Kind: kind,
		IssuedAt: now, ExpiresAt: now.Add(ttl),
	}
	if ttl <= 0 {
		c.IssuedAt = c.ExpiresAt.Add(-kind.DefaultTTL())
		if c.IssuedAt.Before(key.NotBefore) {
			c.IssuedAt = key.NotBefore
		}
	}
	issuer, err := key.Issuer()
	if err != nil {
		fmt.Fprintf(stderr, "hq issue-code: %v\n", err)
		return 1
	}
	text, _, err := issuer.Issue(c, now)
	if err != nil {
		fmt.Fprintf(stderr, "hq issue-code: %v\n", err)
		return 1
	}
	if *pngPath != "" {
		if err := writeQRPNG(*pngPath, text); err != nil {
			fmt.Fprintf(stderr, "hq issue-code: %v\n", err)
			return 1
		}
	}
	fmt.Fprintln(stdout, text)
	return 0
}

// writeQRPNG writes text as a QR symbol at error-correction level M with a 4-module quiet zone,
// scaled to about 400 pixels square.
func writeQRPNG(path, text string) error {
	hints := map[gozxing.EncodeHintType]any{
		gozxing.EncodeHintType_ERROR_CORRECTION: "M",
		gozxing.EncodeHintType_MARGIN:           4,
	}
	img, err := qrcode.NewQRCodeWriter().Encode(text, gozxing.BarcodeFormat_QR_CODE, 400, 400, hints)
	if err != nil {
		return fmt.Errorf("qr: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("png: %w", err)
	}
	return f.Close()
}
