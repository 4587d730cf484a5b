package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/mail/smtpin"
)

// EnvAPIKey holds the API key of `switchyard upload`.
const EnvAPIKey = "SWITCHYARD_API_KEY"

const uploadUsage = `usage: switchyard upload --flow ID [--format csv|zip|ads] [--url URL] [--api-key-file FILE] FILE

Uploads a call list (.csv or .txt; .zip of CSV files) to a running Switchyard,
shows a progress bar on stderr and prints the per-record summary: every record
that was not added, with its row and reason.

The API key comes from ` + EnvAPIKey + ` or --api-key-file (its first line).
Exit status: 0 all files accepted, 1 a file was rejected or the upload failed,
2 usage errors.

Flags:
`

// uploadTimeout bounds a whole upload (a 25 MB zip over a slow link, plus
// the import of its records).
const uploadTimeout = 30 * time.Minute

func uploadCmd(cfg app.Config, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("switchyard upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	flowID := fs.String("flow", "", "flow id the call list is for (required)")
	format := fs.String("format", "", "file format: csv, zip (a .zip of CSV files) or ads; default: from the file")
	baseURL := fs.String("url", "", "server URL (default http:// + "+app.EnvHTTPAddr+", now "+defaultServerURL(cfg.HTTPAddr)+")")
	keyFile := fs.String("api-key-file", "", "file holding the API key (default: the "+EnvAPIKey+" environment variable)")
	fs.Usage = func() {
		fmt.Fprint(stderr, uploadUsage)
		fs.PrintDefaults()
	}
	// Flags may come before or after FILE.
	var files []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		args = fs.Args()[1:]
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "switchyard upload: "+format+"\n", a...)
		fmt.Fprintln(stderr, "usage: switchyard upload --flow ID [--format csv|zip|ads] [--url URL] [--api-key-file FILE] FILE")
		return 2
	}
	switch {
	case len(files) == 0:
		return usageErr("no file given")
	case len(files) > 1:
		return usageErr("one file per upload (got %d: %s); put several CSV files in a .zip", len(files), strings.Join(files, ", "))
	case strings.TrimSpace(*flowID) == "":
		return usageErr("--flow is required (the id of the outbound or dialer flow)")
	}
	file := files[0]
	ext := strings.ToLower(filepath.Ext(file))
	serverFormat := ""
	switch strings.ToLower(*format) {
	case "":
	case "csv", "ads":
		serverFormat = strings.ToLower(*format)
	case "zip":
		if ext != ".zip" {
			return usageErr("--format zip needs a .zip file, got %s", file)
		}
	default:
		return usageErr("--format %q is not one of csv, zip, ads", *format)
	}
	switch ext {
	case ".csv", ".txt", ".zip":
	default:
		return usageErr("%s: the server takes .csv, .txt or .zip files", file)
	}
	st, err := os.Stat(file)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard upload:", err)
		return 1
	}
	if !st.Mode().IsRegular() {
		fmt.Fprintf(stderr, "switchyard upload: %s is not a regular file\n", file)
		return 1
	}

	key, err := apiKey(getenv, *keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard upload:", err)
		return 2
	}
	server := *baseURL
	if server == "" {
		server = defaultServerURL(cfg.HTTPAddr)
	}
	if u, err := url.Parse(server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErr("--url %q is not an http:// or https:// URL", server)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, uploadTimeout)
	defer cancel()
	c := &Client{BaseURL: server, APIKey: key}
	bar := &progress{draw: ProgressBar(stderr, filepath.Base(file)), last: -1}
	up, err := c.Upload(ctx, *flowID, file, serverFormat, bar.update)
	if err != nil {
		if bar.last >= 0 && bar.last < 100 {
			fmt.Fprintln(stderr) // end the unfinished bar's line
		}
		fmt.Fprintln(stderr, "switchyard upload:", explainUploadError(err, server))
		return 1
	}
	rejected, err := c.WriteSummary(ctx, stdout, up)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard upload: the upload was stored, but its status report could not be read:", explainUploadError(err, server))
		return 1
	}
	if rejected > 0 {
		fmt.Fprintf(stderr, "switchyard upload: %d of %d files rejected (see above)\n", rejected, len(up.Files))
		return 1
	}
	return 0
}

// progress redraws the bar only when a whole percent more was sent (and
// once at the end: the client reports the last bytes and EOF separately).
type progress struct {
	draw func(done, total int64)
	last int64 // percent last drawn; -1 before the first
}

func (p *progress) update(done, total int64) {
	pct := int64(100)
	if total > 0 {
		pct = done * 100 / total
	}
	if pct == p.last {
		return
	}
	p.last = pct
	p.draw(done, total)
}

// apiKey reads the key from the file (if given) or the environment.
func apiKey(getenv func(string) string, file string) (string, error) {
	if file != "" {
		fi, err := os.Stat(file)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		if !fi.Mode().IsRegular() || fi.Size() > 4096 {
			return "", fmt.Errorf("--api-key-file %s is not a small regular file", file)
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		line, _, _ := strings.Cut(string(b), "\n")
		if k := strings.TrimSpace(line); k != "" {
			return k, nil
		}
		return "", fmt.Errorf("--api-key-file %s: the first line is empty", file)
	}
	if k := strings.TrimSpace(getenv(EnvAPIKey)); k != "" {
		return k, nil
	}
	return "", fmt.Errorf("no API key: set %s or pass --api-key-file (an account's first key is printed by `switchyard account create NAME`)", EnvAPIKey)
}

// defaultServerURL turns the server's listen address into a URL a client
// on the same machine can use (a wildcard host becomes loopback).
func defaultServerURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// explainUploadError says whether the server could not be reached or
// answered with an error (the client's errors carry the HTTP status and
// the server's message).
func explainUploadError(err error, server string) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		var ne net.Error
		var oe *net.OpError
		switch {
		case errors.As(err, &oe) && oe.Op == "dial":
			return fmt.Sprintf("cannot reach the Switchyard server at %s: %v (is it running? set --url or %s)", server, oe.Err, app.EnvHTTPAddr)
		case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
			return fmt.Sprintf("the server at %s did not answer in time: %v", server, err)
		case errors.Is(err, context.Canceled):
			return "interrupted"
		}
		return fmt.Sprintf("talking to the server at %s failed: %v", server, ue.Err)
	}
	msg := err.Error()
	if strings.Contains(msg, "(HTTP 401)") {
		return "the server refused the API key: " + msg
	}
	if i := strings.Index(msg, "(HTTP 4"); i >= 0 {
		return "the server refused the upload: " + msg
	}
	if strings.Contains(msg, "HTTP ") {
		return "the server failed: " + msg
	}
	return msg
}

func mailAddressCmd(cfg app.Config, args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: switchyard mail-address ACCOUNT_ID FLOW_ID")
		return 2
	}
	acc, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || acc <= 0 {
		fmt.Fprintf(stderr, "switchyard mail-address: %q is not an account id\n", args[0])
		return 2
	}
	if cfg.MailDomain == "" {
		fmt.Fprintf(stderr, "switchyard mail-address: %s is not set (the domain of the upload addresses)\n", app.EnvMailDomain)
		return 2
	}
	secret, err := app.MailSecret(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "switchyard mail-address:", err)
		return 1
	}
	addr := smtpin.Address(smtpin.Config{Domain: strings.ToLower(cfg.MailDomain), Secret: secret}, acc, args[1])
	if addr == "" {
		fmt.Fprintf(stderr, "switchyard mail-address: flow id %q cannot be part of an address (want lower-case letters, digits, _)\n", args[1])
		return 2
	}
	fmt.Fprintln(stdout, addr)
	if cfg.SMTPAddr == "" {
		fmt.Fprintf(stderr, "note: %s is not set, so this server does not accept email uploads yet\n", app.EnvSMTPAddr)
	}
	return 0
}
