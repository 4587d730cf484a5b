// Command switchyard is the Switchyard daemon and its admin CLI.
//
//	switchyard [serve]            run the service (default)
//	switchyard migrate            apply database migrations and exit
//	switchyard account create N   create an account, print its id and API key
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
	"strconv"
	"strings"
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
  switchyard [flags] account create NAME create an account; prints its id and API key
  switchyard [flags] account timezone ACCOUNT_ID ZONE
                                         set an account's IANA time zone (reports, start times)
  switchyard [flags] account country ACCOUNT_ID CC|none
                                         set an account's default country for national numbers
  switchyard [flags] account reports ACCOUNT_ID enable|disable REPORT
                                         switch a catalogue report (calls, queues, agents, campaigns)
  switchyard [flags] account http-policy ACCOUNT_ID [https|http [CIDR ...]]
                                         grant an account's webhooks plain http and private networks
                                         (the account can only narrow it); no argument shows it
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
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		a, err := app.New(ctx, cfg, version, log)
		if err != nil {
			log.Error("start failed", "error", err)
			return 1
		}
		defer a.Close()
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

const accountUsage = `usage:
  switchyard account create NAME
  switchyard account timezone ACCOUNT_ID ZONE            (IANA zone, e.g. Europe/Berlin)
  switchyard account country ACCOUNT_ID CC|none          (default country of national numbers, e.g. IN)
  switchyard account reports ACCOUNT_ID enable|disable REPORT   (calls, queues, agents, campaigns)
  switchyard account http-policy ACCOUNT_ID [https|http [CIDR ...]]
      the operator's grant for the account's webhooks: plain http:// (http)
      and loopback/private/link-local networks they may reach, e.g.
      "http 10.1.0.0/16"; "https" alone resets to the default (HTTPS to
      public addresses only); no argument shows the policy`

func accountCmd(cfg app.Config, args []string, stdout, stderr io.Writer) int {
	ok := len(args) > 0 && (args[0] == "create" && len(args) == 2 || args[0] == "timezone" && len(args) == 3 ||
		args[0] == "country" && len(args) == 3 ||
		args[0] == "reports" && len(args) == 4 && (args[2] == "enable" || args[2] == "disable") ||
		args[0] == "http-policy" && (len(args) == 2 || args[2] == "http" || args[2] == "https"))
	if !ok {
		fmt.Fprintln(stderr, accountUsage)
		return 2
	}
	var id int64
	if args[0] != "create" {
		n, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil || n <= 0 {
			fmt.Fprintf(stderr, "switchyard account %s: account id %q is not a positive number\n", args[0], args[1])
			return 2
		}
		id = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		fmt.Fprintln(stderr, "switchyard account:", err)
		return 1
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		fmt.Fprintln(stderr, "switchyard account:", err)
		return 1
	}
	switch args[0] {
	case "timezone":
		if err := s.SetAccountTimezone(ctx, id, args[2]); err != nil {
			fmt.Fprintln(stderr, "switchyard account timezone:", err)
			return 1
		}
		fmt.Fprintf(stdout, "account %d: time zone %s\n", id, args[2])
		return 0
	case "http-policy":
		if len(args) > 2 {
			if _, err := s.GrantHTTPPolicy(ctx, id, args[2] == "http", args[3:]); err != nil {
				fmt.Fprintln(stderr, "switchyard account http-policy:", err)
				return 1
			}
		}
		p, err := s.GetHTTPPolicy(ctx, id)
		if err != nil {
			fmt.Fprintln(stderr, "switchyard account http-policy:", err)
			return 1
		}
		nets := make([]string, 0)
		for _, n := range p.GrantNetworks() {
			nets = append(nets, n.String())
		}
		fmt.Fprintf(stdout, "account %d: granted http=%v networks=[%s]; in use http=%v networks=[%s]\n", id, p.GrantHTTP, strings.Join(nets, " "), p.AllowHTTP, p.AllowCIDRs)
		return 0
	case "country":
		cc := args[2]
		if strings.EqualFold(cc, "none") {
			cc = ""
		}
		if err := s.SetAccountCountry(ctx, id, cc); err != nil {
			fmt.Fprintln(stderr, "switchyard account country:", err)
			return 1
		}
		if cc == "" {
			fmt.Fprintf(stdout, "account %d: no default country (numbers need their country code)\n", id)
		} else {
			fmt.Fprintf(stdout, "account %d: default country %s\n", id, strings.ToUpper(strings.TrimSpace(cc)))
		}
		return 0
	case "reports":
		if err := s.SetReportEnabled(ctx, id, args[3], args[2] == "enable"); err != nil {
			fmt.Fprintln(stderr, "switchyard account reports:", err)
			return 1
		}
		fmt.Fprintf(stdout, "account %d: %s report %sd\n", id, args[3], args[2])
		return 0
	}
	acc, err := s.CreateAccount(ctx, args[1])
	if err != nil {
		fmt.Fprintln(stderr, "switchyard account create:", err)
		return 1
	}
	_, key, err := s.CreateAPIKey(ctx, acc.ID, "initial")
	if err != nil {
		fmt.Fprintln(stderr, "switchyard account create:", err)
		return 1
	}
	fmt.Fprintf(stdout, "account_id=%d\napi_key=%s\n", acc.ID, key)
	fmt.Fprintln(stderr, "Keep the API key: it is shown only once. Use it as: Authorization: Bearer <api_key>")
	return 0
}
