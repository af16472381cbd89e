package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	gosync "sync"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// fault is one way the proxy misbehaves on a request.
type fault int

const (
	faultNone          fault = iota
	faultResetRequest        // reads part of the request, then resets the connection: HQ never sees it
	faultResetResponse       // HQ handles the request; the answer is cut off by a reset half way
	faultDelay               // forwards after a delay shorter than the client's timeout
	faultSlowAnswer          // HQ handles the request; the answer is held past the client's timeout
	fault503                 // answers 503 with Retry-After without forwarding
	fault500                 // HQ handles the request; the proxy answers 500 instead: the answer is lost
	numFaults
)

var faultNames = [...]string{"none", "reset_request", "reset_response", "delay", "slow_answer", "503_retry_after", "500_after_commit"}

func (f fault) String() string { return faultNames[f] }

// faultProxy is an HTTP proxy in front of HQ that injects faults on a seeded, reproducible
// schedule. It speaks HTTP so it can cut a connection at a chosen point of the exchange and
// answer with statuses HQ would send; toxiproxy adds TCP-level faults in front of it.
type faultProxy struct {
	t        testing.TB
	upstream string
	srv      *httptest.Server
	fwd      *http.Client
	delay    time.Duration // faultDelay's delay
	hold     time.Duration // faultSlowAnswer's hold; longer than the client's request timeout

	mu     gosync.Mutex
	rng    *rand.Rand
	rate   float64 // share of requests that get a fault
	n      int
	counts [numFaults]int
}

func newFaultProxy(t testing.TB, upstream string, seed uint64, rate float64) *faultProxy {
	p := &faultProxy{
		t:        t,
		upstream: upstream,
		fwd:      &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 8}},
		delay:    150 * time.Millisecond,
		hold:     3 * time.Second,
		rng:      rand.New(rand.NewPCG(seed, 0x5eed)),
		rate:     rate,
	}
	p.srv = httptest.NewServer(p)
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.fwd.CloseIdleConnections()
	})
	return p
}

func (p *faultProxy) URL() string { return p.srv.URL }

func (p *faultProxy) pick() fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	f := faultNone
	if p.rng.Float64() < p.rate {
		f = fault(1 + p.rng.IntN(int(numFaults)-1))
	}
	p.counts[f]++
	return f
}

// summary reports how many requests got each fault.
func (p *faultProxy) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d requests:", p.n)
	for f, n := range p.counts {
		fmt.Fprintf(&b, " %s=%d", fault(f), n)
	}
	return b.String()
}

func (p *faultProxy) faults() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n - p.counts[faultNone]
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := p.pick()
	switch f {
	case fault503:
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(checkpoint.ErrorResponse{Error: "unavailable", Message: "总部繁忙 / busy"})
		return
	case faultResetRequest:
		io.CopyN(io.Discard, r.Body, 256)
		reset(w, nil)
		return
	case faultDelay:
		time.Sleep(p.delay)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		p.t.Errorf("fault proxy: %v", err)
		return
	}
	if f == faultSlowAnswer || f == fault500 || f == faultResetResponse {
		// HQ must finish even though the client gives up: the answer is what gets lost.
		req = req.WithContext(context.WithoutCancel(r.Context()))
	}
	req.Header = r.Header.Clone()
	resp, err := p.fwd.Do(req)
	if err != nil {
		w.WriteHeader(http.StatusBadGateway) // HQ down: what a real reverse proxy says
		return
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	switch f {
	case faultResetResponse:
		var head bytes.Buffer
		fmt.Fprintf(&head, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
			resp.StatusCode, http.StatusText(resp.StatusCode), len(answer))
		head.Write(answer[:len(answer)/2])
		reset(w, head.Bytes())
		return
	case faultSlowAnswer:
		select {
		case <-r.Context().Done():
		case <-time.After(p.hold):
		}
		reset(w, nil)
		return
	case fault500:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(checkpoint.ErrorResponse{Error: "internal", Message: "内部错误 / internal error"})
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(answer)
}

// reset writes what (if anything) on the raw connection, then resets it (RST, not FIN).
func reset(w http.ResponseWriter, what []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if len(what) > 0 {
		buf.Write(what)
		buf.Flush()
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
