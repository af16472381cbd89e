package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
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
	"strconv"
	"strings"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/hq/server"
	"github.com/yongji-county/checkpoint/hq/sms"
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
	rootKey               string
	tlsCert, tlsKey       string
	demo                  bool
	logLevel              string
	retentionMonths       int
	smsKind               string
	secureCookies         bool

	srv *server.Server
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
	fs.StringVar(&m.rootKey, "root-key", "", "root signing key file, mode 0600 (default: env "+hq.EnvRootKey+", else root.key next to the SQLite file or in ./data, made on first start)")
	fs.StringVar(&m.tlsCert, "tls-cert", "", "serve https with this PEM certificate (chain) file")
	fs.StringVar(&m.tlsKey, "tls-key", "", "the PEM private key of --tls-cert")
	fs.BoolVar(&m.demo, "demo", false, "seed demo sites, staff, people, risk areas and print an enrollment code")
	fs.StringVar(&m.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.IntVar(&m.retentionMonths, "retention-months", envInt("CHECKPOINT_HQ_RETENTION_MONTHS", 0), "keep this many whole months of records besides the current one, 0 to 120; 0 keeps all (env CHECKPOINT_HQ_RETENTION_MONTHS)")
	fs.StringVar(&m.smsKind, "sms", envOr("CHECKPOINT_SMS", "log"), "SMS gateway for 吉事办 and 辅助登记 codes: aliyun, tencent or log (keys from the environment, docs/HQ.md; env CHECKPOINT_SMS)")
	fs.BoolVar(&m.secureCookies, "secure-cookies", false, "mark the citizen pages' cookies Secure (implied by --tls-cert; set it behind a TLS proxy)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if m.adminToken == "" {
		m.adminToken = os.Getenv("CHECKPOINT_ADMIN_TOKEN")
	}
	if m.retentionMonths < 0 || m.retentionMonths > 120 {
		return fmt.Errorf("--retention-months %d: want 0 (keep all) to 120", m.retentionMonths)
	}
	if (m.tlsCert == "") != (m.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
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

// defaultRootKeyPath is where HQ keeps its root key when neither --root-key nor the
// environment gives one: next to the SQLite file, else in ./data.
func defaultRootKeyPath(dsn string) string {
	if path, ok := strings.CutPrefix(dsn, "sqlite:"); ok && path != "" {
		return filepath.Join(filepath.Dir(path), hq.RootKeyFileName)
	}
	return filepath.Join("data", hq.RootKeyFileName)
}

// loadRootKey returns the root key from --root-key, the environment or the default file. Only
// the default file is made when missing, so a mistyped --root-key path is an error, not a new
// root that no kiosk trusts.
func loadRootKey(flagPath, dsn string, log *slog.Logger) (ed25519.PrivateKey, error) {
	if flagPath != "" {
		return hq.LoadRootKey(flagPath)
	}
	if v := os.Getenv(hq.EnvRootKey); v != "" {
		return hq.ParseRootKeySeed(v)
	}
	path := defaultRootKeyPath(dsn)
	k, created, err := hq.LoadOrCreateRootKey(path)
	if created {
		log.Warn("hq: created a new root key; back it up and keep it secret", slog.String("file", path),
			slog.String("root", checkpoint.RootID(k.Public().(ed25519.PublicKey))))
	}
	return k, err
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// envInt is the integer in environment variable k, or def when unset; a value that is not a
// number reads as -1, which the flag's range check then refuses.
func envInt(k string, def int) int {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}

// open creates the server and its listener; it prints the demo details when asked.
func (m *serveMain) open(ctx context.Context, stdout io.Writer, log *slog.Logger) error {
	// The SMS gateway first: a missing key stops HQ before it makes anything on disk.
	cit := &server.Citizen{Secure: m.secureCookies || m.tlsCert != ""}
	if m.demo {
		cit.Outbox = sms.NewOutbox()
	}
	var err error
	if cit.SMS, err = sms.FromEnv(m.smsKind, os.Getenv, log, cit.Outbox); err != nil {
		return fmt.Errorf("serve: --sms %s: %w", m.smsKind, err)
	}
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
	root, err := loadRootKey(m.rootKey, m.dsn, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv, err := server.New(server.Config{Config: hq.Config{DSN: m.dsn, AdminToken: m.adminToken, IssueToken: m.issueToken,
		TrustedProxies: m.trusted, Logger: log, RootKey: root, RetentionMonths: m.retentionMonths}, Citizen: cit,
		Console: &server.Console{Secure: cit.Secure}})
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
		if err := srv.Core().ImportIssuingKey(ctx, ik); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	if m.demo {
		info, err := demo.Seed(ctx, srv.Core())
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
	scheme := "http"
	if m.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(m.tlsCert, m.tlsKey)
		if err != nil {
			ln.Close()
			return fmt.Errorf("serve: tls: %w", err)
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
		scheme = "https"
	}
	m.ln = ln
	id, _ := srv.Core().RootID(ctx)
	fmt.Fprintf(stdout, "root key: %s\n", id)
	fmt.Fprintf(stdout, "listening on %s://%s\n", scheme, ln.Addr())
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
		fmt.Fprintln(stdout, "usage: hq serve [--addr HOST:PORT] [--db sqlite:PATH|postgres://…] [--admin-token T] [--issue-token T] [--trusted-proxy CIDR]… [--root-key FILE] [--tls-cert FILE --tls-key FILE] [--import-key FILE] [--demo] [--log-level L]")
		return 0
	} else if err != nil {
		fmt.Fprintf(stderr, "hq serve: 参数错误 usage error: %v (flags: --addr HOST:PORT --db DSN --admin-token T --issue-token T --trusted-proxy CIDR --root-key FILE --tls-cert FILE --tls-key FILE --import-key FILE --demo)\n", err)
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
