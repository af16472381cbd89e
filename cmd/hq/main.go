// Command hq is the headquarters server (serve) and its operator subcommands (keygen, issue-code,
// enroll-code, stats, rechecks, held, db …). It builds with CGO_ENABLED=0.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/yongji-county/checkpoint/internal/cli"
)

var commands = cli.New("hq", "usage: hq COMMAND [FLAGS]", "")

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
