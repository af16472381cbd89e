package console

import (
	"context"
	"slices"
	"strings"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// riskRollout is which active kiosks hold the risk-area list in force: each kiosk says, on
// every config pull, which version it holds (device_status.risk_have), so one that pulled the
// new list confirms it on its next pull.
type riskRollout struct {
	Version int64 // the risk-area dataset's current version
	Active  int   // active kiosks
	Have    int   // of them, those that hold Version
	Missing []riskKiosk
}

// riskKiosk is an active kiosk that does not hold the current list yet.
type riskKiosk struct {
	ID, Name, SiteID, SiteName string
	LastSeen                   time.Time // its last config pull; zero when never
	Sent                       bool      // HQ sent it the current version; it has not confirmed it yet
}

// State is the string key of where the kiosk stands.
func (k riskKiosk) State() string {
	switch {
	case k.Sent:
		return "risk_sent"
	case k.LastSeen.IsZero():
		return "risk_never"
	}
	return "risk_behind"
}

func (h *handler) riskRollout(ctx context.Context) (riskRollout, error) {
	vers, err := h.db.Versions(ctx)
	if err != nil {
		return riskRollout{}, err
	}
	devs, err := h.db.Devices(ctx)
	if err != nil {
		return riskRollout{}, err
	}
	reports, err := h.db.DeviceStatuses(ctx)
	if err != nil {
		return riskRollout{}, err
	}
	sites, err := h.db.Sites(ctx)
	if err != nil {
		return riskRollout{}, err
	}
	names := make(map[string]string, len(sites))
	for _, s := range sites {
		names[s.ID] = s.Name
	}
	ro := riskRollout{Version: vers[checkpoint.DatasetRisk], Missing: []riskKiosk{}}
	for _, dv := range devs {
		if dv.Revoked {
			continue
		}
		ro.Active++
		st, ok := reports[dv.ID]
		if ok && st.RiskHave == ro.Version {
			ro.Have++
			continue
		}
		k := riskKiosk{ID: dv.ID, Name: dv.Name, SiteID: dv.SiteID, SiteName: names[dv.SiteID]}
		if ok {
			k.LastSeen, k.Sent = st.SeenAt, st.RiskSent == ro.Version
		}
		ro.Missing = append(ro.Missing, k)
	}
	slices.SortFunc(ro.Missing, func(a, b riskKiosk) int {
		if c := strings.Compare(a.SiteID, b.SiteID); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return ro, nil
}
