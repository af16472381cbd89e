//go:build gocv

package kioske2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/yongji-county/checkpoint/hq"
)

// adminToken is the admin bearer token of the HQ the tests start (at least 43 characters).
const adminToken = "kiosk-e2e-admin-token-0123456789-ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// requireTools skips the test when a program it drives is missing; under CI=true it fails, so
// that a CI image without them does not pass by skipping.
func requireTools(t testing.TB, tools ...string) {
	t.Helper()
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("kioske2e: 缺少 %s / missing %s (scripts/deps.sh test installs them)", strings.Join(missing, ", "), strings.Join(missing, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// repoRoot is the module's root directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// bins are the kiosk and hq binaries, built once per test process.
var bins struct {
	once      gosync.Once
	dir       string
	kiosk, hq string
	err       error
}

// binaries builds cmd/kiosk (-tags gocv) and cmd/hq (CGO_ENABLED=0) into a temporary directory.
func binaries(t testing.TB) (kiosk, hqBin string) {
	t.Helper()
	bins.once.Do(func() {
		bins.dir, bins.err = os.MkdirTemp("", "kioske2e-bin-")
		if bins.err != nil {
			return
		}
		bins.kiosk, bins.hq = filepath.Join(bins.dir, "kiosk"), filepath.Join(bins.dir, "hq")
		for _, b := range []struct {
			out, pkg string
			env      []string
			tags     []string
		}{
			{bins.kiosk, "./cmd/kiosk", nil, []string{"-tags", "gocv,no_emoji"}},
			{bins.hq, "./cmd/hq", []string{"CGO_ENABLED=0"}, nil},
		} {
			args := append([]string{"build"}, b.tags...)
			args = append(args, "-o", b.out, b.pkg)
			cmd := exec.Command("go", args...)
			cmd.Dir = repoRoot()
			cmd.Env = append(os.Environ(), b.env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				bins.err = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if bins.err != nil {
		t.Fatal(bins.err)
	}
	return bins.kiosk, bins.hq
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	os.Exit(code)
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// proc is a started program whose output goes to a log file; stop ends it (SIGTERM, then
// SIGKILL after 5 s).
type proc struct {
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func start(t testing.TB, logPath string, env []string, name string, args ...string) *proc {
	t.Helper()
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", filepath.Base(name), err)
	}
	p := &proc{cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(p.stop)
	return p
}

func (p *proc) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// tail is the last part of the process's log, for failure messages.
func (p *proc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

// hqServer is a real `hq serve` on SQLite on a loopback port.
type hqServer struct {
	t    testing.TB
	bin  string
	url  string
	dsn  string
	proc *proc
}

func startHQ(t testing.TB, hqBin, dir string) *hqServer {
	t.Helper()
	rootKey := filepath.Join(dir, "root.key")
	if _, _, err := hq.LoadOrCreateRootKey(rootKey); err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "hq.db")
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	h := &hqServer{t: t, bin: hqBin, url: "http://" + addr, dsn: dsn}
	h.proc = start(t, filepath.Join(dir, "hq.log"), nil, hqBin, "serve", "--addr", addr, "--db", dsn,
		"--admin-token", adminToken, "--root-key", rootKey, "--log-level", "warn")
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(h.url + "/api/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return h
			}
		}
		if h.proc.exited() || time.Now().After(deadline) {
			t.Fatalf("hq serve did not answer /api/v1/health: %v\n%s", err, h.proc.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// admin calls HQ's admin API and decodes the answer into out; any status but 2xx fails.
func (h *hqServer) admin(method, path string, body, out any) {
	h.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, h.url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		h.t.Fatalf("%s %s: HTTP %d %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			h.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// stats runs `hq stats` on HQ's database, as an operator would.
func (h *hqServer) stats() hq.Stats {
	h.t.Helper()
	out, err := exec.Command(h.bin, "stats", "--db", h.dsn).Output()
	if err != nil {
		h.t.Fatalf("hq stats: %v", err)
	}
	var st hq.Stats
	if err := json.Unmarshal(out, &st); err != nil {
		h.t.Fatalf("hq stats: %v in %q", err, out)
	}
	return st
}

// staffLogin is a kiosk account the test creates.
type staffLogin struct{ phone, password string }

var (
	scannerLogin    = staffLogin{"13800000011", "scanner-pass-e2e"}
	supervisorLogin = staffLogin{"13800000012", "supervisor-pass-e2e"}
)

// siteID is the checkpoint the kiosk is enrolled at.
const siteID = "e2e-gate"

// setUp gives HQ an issuing key, a site with a supervisor and a scanner, and returns a one-time
// enrollment code for the site.
func (h *hqServer) setUp() string {
	h.t.Helper()
	h.admin("POST", "/api/v1/admin/keys", map[string]any{}, nil)
	h.admin("POST", "/api/v1/admin/sites", map[string]any{"id": siteID, "name": "东门检查站", "address": "永吉县东门路1号",
		"contact": "李站长", "phone": "043200000000", "active": true}, nil)
	for _, s := range []struct {
		l    staffLogin
		name string
		role string
	}{{supervisorLogin, "李站长", "supervisor"}, {scannerLogin, "王扫码", "scanner"}} {
		h.admin("POST", "/api/v1/admin/staff", map[string]any{"phone": s.l.phone, "name": s.name, "role": s.role,
			"site_id": siteID, "password": s.l.password}, nil)
	}
	var ec struct {
		Code string `json:"code"`
	}
	h.admin("POST", "/api/v1/admin/enroll-codes", map[string]any{"site_id": siteID}, &ec)
	if ec.Code == "" {
		h.t.Fatal("enroll-codes: no code")
	}
	return ec.Code
}

// issue has HQ issue a live health code (valid 10 minutes) for a new person and returns its text.
func (h *hqServer) issue(seq int) string { return h.issueKind(seq, "live") }

// issueKind issues a code of the kind given: live, or printed (valid 7 days).
func (h *hqServer) issueKind(seq int, kind string) string {
	h.t.Helper()
	var c struct {
		Code   string `json:"code"`
		Status string `json:"status"`
	}
	h.admin("POST", "/api/v1/codes", map[string]any{"name": "张三", "id_number": residentID("220221", "19800101", seq), "kind": kind}, &c)
	if !strings.HasPrefix(c.Code, "JXM:") || c.Status != "green" {
		h.t.Fatalf("issued code %.12q… status %q; want a green JXM: code", c.Code, c.Status)
	}
	return c.Code
}

// residentID builds a valid 18-character ID number (GB 11643).
func residentID(region, birth string, seq int) string {
	base := region + birth + fmt.Sprintf("%03d", seq%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(base[i]-'0') * w
	}
	return base + string("10X98765432"[sum%11])
}

// enrollKiosk runs `kiosk enroll` into a new data directory.
func enrollKiosk(t testing.TB, kioskBin, data, hqURL, code string) {
	t.Helper()
	out, err := exec.Command(kioskBin, "enroll", "--data", data, "--hq", hqURL, "--code", code, "--name", "e2e-kiosk").CombinedOutput()
	if err != nil {
		t.Fatalf("kiosk enroll: %v\n%s", err, out)
	}
}

// display is an Xvfb server on a display number it chose itself.
type display struct {
	t     testing.TB
	name  string // ":N"
	shots string // screenshots go here
	n     int
}

func startXvfb(t testing.TB, dir string) *display {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "xvfb.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1280x800x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatalf("Xvfb: %v", err)
	}
	w.Close()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
		r.Close()
		f.Close()
	})
	num := make(chan string, 1)
	go func() {
		b := make([]byte, 16)
		n, _ := r.Read(b) // r stays open: Xvfb must never find the pipe closed
		num <- strings.TrimSpace(string(b[:n]))
	}()
	select {
	case s := <-num:
		if _, err := strconv.Atoi(s); err != nil {
			t.Fatalf("Xvfb gave display %q", s)
		}
		shots := filepath.Join(dir, "screens")
		os.MkdirAll(shots, 0o755)
		return &display{t: t, name: ":" + s, shots: shots}
	case <-time.After(20 * time.Second):
		t.Fatal("Xvfb did not start in 20 s")
	}
	return nil
}

func (d *display) env() []string { return []string{"DISPLAY=" + d.name, "LANG=zh_CN.UTF-8"} }

// xdo runs xdotool on the display.
func (d *display) xdo(args ...string) (string, error) {
	cmd := exec.Command("xdotool", args...)
	cmd.Env = append(os.Environ(), d.env()...)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func (d *display) mustXdo(args ...string) string {
	d.t.Helper()
	out, err := d.xdo(args...)
	if err != nil {
		d.t.Fatalf("xdotool %s: %v %s%s", strings.Join(args, " "), err, out, d.failShot("xdotool"))
	}
	return out
}

// waitWindow waits for a window whose title matches name and returns its id.
func (d *display) waitWindow(name string, timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", "search", "--sync", "--onlyvisible", "--name", name)
	cmd.Env = append(os.Environ(), d.env()...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("xdotool search %q: %v", name, err)
	}
	return strings.Fields(string(out))[0], nil
}

// shot grabs the whole display (xwd) as a PNG in d.shots and returns its path and pixels.
func (d *display) shot(label string) (string, image.Image, error) {
	d.n++
	path := filepath.Join(d.shots, fmt.Sprintf("%02d-%s.png", d.n, label))
	xwd := exec.Command("xwd", "-root", "-silent", "-display", d.name)
	conv := exec.Command("convert", "xwd:-", "png:"+path)
	pipe, err := xwd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	conv.Stdin = pipe
	if err := xwd.Start(); err != nil {
		return "", nil, err
	}
	out, cerr := conv.CombinedOutput()
	werr := xwd.Wait()
	if cerr != nil || werr != nil {
		return "", nil, fmt.Errorf("xwd | convert: %v %v %s", werr, cerr, out)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	return path, img, err
}

// failShot takes a screenshot for a failure message and says where it is.
func (d *display) failShot(label string) string {
	path, _, err := d.shot("FAIL-" + label)
	if err != nil {
		return fmt.Sprintf("\n(no screenshot: %v; earlier ones in %s)", err, d.shots)
	}
	return fmt.Sprintf("\nscreenshot: %s (all in %s)", path, d.shots)
}

// waitScreen takes a screenshot every 500 ms until ok says the screen is the one wanted, or
// fails the test after timeout with the last screenshot's path.
func (d *display) waitScreen(label string, timeout time.Duration, ok func(image.Image) bool, alive func() error) string {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		path, img, err := d.shot(label)
		if err == nil && ok(img) {
			return path
		}
		if alive != nil {
			if aerr := alive(); aerr != nil {
				d.t.Fatalf("waiting for %s: %v (last screenshot %s)", label, aerr, path)
			}
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("no %s screen after %v: last screenshot %s (all in %s; err %v)", label, timeout, path, d.shots, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// countColour counts the pixels of img within tol of c in every channel.
func countColour(img image.Image, c color.NRGBA, tol int) int {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-int(c.R)) <= tol && abs(int(g>>8)-int(c.G)) <= tol && abs(int(bb>>8)-int(c.B)) <= tol {
				n++
			}
		}
	}
	return n
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// memKB is a process's resident memory from /proc/PID/status, in kB: VmRSS, and its anonymous
// part (heap: Go's and C's) and file-backed part (the binary and shared libraries, among them
// OpenCV and, under Xvfb, the software OpenGL of Mesa with LLVM).
type memKB struct{ rss, anon, file int }

func readMem(pid int) (memKB, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memKB{}, err
	}
	var m memKB
	found := 0
	for _, line := range strings.Split(string(b), "\n") {
		for _, f := range []struct {
			key string
			dst *int
		}{{"VmRSS:", &m.rss}, {"RssAnon:", &m.anon}, {"RssFile:", &m.file}} {
			if v, ok := strings.CutPrefix(line, f.key); ok {
				n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
				if err != nil {
					return memKB{}, fmt.Errorf("/proc/%d/status: %q", pid, line)
				}
				*f.dst = n
				found++
			}
		}
	}
	if found != 3 {
		return memKB{}, fmt.Errorf("/proc/%d/status: no VmRSS, RssAnon and RssFile", pid)
	}
	return m, nil
}
