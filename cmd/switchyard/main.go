// Command switchyard is the Switchyard daemon and its admin CLI.
//
//	switchyard [serve]            run the service (default)
//	switchyard migrate            apply database migrations and exit
//	switchyard account create N --owner-email E
//	                              create an account with its owner, print its id and API key
//	switchyard operator create E  create an operator (the level above accounts)
//	switchyard upload --flow ID F upload a call list to a running server
//	switchyard mail-address A F   print the email-upload address of flow F of account A
//	switchyard version            print the version
//	switchyard help               settings and commands
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/store"
)

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

const usage = `Switchyard — a Go control plane in front of Asterisk.

Usage:
  switchyard [flags] [serve]             run the service (default)
  switchyard [flags] migrate             apply database migrations and exit
  switchyard [flags] account create NAME --owner-email EMAIL [--owner-password-stdin]
                                         create an account and its owner (the account holder);
                                         prints its id, an API key and the owner's invitation
                                         link (or reads the owner's password from stdin)
  switchyard [flags] account timezone ACCOUNT_ID ZONE
                                         set an account's IANA time zone (reports, start times)
  switchyard [flags] account country ACCOUNT_ID CC|none
                                         set an account's default country for national numbers
  switchyard [flags] account reports ACCOUNT_ID enable|disable REPORT
                                         switch a catalogue report (calls, queues, agents, campaigns)
  switchyard [flags] account http-policy ACCOUNT_ID [https|http [CIDR ...]]
                                         grant an account's webhooks plain http and private networks
                                         (the account can only narrow it); no argument shows it
  switchyard [flags] operator create EMAIL [--password-stdin]
                                         create an operator (creates and disables accounts,
                                         grants features in the web console); prints an
                                         invitation link, or reads the password from stdin
  switchyard [flags] upload --flow ID [--format csv|zip|ads] [--url URL] [--api-key-file FILE] FILE
                                         upload a call list (.csv, .txt or .zip) to a running server;
                                         the API key comes from SWITCHYARD_API_KEY or --api-key-file
  switchyard [flags] mail-address ACCOUNT_ID FLOW_ID
                                         print a flow's email-upload address
  switchyard version                     print the version
  switchyard help                        this text and the settings table

Settings come from the environment, overridden by flags:
`

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg := app.Default()
	fs := flag.NewFlagSet("switchyard", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		_ = app.ConfigTable().WriteText(stderr)
	}
	envErr := cfg.LoadEnv(getenv)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	rest := fs.Args()
	cmd := "serve"
	if len(rest) > 0 {
		cmd, rest = rest[0], rest[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "switchyard", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		_ = app.ConfigTable().WriteText(stdout)
		return 0
	case "upload":
		// A client command: of the settings it uses only the HTTP address
		// (the default server URL), so the server's settings need not
		// validate on the client's machine.
		return uploadCmd(cfg, rest, getenv, stdout, stderr)
	}
	if err := errors.Join(envErr, cfg.Validate()); err != nil {
		fmt.Fprintln(stderr, "switchyard: invalid configuration:")
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := cfg.NewLogger(stderr)

	switch cmd {
	case "serve":
		if len(rest) > 0 {
			fmt.Fprintf(stderr, "switchyard serve: unexpected arguments %q\n", rest)
			return 2
		}
		if err := cfg.RequireARICredentials(); err != nil {
			fmt.Fprintln(stderr, "switchyard: invalid configuration:")
			fmt.Fprintln(stderr, err)
			return 2
		}
		if n := cfg.GoMaxProcs(runtime.NumCPU(), getenv("GOMAXPROCS")); n > 0 {
			runtime.GOMAXPROCS(n)
			log.Info("CPUs for the daemon", "gomaxprocs", n, "cpus", runtime.NumCPU(), "setting", app.EnvCPUs)
		}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		a, err := app.New(ctx, cfg, version, log)
		if err != nil {
			log.Error("start failed", "error", err)
			return 1
		}
		defer a.Close()
		if err := firstLogin(ctx, a, stderr); err != nil {
			log.Error("start failed", "error", err)
			return 1
		}
		if err := a.Run(ctx); err != nil {
			log.Error("stopped with error", "error", err)
			return 1
		}
		return 0
	case "migrate":
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log})
		if err != nil {
			fmt.Fprintln(stderr, "switchyard migrate:", err)
			return 1
		}
		defer s.Close()
		if err := s.Migrate(ctx); err != nil {
			fmt.Fprintln(stderr, "switchyard migrate:", err)
			return 1
		}
		ids, _ := s.AppliedMigrations(ctx)
		fmt.Fprintf(stdout, "database (%s) is at migration %s (%d applied)\n", s.Driver(), last(ids), len(ids))
		return 0
	case "account":
		return accountCmd(cfg, rest, stdout, stderr)
	case "operator":
		return operatorCmd(cfg, rest, stdout, stderr)
	case "mail-address":
		return mailAddressCmd(cfg, rest, stdout, stderr)
	}
	fmt.Fprintf(stderr, "switchyard: unknown command %q (try: switchyard help)\n", cmd)
	return 2
}

func last(ids []string) string {
	if len(ids) == 0 {
		return "(none)"
	}
	return ids[len(ids)-1]
}
