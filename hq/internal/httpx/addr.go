package httpx

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ClientAddr finds the address rate limits and lockouts count against.
type ClientAddr struct {
	// Trusted are the reverse proxies whose X-Forwarded-For is believed. Empty: RemoteAddr.
	Trusted []netip.Prefix
}

// Of returns r's client address: RemoteAddr, or behind a trusted proxy the rightmost
// X-Forwarded-For hop that is not a trusted proxy (the leftmost hops are whatever the client
// chose to send). A peer that is not a trusted proxy cannot choose its address by sending the
// header.
func (c ClientAddr) Of(r *http.Request) string {
	peer := r.RemoteAddr
	if host, _, err := net.SplitHostPort(peer); err == nil {
		peer = host
	}
	a, err := netip.ParseAddr(peer)
	if err != nil {
		return peer
	}
	a = a.Unmap()
	if !c.trusted(a) {
		return a.String()
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		h, ok := parseHop(hops[i])
		if !ok {
			// Not an address, so no trusted proxy wrote it: the nearest trusted hop is all
			// that is known.
			return a.String()
		}
		if !c.trusted(h) {
			return h.String()
		}
		a = h
	}
	return a.String()
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(v string) (netip.Addr, bool) {
	v = strings.TrimSpace(v)
	if a, err := netip.ParseAddr(v); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func (c ClientAddr) trusted(a netip.Addr) bool {
	for _, p := range c.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
