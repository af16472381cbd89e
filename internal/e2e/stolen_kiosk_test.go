package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
	hqdemo "github.com/yongji-county/checkpoint/hq/demo"
	"github.com/yongji-county/checkpoint/internal/dbtest"
	"github.com/yongji-county/checkpoint/passwd"
	"github.com/yongji-county/checkpoint/station"
	"github.com/yongji-county/checkpoint/store"
	"github.com/yongji-county/checkpoint/sync"
)

// Secrets the stolen-kiosk test puts on the kiosk and then tries to get back.
const (
	stolenRegID      = "220221199003074473" // the number issue 7 recovered from 220221********4473
	stolenRegPhone   = "13943217658"
	stolenStaffPhone = "13912345678"
	stolenAttackTime = 10 * time.Second
)

// TestStolenKioskYieldsNoIDOrPhone is the attack of issue 7 against a real kiosk data
// directory: the kiosk enrolls with the real HQ (demo county), a supervisor logs in, checks
// every demo code, registers a person without a code, adds a scanner, syncs, and the kiosk
// closes. The thief then holds every file of the data directory. The test reads all of them,
// collects every byte string that could be a hash and every value that could be a key, and for
// about 10 s tries what issue 7 tried: the birth-date space under each masked ID it finds
// (and under the registration's masked ID), and the 10^4 phones under each masked phone (and
// under the added scanner's masked phone, as if the thief had seen it elsewhere), with HMAC-
// SHA256 and SHA-256 under every key, and with the slow staff-login hash under every salt the
// settings hold. It must find no ID number and no phone, and no full ID or phone may appear in
// any file in the clear.
func TestStolenKioskYieldsNoIDOrPhone(t *testing.T) {
	ctx := context.Background()
	node := startHQ(t, dbtest.SQLiteDSN(t), 0)
	k := newKiosk(t, node, node.URL(), sync.Config{Logger: testLogger(t)})
	info, err := hqdemo.Seed(ctx, node.srv)
	if err != nil {
		t.Fatal(err)
	}
	var sup hqLogin
	for _, l := range info.Logins {
		if l.Role == checkpoint.RoleSupervisor {
			sup = hqLogin{l.Phone, l.Password}
		}
	}
	st := station.New(station.Config{DB: k.db, Logger: testLogger(t)})
	sess, err := st.Login(ctx, sup.phone, sup.password)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	for _, c := range info.Codes {
		v := st.Scan(ctx, sess, c.Code)
		if !v.Valid {
			t.Fatalf("Scan(%s) invalid: %v", c.Label, v.CodeErr)
		}
		if _, err := st.Confirm(ctx, sess, v, "36.5", v.HighRisk); err != nil {
			t.Fatalf("Confirm(%s): %v", c.Label, err)
		}
	}
	if _, err := st.Register(ctx, sess, station.Registration{Phone: stolenRegPhone, Name: "赵小红", ID: stolenRegID, Temp: "36.6"}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if err := st.AddStaff(ctx, sess, station.NewStaff{Phone: stolenStaffPhone, Name: "钱多多", Password: "Scanner@2022", SiteID: info.SiteID}); err != nil {
		t.Fatalf("AddStaff: %v", err)
	}
	if _, err := k.c.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if q, _ := k.db.Quarantined(ctx); len(q) > 0 {
		t.Fatalf("HQ refused a record: %+v", q[0])
	}
	if _, err := k.c.Pull(ctx); err != nil {
		t.Fatalf("Pull: %v", err)
	}
	// The scanner added here is in HQ's roster now and can log in on this kiosk offline.
	if _, err := st.Login(ctx, stolenStaffPhone, "Scanner@2022"); err != nil {
		t.Fatalf("new scanner Login: %v", err)
	}
	// The thief's copy of the data directory: once taken while the kiosk runs (the WAL holds the
	// latest pages), once after it closed.
	files := map[string][]byte{}
	for name, f := range readDir(t, k.dir) {
		files["running:"+name] = f
	}
	if err := k.db.Close(); err != nil {
		t.Fatal(err)
	}
	for name, f := range readDir(t, k.dir) {
		files["closed:"+name] = f
	}
	secrets := map[string]string{"registration ID": stolenRegID, "registration phone": stolenRegPhone, "added staff phone": stolenStaffPhone}
	for _, l := range info.Logins {
		secrets["demo login "+l.StaffID] = l.Phone
	}
	for name, f := range files {
		for what, s := range secrets {
			if bytes.Contains(f, []byte(s)) {
				t.Errorf("%s holds the %s %s in the clear", name, what, s)
			}
		}
	}
	a := newAttack(files)
	salts := settingsKeys(t, k.dir)
	a.keys = append(a.keys, salts...)
	maskedIDs := union(a.find(`[1-8]\d{5}\*{8}\d{3}[\dX]`), []string{"220221********4473"})
	maskedPhones := union(a.find(`1\d{2}\*{4}\d{4}`), []string{"139****5678"})
	t.Logf("data dir: %d files, %d bytes; %d candidate keys, %d masked IDs, %d masked phones",
		len(files), a.size, len(a.keys), len(maskedIDs), len(maskedPhones))

	deadline := time.Now().Add(stolenAttackTime)
	tried := 0
	for _, m := range maskedIDs {
		for _, id := range birthDateSpace(m) {
			tried++
			if how, ok := a.fastMatch(id); ok {
				t.Errorf("recovered ID number %s from %s (%s) after %d tries", id, m, how, tried)
			}
		}
	}
	t.Logf("ID numbers: %d candidates tried against every hash with every key", tried)
	tried = 0
	for _, m := range maskedPhones {
		for i := range 10000 {
			p := m[:3] + fmt.Sprintf("%04d", i) + m[7:]
			tried++
			if how, ok := a.fastMatch(p); ok {
				t.Errorf("recovered phone %s from %s (%s) after %d tries", p, m, how, tried)
			}
		}
	}
	t.Logf("phones: %d candidates tried against every hash with every key", tried)
	slow := a.slowAttack(t, salts, maskedPhones, deadline)
	left := len(maskedPhones)*10000 - slow
	if slow > 0 {
		per := time.Since(deadline.Add(-stolenAttackTime)) / time.Duration(slow)
		t.Logf("phones: %d candidates tried with the slow staff-login lookup within %v; the %d left would take another %v",
			slow, stolenAttackTime, left, (per * time.Duration(left)).Round(time.Minute))
	}
}

type hqLogin struct{ phone, password string }

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		files[filepath.Base(path)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// settingsKeys reads every string in the settings dataset the kiosk holds, decoded where it is
// base64: what a thief who has read the source would try as keys and salts first.
func settingsKeys(t *testing.T, dir string) [][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw []byte
	if err := db.QueryRow(`SELECT data FROM datasets WHERE name = 'settings'`).Scan(&raw); err != nil {
		t.Fatalf("settings dataset: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, v := range m {
		if s, ok := v.(string); ok {
			out = append(out, []byte(s))
			if b, err := base64.StdEncoding.DecodeString(s); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

// attack holds what the thief extracted: every 8-byte window of every file and of every hex or
// base64 text in them (so a digest stored raw, as hex or as base64 is found by its first 8
// bytes), and every decoded hex or base64 string of key size.
type attack struct {
	files   map[string][]byte
	size    int
	windows map[uint64]bool
	keys    [][]byte
	macs    []hash.Hash // HMAC-SHA256 under each key, built on first use
}

var (
	hexRun = regexp.MustCompile(`[0-9a-fA-F]{16,}`)
	b64Run = regexp.MustCompile(`[A-Za-z0-9+/_-]{16,}={0,2}`)
)

func newAttack(files map[string][]byte) *attack {
	a := &attack{files: files, windows: map[uint64]bool{}, keys: [][]byte{nil}}
	add := func(b []byte) {
		for i := 0; i+8 <= len(b); i++ {
			a.windows[binary.BigEndian.Uint64(b[i:])] = true
		}
	}
	seen := map[string]bool{}
	key := func(b []byte) {
		if len(b) >= 8 && len(b) <= 64 && !seen[string(b)] {
			seen[string(b)] = true
			a.keys = append(a.keys, b)
		}
	}
	for _, f := range files {
		a.size += len(f)
		add(f)
		for _, run := range hexRun.FindAll(f, -1) {
			for off := 0; off < 2 && off < len(run); off++ {
				r := run[off:]
				r = r[:len(r)&^1]
				if b, err := hex.DecodeString(string(r)); err == nil {
					add(b)
					key(b)
				}
			}
		}
		for _, run := range b64Run.FindAll(f, -1) {
			s := strings.TrimRight(string(run), "=")
			for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
				if b, err := enc.DecodeString(s[:len(s)/4*4]); err == nil {
					add(b)
					key(b)
				}
			}
		}
	}
	return a
}

// find returns every distinct match of re in the files.
func (a *attack) find(re string) []string {
	r := regexp.MustCompile(re)
	var out []string
	for _, f := range a.files {
		for _, m := range r.FindAll(f, -1) {
			out = append(out, string(m))
		}
	}
	return union(out, nil)
}

// fastMatch reports whether a keyed or plain hash of v appears anywhere in the files.
func (a *attack) fastMatch(v string) (string, bool) {
	if a.macs == nil {
		for _, k := range a.keys {
			a.macs = append(a.macs, hmac.New(sha256.New, k))
		}
	}
	forms := []string{v}
	if l := strings.ToLower(v); l != v {
		forms = append(forms, l)
	}
	var sum [sha256.Size]byte
	for _, form := range forms {
		d := sha256.Sum256([]byte(form))
		if a.windows[binary.BigEndian.Uint64(d[:])] {
			return "sha256", true
		}
		for i, m := range a.macs {
			m.Reset()
			m.Write([]byte(form))
			if a.windows[binary.BigEndian.Uint64(m.Sum(sum[:0]))] {
				return fmt.Sprintf("hmac-sha256 with key %d", i), true
			}
		}
	}
	return "", false
}

// slowAttack tries the phones under each masked phone with the staff-login lookup
// (passwd.PhoneLookup) under every salt-sized value of the settings, until deadline, and
// returns how many phones it tried. A match fails t.
func (a *attack) slowAttack(t *testing.T, salts [][]byte, masked []string, deadline time.Time) int {
	tried := 0
	for _, m := range masked {
		for i := range 10000 {
			if time.Now().After(deadline) {
				return tried
			}
			p := m[:3] + fmt.Sprintf("%04d", i) + m[7:]
			tried++
			for _, salt := range salts {
				l, err := passwd.PhoneLookup(salt, p)
				if err != nil {
					continue
				}
				b, _ := hex.DecodeString(l)
				if a.windows[binary.BigEndian.Uint64(b)] {
					t.Errorf("recovered phone %s from %s with the staff lookup after %d tries", p, m, tried)
				}
			}
		}
	}
	return tried
}

// birthDateSpace is every valid ID number a masked one (6 + 8 stars + 4) could be, with birth
// dates from 1920 to 2022: issue 7's 2,992-candidate space, over a century.
func birthDateSpace(masked string) []string {
	var out []string
	for d := time.Date(1920, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() <= 2022; d = d.AddDate(0, 0, 1) {
		id := masked[:6] + d.Format("20060102") + masked[14:]
		if _, err := checkpoint.ParseResidentID(id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(a, b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
