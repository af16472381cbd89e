// Package cli is the small subcommand table both binaries use: each subcommand registers itself
// from its own file, and Dispatch runs the one named on the command line.
package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Run is one subcommand. It returns the process exit code: 0 on success, 1 on failure, 2 for
// usage errors.
type Run func(ctx context.Context, args []string, stdout, stderr io.Writer) int

type command struct {
	summary string
	run     Run
}

// Set is a program's subcommands.
type Set struct {
	prog     string // "kiosk" or "hq"
	usage    string // the first usage line
	fallback string // command run when the first argument is missing or a flag; "" for help
	commands map[string]command
}

// New returns an empty Set for the program prog.
func New(prog, usage, fallback string) *Set {
	return &Set{prog: prog, usage: usage, fallback: fallback, commands: map[string]command{}}
}

// Register adds a subcommand; registering a name twice is a programming error.
func (s *Set) Register(name, summary string, run Run) {
	if _, dup := s.commands[name]; dup {
		panic(s.prog + ": command registered twice: " + name)
	}
	s.commands[name] = command{summary: summary, run: run}
}

// Dispatch runs the subcommand args names.
func (s *Set) Dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := s.fallback
	if len(args) > 0 && (!strings.HasPrefix(args[0], "-") || args[0] == "-h" || args[0] == "--help" || s.fallback == "") {
		name, args = args[0], args[1:]
	}
	if name == "" || name == "help" || name == "-h" || name == "--help" {
		s.Usage(stdout)
		return 0
	}
	cmd, ok := s.commands[name]
	if !ok {
		fmt.Fprintf(stderr, "%s: 未知命令 unknown command %q (see: %s help)\n", s.prog, name, s.prog)
		return 2
	}
	return cmd.run(ctx, args, stdout, stderr)
}

// Usage lists the subcommands.
func (s *Set) Usage(w io.Writer) {
	fmt.Fprintln(w, s.usage)
	names := make([]string, 0, len(s.commands))
	for n := range s.commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, s.commands[n].summary)
	}
}
