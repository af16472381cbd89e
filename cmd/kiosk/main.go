// Command kiosk is the checkpoint station: the Fyne kiosk window (no arguments, or "run") and the
// headless subcommands that scripts use (decode, verify, check-id, sync, enroll, simulate, ...).
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/yongji-county/checkpoint/internal/cli"
	// Before Fyne reads the locale: scripts run the headless subcommands under LANG=C.
	_ "github.com/yongji-county/checkpoint/internal/clocale"
)

var commands = cli.New("kiosk", "usage: kiosk [COMMAND] [FLAGS]   (no command opens the kiosk window)", "run")

// register is called by the init function of each subcommand's file.
func register(name, summary string, run cli.Run) { commands.Register(name, summary, run) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return commands.Dispatch(ctx, args, stdout, stderr)
}
