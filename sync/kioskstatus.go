package sync

import (
	"context"
	"runtime/debug"

	checkpoint "github.com/yongji-county/checkpoint"
)

// kioskStatus is what the config pull tells HQ about this kiosk (checkpoint.KioskStatusHeader):
// the outbox counts and the refused datasets as the store holds them, and the software's
// version. What the store cannot say now stays unknown.
func (c *Client) kioskStatus(ctx context.Context) checkpoint.KioskStatus {
	ks := checkpoint.UnknownKioskStatus()
	if st, err := c.st.OutboxStats(ctx); err == nil {
		ks.Pending, ks.Quarantined, ks.Oldest = int64(st.Pending), int64(st.Quarantined), st.Oldest
	}
	if ss, err := c.st.SyncState(ctx); err == nil {
		ks.Refused, ks.Refusal = ss.Refused, ss.LastRefusal
	}
	if dev, err := c.st.Device(ctx); err == nil {
		ks.Epoch = dev.Epoch
	}
	ks.Version = c.cfg.AppVersion
	if ks.Version == "" {
		ks.Version = buildVersion()
	}
	return ks
}

// buildVersion is the main module's version from the build info ("devel" for a build from a
// work tree).
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "devel"
	}
	return bi.Main.Version
}
