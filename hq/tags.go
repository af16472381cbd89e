package hq

import (
	"context"
	"encoding/json"
	"sync"

	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

// deviceSets caches the per-device datasets (staff, sites) of one snapshot by the device's
// site: every kiosk at a site gets the same bytes, and a config pull compares their tag on
// every pass.
type deviceSets struct {
	mu sync.Mutex
	sn *snapshot
	m  map[[2]string]taggedSet // name, site id
}

type taggedSet struct {
	raw []byte
	tag string
}

// deviceDataset returns the JSON of a per-device dataset for dev and its content tag.
func (s *Server) deviceDataset(ctx context.Context, name string, version int64, dev sqldb.Device, sn *snapshot) ([]byte, string, error) {
	c := &s.devSets
	key := [2]string{name, dev.SiteID}
	c.mu.Lock()
	if c.sn != sn {
		c.sn, c.m = sn, map[[2]string]taggedSet{}
	}
	ts, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return ts.raw, ts.tag, nil
	}
	data, err := s.dataset(ctx, name, version, dev, sn)
	if err != nil {
		return nil, "", err
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, "", err
	}
	ts = taggedSet{raw: raw, tag: checkpoint.DatasetTag(raw)}
	c.mu.Lock()
	if c.sn == sn {
		c.m[key] = ts
	}
	c.mu.Unlock()
	return ts.raw, ts.tag, nil
}
