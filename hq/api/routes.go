// Package api is HQ's /api/v1 JSON for kiosks and the admin API, over the core (package hq).
// Handlers move here from package hq one resource group at a time (one file per group:
// auth.go, batches.go, config.go, admin_<resource>.go); hq/server mounts this package's routes
// and, for the rest, the core's own handler.
package api

import (
	"log/slog"
	"net/http"

	"github.com/yongji-county/checkpoint/hq"
	"github.com/yongji-county/checkpoint/hq/internal/httpx"
)

// API is the JSON API over one core.
type API struct {
	core   *hq.Server
	log    *slog.Logger
	mux    *http.ServeMux
	routes []string
}

// New builds the API's routes over core; log receives the request log (nil: discard).
func New(core *hq.Server, log *slog.Logger) *API {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &API{core: core, log: log, mux: http.NewServeMux()}
	// Unauthenticated.
	a.route("GET /api/v1/health", a.handleHealth)
	// Admin token.
	a.route("GET /api/v1/admin/held", core.Admin(a.handleListHeld))
	return a
}

// route registers a handler, logged under its pattern, and remembers the pattern.
func (a *API) route(pattern string, h http.HandlerFunc) {
	a.routes = append(a.routes, pattern)
	a.mux.Handle(pattern, httpx.Logged(a.log, "hq", pattern, h))
}

// Handler serves the API's routes.
func (a *API) Handler() http.Handler { return a.mux }

// Routes returns the API's route patterns ("GET /api/v1/health"…).
func (a *API) Routes() []string { return append([]string(nil), a.routes...) }

// internal answers 500 and logs err (which carries no personal data: the core's errors do
// not).
func (a *API) internal(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Internal(a.log, w, r, err)
}

func (a *API) handleHealth(w http.ResponseWriter, r *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"ok": true, "server_time": a.core.Now().UTC()})
}
