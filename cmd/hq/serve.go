package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
)

func init() { register("serve", "run the HQ API server", runServe) }

// defaultDSN is where HQ keeps its data when no --db is given.
const defaultDSN = "sqlite:./data/hq.db"

// serveMain holds the wiring of `hq serve`, so that a test can run the real server on a temp
// database and port :0.
type serveMain struct {
	addr, dsn, adminToken string
	issueToken            string
	trusted               []netip.Prefix
	importKey             string
	demo                  bool
	logLevel              string

	srv *hq.Server
	ln  net.Listener
}

func (m *serveMain) parseFlags(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&m.addr, "addr", "127.0.0.1:8080", "listen address HOST:PORT")
	fs.StringVar(&m.dsn, "db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://… (env CHECKPOINT_HQ_DB)")
	fs.StringVar(&m.adminToken, "admin-token", "", "admin API bearer token, at least 43 characters (default: env CHECKPOINT_ADMIN_TOKEN)")
	fs.StringVar(&m.issueToken, "issue-token", "", "token that may only issue codes (POST /api/v1/codes) (default: env CHECKPOINT_ISSUE_TOKEN)")
	fs.Func("trusted-proxy", "CIDR or address of a reverse proxy whose X-Forwarded-For is believed (repeatable, comma-separated; default: env CHECKPOINT_TRUSTED_PROXIES)",
		m.addTrusted)
	fs.StringVar(&m.importKey, "import-key", "", "issuer.key file (from hq keygen) to add to HQ's issuing keys at start")
	fs.BoolVar(&m.demo, "demo", false, "seed demo sites, staff, people, risk areas and print an enrollment code")
	fs.StringVar(&m.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if m.adminToken == "" {
		m.adminToken = os.Getenv("CHECKPOINT_ADMIN_TOKEN")
	}
	if m.issueToken == "" {
		m.issueToken = os.Getenv("CHECKPOINT_ISSUE_TOKEN")
	}
	if len(m.trusted) == 0 {
		if v := os.Getenv("CHECKPOINT_TRUSTED_PROXIES"); v != "" {
			if err := m.addTrusted(v); err != nil {
				return fmt.Errorf("CHECKPOINT_TRUSTED_PROXIES: %w", err)
			}
		}
	}
	if m.adminToken != "" {
		if err := hq.CheckToken(m.adminToken); err != nil {
			return fmt.Errorf("admin token refused: %w", err)
		}
	}
	if m.issueToken != "" {
		if err := hq.CheckToken(m.issueToken); err != nil {
			return fmt.Errorf("issue token refused: %w", err)
		}
		if m.issueToken == m.adminToken {
			return errors.New("issue token refused: it must differ from the admin token")
		}
	}
	return nil
}

// addTrusted adds one or more comma-separated CIDRs or bare addresses to the trusted proxies.
func (m *serveMain) addTrusted(v string) error {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			a, aerr := netip.ParseAddr(part)
			if aerr != nil {
				return fmt.Errorf("trusted proxy %q: want a CIDR such as 10.0.0.0/8 or an address", part)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		m.trusted = append(m.trusted, p.Masked())
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// open creates the server and its listener; it prints the demo details when asked.
func (m *serveMain) open(ctx context.Context, stdout io.Writer, log *slog.Logger) error {
	if path, ok := strings.CutPrefix(m.dsn, "sqlite:"); ok && path != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	generated := false
	if m.demo && m.adminToken == "" {
		b := make([]byte, 32)
		rand.Read(b)
		m.adminToken = base64.RawURLEncoding.EncodeToString(b)
		generated = true
	}
	srv, err := hq.New(hq.Config{DSN: m.dsn, AdminToken: m.adminToken, IssueToken: m.issueToken,
		TrustedProxies: m.trusted, Logger: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.srv = srv
	if m.importKey != "" {
		data, err := os.ReadFile(m.importKey)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		ik, err := checkpoint.ParseIssuerKey(data)
		if err != nil {
			return fmt.Errorf("serve: %s: %w", m.importKey, err)
		}
		if err := srv.ImportIssuingKey(ctx, ik); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	if m.demo {
		info, err := srv.SeedDemo(ctx)
		if err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		fmt.Fprintf(stdout, "enrollment code: %s\n", info.EnrollmentCode)
		for _, l := range info.Logins {
			fmt.Fprintf(stdout, "demo login: %s / %s (%s)\n", l.Phone, l.Password, l.Role)
		}
		for _, c := range info.Codes {
			fmt.Fprintf(stdout, "demo code (%s): %s\n", c.Label, c.Code)
		}
		if generated {
			fmt.Fprintf(stdout, "admin token: %s\n", m.adminToken)
		}
	}
	if m.adminToken == "" {
		log.Warn("hq: no admin token (--admin-token or CHECKPOINT_ADMIN_TOKEN): admin API disabled")
	}
	ln, err := net.Listen("tcp", m.addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	m.ln = ln
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	return nil
}

func (m *serveMain) close() {
	if m.srv != nil {
		m.srv.Close()
	}
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	m := &serveMain{}
	if err := m.parseFlags(args, stderr); errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, "usage: hq serve [--addr HOST:PORT] [--db sqlite:PATH|postgres://…] [--admin-token T] [--issue-token T] [--trusted-proxy CIDR]… [--import-key FILE] [--demo] [--log-level L]")
		return 0
	} else if err != nil {
		fmt.Fprintf(stderr, "hq serve: 参数错误 usage error: %v (flags: --addr HOST:PORT --db DSN --admin-token T --issue-token T --trusted-proxy CIDR --import-key FILE --demo)\n", err)
		return 2
	}
	lvl, err := parseLevel(m.logLevel)
	if err != nil {
		fmt.Fprintf(stderr, "hq serve: 参数错误 usage error: bad --log-level %q\n", m.logLevel)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	defer m.close()
	if err := m.open(ctx, stdout, log); err != nil {
		fmt.Fprintf(stderr, "hq serve: %v\n", err)
		return 1
	}
	if err := m.srv.Serve(ctx, m.ln); err != nil {
		fmt.Fprintf(stderr, "hq serve: %v\n", err)
		return 1
	}
	return 0
}
