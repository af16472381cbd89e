package hq

import (
	"context"
	"log/slog"
	"net/http"
	"sync"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// noteKioskStatus keeps what a kiosk reported on its config pull (checkpoint.KioskStatusHeader)
// with the risk-area version it holds and the one it was sent (sent: sqldb.Unknown for none).
// A failure is logged; the pull is answered all the same.
func (s *Server) noteKioskStatus(ctx context.Context, r *http.Request, dev sqldb.Device, have map[string]int64, sent int64) {
	ks := checkpoint.ParseKioskStatus(r.Header.Get(checkpoint.KioskStatusHeader))
	st := sqldb.DeviceStatus{DeviceID: dev.ID, SeenAt: s.now().UTC(), Pending: ks.Pending, Quarantined: ks.Quarantined,
		Oldest: ks.Oldest, Refused: ks.Refused, Refusal: ks.Refusal, AppVersion: ks.Version, Epoch: ks.Epoch, RiskHave: sqldb.Unknown, RiskSent: sent}
	if v, ok := have[checkpoint.DatasetRisk]; ok {
		st.RiskHave = v
	}
	if err := s.db.PutDeviceStatus(ctx, st); err != nil {
		s.log.Warn("hq: kiosk status not kept", slog.String("device", dev.ID), slog.Any("err", err))
	}
}

// feverCache is the fever threshold of the rules at one settings version, for counting fevers
// at ingest without reading the rules for every batch.
type feverCache struct {
	mu  sync.Mutex
	ver int64
	ok  bool
	c   checkpoint.Celsius
}

// withFever returns ctx carrying the fever threshold in force (sqldb.WithFeverThreshold) at
// the settings version vers holds; without a readable one ctx is returned as it is (ingest then
// counts by the default threshold).
func (s *Server) withFever(ctx context.Context, vers map[string]int64) context.Context {
	v := vers[checkpoint.DatasetSettings]
	f := &s.fever
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.ok || f.ver != v {
		rules, err := s.rules(ctx)
		if err != nil {
			s.log.Warn("hq: rules unreadable; fevers counted by the default threshold", slog.Any("err", err))
			return ctx
		}
		f.ver, f.ok, f.c = v, true, rules.FeverC
	}
	return sqldb.WithFeverThreshold(ctx, f.c)
}
