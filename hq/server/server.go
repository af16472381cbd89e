// Package server is HQ's HTTP server: it mounts the kiosk and admin API of the core (package
// hq) and whatever else the caller brings — the citizen pages, the console — on one mux, and
// serves it with timeouts and a graceful shutdown.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/api"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
)

// Mount is a handler registered on the top mux under Pattern (net/http.ServeMux syntax, e.g.
// "/" for the citizen pages or "/api/v1/citizen/"). The handler logs its own requests.
type Mount struct {
	Pattern string
	Handler http.Handler
}

// Config holds what a Server depends on: the core's Config and the extra mounts.
type Config struct {
	hq.Config
	// Mounts are registered beside the API. A pattern that conflicts with the API or another
	// mount makes New fail.
	Mounts []Mount
	// OnCore, if set, is called with the core once it is up and returns more mounts: handlers
	// that need the core (hq.Server.IssueCode, its database). An error fails New.
	OnCore func(*hq.Server) ([]Mount, error)
	// Citizen, if set, turns on 吉事办: the citizen pages and API, and 辅助登记's SMS codes.
	Citizen *Citizen
	// Console, if set, turns on the operator console at /admin/.
	Console *Console
}

// Server is HQ's HTTP server over its core.
type Server struct {
	core    *hq.Server
	log     *slog.Logger
	handler http.Handler
	routes  []string
}

// New starts the core (hq.New: database, migrations, keys) and builds the mux. Close
// releases it.
func New(cfg Config) (*Server, error) {
	core, err := hq.New(cfg.Config)
	if err != nil {
		return nil, err
	}
	s := &Server{core: core, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mounts := cfg.Mounts
	if cfg.Citizen != nil {
		more, err := citizenMounts(core, *cfg.Citizen, httpx.ClientAddr{Trusted: cfg.TrustedProxies}, s.log)
		if err != nil {
			core.Close()
			return nil, fmt.Errorf("hq: server: %w", err)
		}
		mounts = append(append([]Mount(nil), mounts...), more...)
	}
	if cfg.Console != nil {
		more, err := consoleMounts(core, *cfg.Console, httpx.ClientAddr{Trusted: cfg.TrustedProxies}, s.log)
		if err != nil {
			core.Close()
			return nil, fmt.Errorf("hq: server: %w", err)
		}
		mounts = append(append([]Mount(nil), mounts...), more...)
	}
	if cfg.OnCore != nil {
		more, err := cfg.OnCore(core)
		if err != nil {
			core.Close()
			return nil, fmt.Errorf("hq: server: %w", err)
		}
		mounts = append(append([]Mount(nil), mounts...), more...)
	}
	if s.handler, err = s.build(mounts); err != nil {
		core.Close()
		return nil, fmt.Errorf("hq: server: %w", err)
	}
	return s, nil
}

// build registers the API routes (hq/api's, then the core's), the JSON 404 for the rest of /api/ and the mounts.
func (s *Server) build(mounts []Mount) (http.Handler, error) {
	mux := http.NewServeMux()
	a := api.New(s.core, s.log)
	for _, h := range []interface {
		Handler() http.Handler
		Routes() []string
	}{a, s.core} {
		for _, p := range h.Routes() {
			if err := handle(mux, p, h.Handler()); err != nil {
				return nil, err
			}
			s.routes = append(s.routes, p)
		}
	}
	// Anything else under /api/ is a JSON 404, not the mux's text page.
	if err := handle(mux, "/api/", http.HandlerFunc(httpx.APINotFound)); err != nil {
		return nil, err
	}
	for _, m := range mounts {
		if m.Handler == nil || strings.TrimSpace(m.Pattern) == "" {
			return nil, fmt.Errorf("mount %q: no pattern or no handler", m.Pattern)
		}
		if err := handle(mux, m.Pattern, m.Handler); err != nil {
			return nil, err
		}
		s.routes = append(s.routes, m.Pattern)
	}
	return mux, nil
}

// handle registers h, turning the mux's panic on a bad or conflicting pattern into an error.
func handle(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("mount %q: %v", pattern, p)
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// Core returns HQ's core.
func (s *Server) Core() *hq.Server { return s.core }

// Handler returns the HTTP handler for everything mounted.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns the registered patterns: the API's ("POST /api/v1/batches"…), then the
// mounts'.
func (s *Server) Routes() []string { return append([]string(nil), s.routes...) }

// ListenAndServe listens on addr and serves until ctx is cancelled.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("hq: listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully (in-flight requests
// get up to 10 seconds). It returns nil after a shutdown caused by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("hq: serving", slog.String("addr", ln.Addr().String()), slog.String("db", s.core.DB().Backend()))
	select {
	case err := <-errc:
		return fmt.Errorf("hq: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	s.core.Flush()
	s.log.Info("hq: stopped")
	if err != nil {
		return fmt.Errorf("hq: shutdown: %w", err)
	}
	return nil
}

// Close stops the core (Close on hq.Server): background work, counters, database.
func (s *Server) Close() error { return s.core.Close() }
