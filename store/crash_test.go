package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	checkpoint "github.com/yongji-county/checkpoint"
)

// crashChildEnv names the database a re-executed test binary writes to until it is killed.
const crashChildEnv = "CHECKPOINT_STORE_CRASH_CHILD"

// TestMain lets the test binary act as the crash test's child process.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashChildEnv); path != "" {
		os.Exit(crashChild(path))
	}
	code := m.Run()
	cleanupBench()
	os.Exit(code)
}

// crashChild saves checks as fast as it can and prints each id once SaveCheck has returned:
// a printed id is a promise that the check is on disk.
func crashChild(path string) int {
	ctx := context.Background()
	db, err := Open(ctx, path, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	for i := 0; ; i++ {
		c := greenCheck()
		c.CodeID = fmt.Sprintf("code-%d", i)
		id, err := db.SaveCheck(ctx, Meta{DeviceID: "dev-crash", SiteID: "site-1", StaffID: "st-1"}, c,
			checkpoint.Personal{Name: "张三", ID: fullID})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if _, err := os.Stdout.WriteString(id + "\n"); err != nil {
			return 1
		}
	}
}

// TestCrashDurability kills a writing process at random moments and checks that the file is
// intact and holds every check the process reported saved.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	path := filepath.Join(t.TempDir(), FileName)
	const kills = 25
	deadline := time.Now().Add(20 * time.Second)
	total := 0
	for i := 0; i < kills; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("only %d kills in 20s", i)
		}
		// Most kills land among the writes; every fourth may land while the child opens the
		// file (recovery of the previous kill's WAL, migrations check).
		reported := runAndKill(t, path, time.Duration(rand.IntN(150))*time.Millisecond, i%4 == 0)
		total += len(reported)

		db, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", i, err)
		}
		if err := db.IntegrityCheck(context.Background()); err != nil {
			t.Fatalf("kill %d: %v", i, err)
		}
		for _, id := range reported {
			var n int
			if err := db.r.QueryRow(`SELECT (SELECT count(*) FROM outbox WHERE id = ?1) + (SELECT count(*) FROM entries WHERE id = ?1)`, id).Scan(&n); err != nil || n != 2 {
				t.Errorf("kill %d: check %s reported saved but outbox+entries rows = %d (%v)", i, id, n, err)
			}
		}
		db.Close()
	}
	t.Logf("%d kills, %d checks reported saved, all present", kills, total)
	if total == 0 {
		t.Error("the child never saved anything")
	}
}

// runAndKill starts the child on path, lets it write for about d after it is ready (or after
// it starts, when early), SIGKILLs it and returns the ids it printed.
func runAndKill(t *testing.T, path string, d time.Duration, early bool) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var ids []string
	timeout := time.After(10 * time.Second)
	var kill <-chan time.Time
	if early {
		kill = time.After(d / 4)
	}
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				if kill == nil || stderr.Len() > 0 {
					t.Fatalf("child ended on its own: %s", stderr.String())
				}
				return ids
			}
			if l == "ready" {
				if !early {
					kill = time.After(d)
				}
				continue
			}
			ids = append(ids, l)
		case <-kill:
			cmd.Process.Signal(syscall.SIGKILL)
			kill = nil
			// keep reading: lines already in the pipe were saved before the kill.
			for l := range lines {
				if len(l) == 36 { // a whole id; a torn last line was never promised
					ids = append(ids, l)
				}
			}
			cmd.Wait()
			return ids
		case <-timeout:
			cmd.Process.Kill()
			t.Fatalf("child not ready in 10s: %s", stderr.String())
		}
	}
}
