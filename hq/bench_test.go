package hq

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	checkpoint "github.com/yongji-county/checkpoint"
	"github.com/yongji-county/checkpoint/hq/sqldb"
	"github.com/yongji-county/checkpoint/internal/dbtest"
)

// checkBody is a realistic check record body (~450 bytes).
var checkBody = json.RawMessage(`{"code_id":"3f9a1c2b7d4e5f60","code_kind":"live","kid":"k1a2b3c","name_masked":"张*","id_masked":"220221********123X","household":"220221","code_status":"green","verdict":"pass","reasons":["ok"],"temp_tenths":365,"online":false,"scanned_at":"2022-04-01T08:00:00Z","confirmed_at":"2022-04-01T08:00:05Z","sealed":"` +
	string(bytes.Repeat([]byte("A"), 160)) + `","person_hash":"9b1d4c0e2f3a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e","rules":"1"}`)

func batch(d checkpoint.EnrollResponse, site, staff string, n int) checkpoint.PushRequest {
	req := checkpoint.PushRequest{Records: make([]checkpoint.Record, n)}
	now := time.Now().UTC()
	for i := range req.Records {
		req.Records[i] = checkpoint.Record{ID: uuid.Must(uuid.NewV7()).String(), Kind: checkpoint.KindCheck, DeviceID: d.DeviceID,
			SiteID: site, StaffID: staff, CreatedAt: now, Body: checkBody}
	}
	return req
}

func gzJSON(v any) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	json.NewEncoder(zw).Encode(v)
	zw.Close()
	return buf.Bytes()
}

func pushRaw(c *http.Client, url, auth string, body []byte) (checkpoint.PushResponse, error) {
	req, _ := http.NewRequest("POST", url+"/api/v1/batches", bytes.NewReader(body))
	req.Header.Set("Authorization", auth)
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return checkpoint.PushResponse{}, err
	}
	defer resp.Body.Close()
	var pr checkpoint.PushResponse
	if resp.StatusCode != 200 {
		return pr, fmt.Errorf("status %d", resp.StatusCode)
	}
	return pr, json.NewDecoder(resp.Body).Decode(&pr)
}

// BenchmarkIngest pushes 1000-record gzip batches from one kiosk through the HTTP handler (on
// PostgreSQL into the partitioned records table, as HQ runs it).
func BenchmarkIngest(b *testing.B) {
	for _, be := range dbtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e := newEnv(b, be.DSN(b), Config{})
			if ps, err := e.srv.db.Partitions(context.Background()); err != nil || be.Name != "sqlite" && len(ps) == 0 {
				b.Fatalf("records partitions = %v, %v; want the monthly partitions on PostgreSQL", ps, err)
			}
			bodies := make([][]byte, 0, 64)
			for range 64 {
				bodies = append(bodies, gzJSON(batch(e.devA, "a", "scan-a", 1000)))
			}
			n := 0
			b.ResetTimer()
			for b.Loop() {
				if n == len(bodies) {
					b.StopTimer()
					for i := range bodies {
						bodies[i] = gzJSON(batch(e.devA, "a", "scan-a", 1000))
					}
					n = 0
					b.StartTimer()
				}
				pr, err := pushRaw(e.client, e.ts.URL, devAuth(e.devA), bodies[n])
				n++
				if err != nil || pr.Results[999].Status != checkpoint.ResultStored {
					b.Fatalf("push: %v", err)
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkIngestAsOf is BenchmarkIngest for the rare case: every record is by a scanner
// transferred away 3 h ago, made yesterday, so each is judged again by the history (stored).
func BenchmarkIngestAsOf(b *testing.B) {
	for _, be := range dbtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e := newEnv(b, be.DSN(b), Config{})
			st := checkpoint.Staff{ID: "scan-a", Role: checkpoint.RoleScanner, SiteID: "b", PhoneLookup: "pl-scan-a", NameMasked: "张*",
				PasswordHash: fakePHC, Active: true, UpdatedAt: time.Now().UTC().Add(-3 * time.Hour)}
			if err := e.srv.db.PutStaff(context.Background(), sqldb.StaffAccount{Staff: st, PhoneHash: "ph-scan-a", PhoneMasked: "138****0000"}); err != nil {
				b.Fatal(err)
			}
			body := func() []byte {
				req := batch(e.devA, "a", "scan-a", 1000)
				for i := range req.Records {
					req.Records[i].CreatedAt = req.Records[i].CreatedAt.Add(-20 * time.Hour)
				}
				return gzJSON(req)
			}
			for b.Loop() {
				b.StopTimer()
				data := body()
				b.StartTimer()
				pr, err := pushRaw(e.client, e.ts.URL, devAuth(e.devA), data)
				if err != nil || pr.Results[999].Status != checkpoint.ResultStored {
					b.Fatalf("push: %v %+v", err, pr.Results[999])
				}
			}
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkKiosks200 is the load test: 200 enrolled kiosks push at once over loopback, each
// sending 5 batches of 100 records (and then each batch again, which must come back as
// duplicates). It reports HQ's throughput and the p50/p99 latency of one push.
func BenchmarkKiosks200(b *testing.B) {
	const kiosks, batches, perBatch = 200, 5, 100
	for _, be := range dbtest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			e := newEnv(b, be.DSN(b), Config{})
			ctx := context.Background()
			devs := make([]checkpoint.EnrollResponse, kiosks)
			for i := range devs {
				c, err := e.srv.CreateEnrollCode(ctx, "a", 0)
				if err != nil {
					b.Fatal(err)
				}
				secret, _, err := checkpoint.SplitEnrollCode(c.Code)
				if err != nil {
					b.Fatal(err)
				}
				if devs[i], err = e.srv.db.Enroll(ctx, secret, "load", time.Now()); err != nil {
					b.Fatal(err)
				}
			}
			tr := &http.Transport{MaxIdleConnsPerHost: kiosks, MaxConnsPerHost: kiosks}
			client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
			defer tr.CloseIdleConnections()
			var lat []time.Duration
			var records int
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				bodies := make([][][]byte, kiosks)
				for i, d := range devs {
					for range batches {
						bodies[i] = append(bodies[i], gzJSON(batch(d, "a1", "scan-a1", perBatch)))
					}
				}
				b.StartTimer()
				var mu sync.Mutex
				var wg sync.WaitGroup
				start := time.Now()
				for i, d := range devs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						auth := devAuth(d)
						for round := range 2 {
							want := checkpoint.ResultStored
							if round == 1 {
								want = checkpoint.ResultDuplicate
							}
							for _, body := range bodies[i] {
								t0 := time.Now()
								pr, err := pushRaw(client, e.ts.URL, auth, body)
								took := time.Since(t0)
								if err != nil || len(pr.Results) != perBatch || pr.Results[0].Status != want {
									b.Errorf("kiosk %d: %v %v", i, err, pr.Results[:min(1, len(pr.Results))])
									return
								}
								mu.Lock()
								lat = append(lat, took)
								mu.Unlock()
							}
						}
					}()
				}
				wg.Wait()
				elapsed += time.Since(start)
				records += kiosks * batches * perBatch * 2
			}
			slices.Sort(lat)
			if len(lat) == 0 {
				return
			}
			b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
