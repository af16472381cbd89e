package httpx

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32")}
	cases := []struct {
		name, remote string
		xff          []string
		trusted      bool
		want         string
	}{
		{"no proxy configured: XFF ignored", "203.0.113.5:40000", []string{"198.51.100.1"}, false, "203.0.113.5"},
		{"untrusted peer: XFF ignored", "203.0.113.5:40000", []string{"198.51.100.1"}, true, "203.0.113.5"},
		{"trusted proxy", "10.0.0.1:40000", []string{"198.51.100.7"}, true, "198.51.100.7"},
		{"client-chosen left hops are skipped", "10.0.0.1:40000", []string{"1.1.1.1, 198.51.100.7"}, true, "198.51.100.7"},
		{"chain of trusted proxies", "10.0.0.1:40000", []string{"198.51.100.7, 10.0.0.2"}, true, "198.51.100.7"},
		{"several headers", "127.0.0.1:40000", []string{"1.1.1.1", "198.51.100.8, 10.9.9.9"}, true, "198.51.100.8"},
		{"hop with a port", "10.0.0.1:40000", []string{"198.51.100.7:5555"}, true, "198.51.100.7"},
		{"IPv6 hop", "10.0.0.1:40000", []string{"[2001:db8::1]:443"}, true, "2001:db8::1"},
		{"garbage after the client", "10.0.0.1:40000", []string{"198.51.100.7, nonsense"}, true, "10.0.0.1"},
		{"trusted proxy, no header", "10.0.0.1:40000", nil, true, "10.0.0.1"},
		{"all trusted", "10.0.0.1:40000", []string{"10.0.0.3, 10.0.0.2"}, true, "10.0.0.3"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:40000", []string{"198.51.100.7"}, true, "198.51.100.7"},
	}
	for _, c := range cases {
		var ca ClientAddr
		if c.trusted {
			ca.Trusted = trusted
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := ca.Of(r); got != c.want {
			t.Errorf("%s: clientIP = %q; want %q", c.name, got, c.want)
		}
	}
}
