package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/accounts"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/store"
)

// stdin is where --owner-password-stdin and --password-stdin read (tests
// replace it).
var stdin io.Reader = os.Stdin

const accountUsage = `usage:
  switchyard account create NAME --owner-email EMAIL [--owner-password-stdin]
      the owner is the account holder (account mails go to them); without
      --owner-password-stdin they get an invitation link (printed)
  switchyard account timezone ACCOUNT_ID ZONE            (IANA zone, e.g. Europe/Berlin)
  switchyard account country ACCOUNT_ID CC|none          (default country of national numbers, e.g. IN)
  switchyard account reports ACCOUNT_ID enable|disable REPORT   (calls, queues, agents, campaigns)
  switchyard account disable|enable ACCOUNT_ID
  switchyard account http-policy ACCOUNT_ID [https|http [CIDR ...]]
      the operator's grant for the account's webhooks: plain http:// (http)
      and loopback/private/link-local networks they may reach, e.g.
      "http 10.1.0.0/16"; "https" alone resets to the default (HTTPS to
      public addresses only); no argument shows the policy`

// openAccounts opens and migrates the store and builds the accounts
// service the HTTP API uses too (no mail relay: links are printed).
func openAccounts(ctx context.Context, cfg app.Config) (*accounts.Service, *store.Store, error) {
	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, nil, err
	}
	return accounts.New(accounts.Config{Store: s, PublicURL: consoleBase(cfg)}), s, nil
}

// consoleBase is the console's URL as the links name it: the public URL,
// else the HTTP listen address (a wildcard host as 127.0.0.1).
func consoleBase(cfg app.Config) string {
	if cfg.PublicURL != "" {
		return cfg.PublicURL
	}
	host, port, err := net.SplitHostPort(cfg.HTTPAddr)
	if err != nil {
		return "http://" + cfg.HTTPAddr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// readSecretLine reads one line (a password) from stdin.
func readSecretLine() (string, error) {
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func accountCmd(cfg app.Config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "create" {
		return accountCreateCmd(cfg, args[1:], stdout, stderr)
	}
	ok := len(args) > 0 && (args[0] == "timezone" && len(args) == 3 ||
		args[0] == "country" && len(args) == 3 ||
		(args[0] == "disable" || args[0] == "enable") && len(args) == 2 ||
		args[0] == "reports" && len(args) == 4 && (args[2] == "enable" || args[2] == "disable") ||
		args[0] == "http-policy" && (len(args) == 2 || args[2] == "http" || args[2] == "https"))
	if !ok {
		fmt.Fprintln(stderr, accountUsage)
		return 2
	}
	id, err := strconv.ParseInt(args[1], 10, 64)
	if err != nil || id <= 0 {
		fmt.Fprintf(stderr, "switchyard account %s: account id %q is not a positive number\n", args[0], args[1])
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, s, err := openAccounts(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard account:", err)
		return 1
	}
	defer s.Close()
	var p accounts.AccountPatch
	switch args[0] {
	case "timezone":
		p.TimeZone = &args[2]
	case "country":
		cc := args[2]
		if strings.EqualFold(cc, "none") {
			cc = ""
		}
		p.Country = &cc
	case "reports":
		p.Reports = map[string]bool{args[3]: args[2] == "enable"}
	case "disable", "enable":
		off := args[0] == "disable"
		p.Disabled = &off
	case "http-policy":
		if len(args) > 2 {
			p.HTTP = &accounts.HTTPGrant{AllowHTTP: args[2] == "http", Networks: args[3:]}
		}
	}
	acc, err := svc.UpdateAccount(ctx, id, p)
	if err != nil {
		fmt.Fprintf(stderr, "switchyard account %s: %v\n", args[0], err)
		return 1
	}
	switch args[0] {
	case "timezone":
		fmt.Fprintf(stdout, "account %d: time zone %s\n", id, acc.TimeZone)
	case "country":
		if acc.Country == "" {
			fmt.Fprintf(stdout, "account %d: no default country (numbers need their country code)\n", id)
		} else {
			fmt.Fprintf(stdout, "account %d: default country %s\n", id, acc.Country)
		}
	case "reports":
		fmt.Fprintf(stdout, "account %d: %s report %sd\n", id, args[3], args[2])
	case "disable", "enable":
		fmt.Fprintf(stdout, "account %d: %sd\n", id, args[0])
	case "http-policy":
		inUse, err := s.GetHTTPPolicy(ctx, id)
		if err != nil {
			fmt.Fprintln(stderr, "switchyard account http-policy:", err)
			return 1
		}
		fmt.Fprintf(stdout, "account %d: granted http=%v networks=[%s]; in use http=%v networks=[%s]\n", id,
			acc.HTTP.AllowHTTP, strings.Join(acc.HTTP.Networks, " "), inUse.AllowHTTP, inUse.AllowCIDRs)
	}
	return 0
}

func accountCreateCmd(cfg app.Config, args []string, stdout, stderr io.Writer) int {
	var name, email string
	pwStdin := false
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--owner-email" || a == "-owner-email":
			if i+1 >= len(args) {
				fmt.Fprintln(stderr, accountUsage)
				return 2
			}
			i++
			email = args[i]
		case strings.HasPrefix(a, "--owner-email="):
			email = strings.TrimPrefix(a, "--owner-email=")
		case a == "--owner-password-stdin":
			pwStdin = true
		case strings.HasPrefix(a, "-") || name != "":
			fmt.Fprintln(stderr, accountUsage)
			return 2
		default:
			name = a
		}
	}
	if name == "" || email == "" {
		fmt.Fprintln(stderr, "switchyard account create: give the account NAME and --owner-email EMAIL (the account holder)")
		fmt.Fprintln(stderr, accountUsage)
		return 2
	}
	in := accounts.NewAccount{Name: name, OwnerEmail: email, APIKey: true}
	if pwStdin {
		pw, err := readSecretLine()
		if err != nil {
			fmt.Fprintln(stderr, "switchyard account create:", err)
			return 2
		}
		in.OwnerPassword = pw
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, s, err := openAccounts(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard account create:", err)
		return 1
	}
	defer s.Close()
	c, err := svc.CreateAccount(ctx, in)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard account create:", err)
		return 1
	}
	fmt.Fprintf(stdout, "account_id=%d\napi_key=%s\nowner=%s\n", c.Account.ID, c.APIKey, c.Owner.Email)
	if c.InviteURL != "" {
		fmt.Fprintf(stdout, "owner_invite_url=%s\n", c.InviteURL)
	}
	fmt.Fprintln(stderr, "Keep the API key: it is shown only once. Use it as: Authorization: Bearer <api_key>")
	if c.InviteURL != "" {
		fmt.Fprintln(stderr, "Send the owner the invitation link: it sets their password (once, within 7 days).")
	}
	return 0
}

const operatorUsage = `usage:
  switchyard operator create EMAIL [--password-stdin]
      an operator creates and disables accounts and grants them features in
      the web console; without --password-stdin an invitation link is printed`

func operatorCmd(cfg app.Config, args []string, stdout, stderr io.Writer) int {
	if len(args) < 2 || args[0] != "create" || len(args) > 3 || len(args) == 3 && args[2] != "--password-stdin" {
		fmt.Fprintln(stderr, operatorUsage)
		return 2
	}
	pw := ""
	if len(args) == 3 {
		var err error
		if pw, err = readSecretLine(); err != nil {
			fmt.Fprintln(stderr, "switchyard operator create:", err)
			return 2
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	svc, s, err := openAccounts(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard operator create:", err)
		return 1
	}
	defer s.Close()
	op, link, err := svc.CreateOperator(ctx, args[1], "", pw)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard operator create:", err)
		return 1
	}
	fmt.Fprintf(stdout, "operator_id=%d\nemail=%s\n", op.ID, op.Email)
	if link != "" {
		fmt.Fprintf(stdout, "invite_url=%s\n", link)
	}
	return 0
}

// First login of a fresh installation.
const (
	firstOwnerEmail    = "owner@localhost"
	firstOperatorEmail = "operator@localhost"
)

// firstLogin prints where the console is and, on a database without any
// user or operator, makes the account "default" with an owner and an
// operator, and prints their one-time password (to the terminal, never to
// the log), so a new installation can log in with no manual step.
func firstLogin(ctx context.Context, a *app.App, w io.Writer) error {
	fl, made, err := a.Accounts().EnsureFirstLogin(ctx, firstOwnerEmail, firstOperatorEmail)
	if err != nil {
		return fmt.Errorf("first login: %w", err)
	}
	fmt.Fprintf(w, "Switchyard console: %s\n", a.ConsoleURL())
	if made {
		fmt.Fprintf(w, "First start: log in as %s (owner of account %q) or %s (operator)\n"+
			"with the one-time password  %s\n"+
			"and change it at once (it is not shown again).\n",
			fl.Owner.Email, fl.Account.Name, fl.Operator.Email, fl.Password)
	}
	return nil
}
