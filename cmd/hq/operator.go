package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yongji-county/checkpoint/hq/console"
	"github.com/yongji-county/checkpoint/hq/sqldb"
)

func init() {
	register("operator", "manage the operator console's accounts: add, reset, role, disable, enable, list", runOperator)
}

const operatorUsage = `usage:
  hq operator add   --db DSN --name NAME --role admin|health|ops|viewer [--url https://hq.example]
  hq operator reset --db DSN --name NAME [--url https://hq.example]
  hq operator role  --db DSN --name NAME --role admin|health|ops|viewer
  hq operator disable|enable --db DSN --name NAME
  hq operator list  --db DSN
add and reset print a one-time setup link (valid 24 h) where the operator sets a password and
enrols an authenticator (TOTP); reset and disable also end the operator's sessions.`

func runOperator(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stdout, operatorUsage)
		return 0
	}
	verb := args[0]
	fs := flag.NewFlagSet("operator "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dsn := fs.String("db", envOr("CHECKPOINT_HQ_DB", defaultDSN), "database: sqlite:PATH or postgres://…")
	name := fs.String("name", "", "the operator's user name")
	role := fs.String("role", "", "admin, health, ops or viewer")
	base := fs.String("url", "", "HQ's address as operators reach it, to print a whole link")
	err := fs.Parse(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(stdout, operatorUsage)
		return 0
	}
	usage := func(why string) int {
		fmt.Fprintf(stderr, "hq operator: 参数错误 usage error: %s\n%s\n", why, operatorUsage)
		return 2
	}
	if err != nil {
		return usage(err.Error())
	}
	if fs.NArg() > 0 {
		return usage("unexpected " + fs.Arg(0))
	}
	if *base != "" {
		u, err := url.Parse(*base)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return usage("--url must be http(s)://host[:port]")
		}
	}
	switch verb {
	case "add":
		if *name == "" || *role == "" {
			return usage("add needs --name and --role")
		}
		if !console.ValidName(*name) {
			return usage("--name: 2 to 32 of a-z 0-9 . _ -, starting with a letter")
		}
		if _, err := console.ParseRole(*role); err != nil {
			return usage("--role must be admin, health, ops or viewer")
		}
	case "reset", "disable", "enable":
		if *name == "" || *role != "" {
			return usage(verb + " needs --name (and no --role)")
		}
		if verb != "reset" && *base != "" {
			return usage(verb + " takes no --url")
		}
	case "role":
		if *name == "" || *role == "" || *base != "" {
			return usage("role needs --name and --role")
		}
		if _, err := console.ParseRole(*role); err != nil {
			return usage("--role must be admin, health, ops or viewer")
		}
	case "list":
		if *name != "" || *role != "" || *base != "" {
			return usage("list takes only --db")
		}
	default:
		return usage("unknown command " + verb)
	}
	db, err := sqldb.Open(ctx, *dsn)
	if err != nil {
		fmt.Fprintf(stderr, "hq operator: %v\n", err)
		return 1
	}
	defer db.Close()
	now := time.Now()
	switch verb {
	case "list":
		ops, err := db.Operators(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "hq operator: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tCREATED")
		for _, o := range ops {
			state := "ready"
			switch {
			case !o.Active:
				state = "inactive"
			case !o.TOTPConfirmed && now.Before(o.SetupUntil):
				state = "setup pending until " + o.SetupUntil.UTC().Format(time.RFC3339)
			case !o.TOTPConfirmed:
				state = "setup expired: run hq operator reset"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.Name, o.Role, state, o.CreatedAt.UTC().Format(time.RFC3339))
		}
		tw.Flush()
		return 0
	case "add":
		tok, err := console.AddOperator(ctx, db, *name, console.Role(*role), now)
		if errors.Is(err, sqldb.ErrOperatorExists) {
			fmt.Fprintf(stderr, "hq operator: 用户名已存在 / operator %q exists (hq operator reset --name %s gives a new setup link)\n", *name, *name)
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "hq operator: %v\n", err)
			return 1
		}
		cliAudit(ctx, db, stderr, now, console.AuditOperatorAdd, *name, nil, map[string]string{"role": *role})
		printSetup(stdout, *base, tok, now)
	case "reset":
		tok, err := console.ResetOperator(ctx, db, *name, now)
		if errors.Is(err, sqldb.ErrNotFound) {
			fmt.Fprintf(stderr, "hq operator: 没有此用户 / no operator %q\n", *name)
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "hq operator: %v\n", err)
			return 1
		}
		cliAudit(ctx, db, stderr, now, console.AuditOperatorReset, *name, nil, map[string]string{"password": "cleared", "totp": "cleared"})
		printSetup(stdout, *base, tok, now)
	case "role", "disable", "enable":
		old, err := db.Operator(ctx, *name)
		if errors.Is(err, sqldb.ErrNotFound) {
			fmt.Fprintf(stderr, "hq operator: 没有此用户 / no operator %q\n", *name)
			return 1
		}
		if err != nil {
			fmt.Fprintf(stderr, "hq operator: %v\n", err)
			return 1
		}
		var before, after map[string]string
		if verb == "role" {
			err = db.SetOperatorRole(ctx, *name, *role, now)
			before, after = map[string]string{"role": old.Role}, map[string]string{"role": *role}
		} else {
			active := verb == "enable"
			err = db.SetOperatorActive(ctx, *name, active, now)
			before, after = map[string]string{"active": fmt.Sprint(old.Active)}, map[string]string{"active": fmt.Sprint(active)}
		}
		if err != nil {
			fmt.Fprintf(stderr, "hq operator: %v\n", err)
			return 1
		}
		cliAudit(ctx, db, stderr, now, "operator."+verb, *name, before, after)
		fmt.Fprintf(stdout, "%s: %s\n", *name, verb)
	}
	return 0
}

// printSetup prints the setup link alone on the first line (for scripts), then when it expires.
func printSetup(w io.Writer, base, tok string, now time.Time) {
	fmt.Fprintf(w, "%s%ssetup?token=%s\n", strings.TrimRight(base, "/"), console.Prefix, url.QueryEscape(tok))
	until := now.Add(console.SetupValidity).UTC().Format(time.RFC3339)
	fmt.Fprintf(w, "一次性设置链接，%s 前有效 / one-time setup link, valid until %s\n", until, until)
}

// cliAudit records a change made from the command line (operator "cli": whoever runs hq on
// the server).
func cliAudit(ctx context.Context, db *sqldb.DB, stderr io.Writer, now time.Time, action, object string, before, after map[string]string) {
	js := func(m map[string]string) string {
		if m == nil {
			return ""
		}
		b, _ := json.Marshal(m)
		return string(b)
	}
	if _, err := db.AppendAudit(ctx, sqldb.AuditEntry{At: now, Operator: "cli", Role: "admin", Action: action, Object: object, Before: js(before), After: js(after),
		ClientAddr: "local"}); err != nil {
		fmt.Fprintf(stderr, "hq operator: 审计日志写入失败 / audit log write failed: %v\n", err)
	}
}
