package web

import (
	"sync"

	"github.com/yongji-county/checkpoint/hq/internal/qrpng"
)

// qrCacheMax bounds the PNGs kept; past it the cache starts afresh.
const qrCacheMax = 4096

// qrCache keeps the PNGs of the codes shown lately: the core hands out the same code for up to a
// minute, and a page (or many, behind one account) may ask for it again meanwhile.
type qrCache struct {
	mu sync.Mutex
	m  map[string]qrEntry
}

type qrEntry struct {
	png     []byte
	modules int
}

// get returns the PNG of text, rendering it on a miss.
func (c *qrCache) get(text string) ([]byte, int, error) {
	c.mu.Lock()
	e, ok := c.m[text]
	c.mu.Unlock()
	if ok {
		return e.png, e.modules, nil
	}
	png, n, err := qrpng.Render(text)
	if err != nil {
		return nil, 0, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= qrCacheMax {
		c.m = make(map[string]qrEntry)
	}
	c.m[text] = qrEntry{png: png, modules: n}
	c.mu.Unlock()
	return png, n, nil
}
