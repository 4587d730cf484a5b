// Package kannel sends SMS through a Kannel gateway's sendsms HTTP
// interface (smsbox): the text, the recipient, the sender, and the
// delivery-report request (dlr-mask and the dlr-url Kannel calls back).
// Kannel talks to the SMSC (SMPP to a carrier, or the fake SMSC in tests).
package kannel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Delivery-report types Kannel reports (and the dlr-mask bits asking for
// them).
const (
	DLRDelivered  = 1  // delivered to the phone
	DLRFailed     = 2  // not delivered to the phone
	DLRBuffered   = 4  // queued at the SMSC
	DLRSMSCSubmit = 8  // accepted by the SMSC
	DLRSMSCReject = 16 // rejected by the SMSC
	// DLRAll asks for every report.
	DLRAll = DLRDelivered | DLRFailed | DLRBuffered | DLRSMSCSubmit | DLRSMSCReject
)

// Client posts to a Kannel sendsms interface.
type Client struct {
	// URL is the sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms.
	URL                string
	Username, Password string // a sendsms-user of the smsbox
	From               string // sender; "" uses the smsbox's global-sender
	HTTP               *http.Client
	// Timeout bounds one request (default 15 s).
	Timeout time.Duration
}

// defaultHTTP keeps connections to Kannel open for many concurrent sends
// (a notification to thousands), and never goes through an HTTP proxy
// from the environment.
var defaultHTTP = &http.Client{Transport: &http.Transport{
	MaxIdleConns: 128, MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
	DialContext: (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
}}

// Request is one SMS.
type Request struct {
	To      string // the recipient (E.164)
	Text    string // UTF-8
	DLRURL  string // where Kannel reports delivery (%d, %F, %A are substituted by Kannel)
	DLRMask int    // which reports (DLR* bits); 0 asks for none
}

// Refused is Kannel's answer refusing a message (a client error: bad
// number, authentication, …): sending it again would not help.
type Refused struct {
	Status int
	Body   string
}

func (e *Refused) Error() string {
	return fmt.Sprintf("kannel refused the message: HTTP %d %s", e.Status, e.Body)
}

// ErrUnreachable wraps a failure that happened before Kannel took the
// message (the connection was refused, or Kannel answered that it could
// not take it now): sending again cannot send it twice.
var ErrUnreachable = errors.New("kannel unreachable")

// Unreachable reports whether err means the message was certainly not
// taken (safe to retry).
func Unreachable(err error) bool { return errors.Is(err, ErrUnreachable) }

// Coding returns Kannel's coding for text: 0 (the GSM default alphabet,
// which Kannel converts to) for printable ASCII, 2 (UCS-2) for anything
// else.
func Coding(text string) int {
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 32 || c > 126 {
			if c != '\n' && c != '\r' {
				return 2
			}
		}
	}
	return 0
}

// Values is the sendsms query of r.
func (c *Client) Values(r Request) url.Values {
	v := url.Values{}
	v.Set("username", c.Username)
	v.Set("password", c.Password)
	if c.From != "" {
		v.Set("from", c.From)
	}
	v.Set("to", r.To)
	v.Set("text", r.Text)
	v.Set("charset", "UTF-8")
	v.Set("coding", strconv.Itoa(Coding(r.Text)))
	if r.DLRMask != 0 && r.DLRURL != "" {
		v.Set("dlr-mask", strconv.Itoa(r.DLRMask))
		v.Set("dlr-url", r.DLRURL)
	}
	return v
}

// Send hands one SMS to Kannel. nil means Kannel accepted it (queued for
// the SMSC); *Refused that it refused it; an error wrapping ErrUnreachable
// that it could not be reached or could not take it now; any other error
// leaves it unknown whether Kannel took it.
func (c *Client) Send(ctx context.Context, r Request) error {
	if c.URL == "" {
		return fmt.Errorf("kannel: no sendsms URL configured: %w", ErrUnreachable)
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	u := c.URL
	if strings.Contains(u, "?") {
		u += "&"
	} else {
		u += "?"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+c.Values(r).Encode(), nil)
	if err != nil {
		return fmt.Errorf("kannel: %w", err)
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("kannel: %w: %w", ErrUnreachable, redact(err, c.Password))
		}
		return fmt.Errorf("kannel: %w", redact(err, c.Password))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	text := strings.TrimSpace(string(body))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode >= 500:
		// "Sending failed": the smsbox could not pass it to the bearerbox.
		return fmt.Errorf("kannel: HTTP %d %s: %w", resp.StatusCode, text, ErrUnreachable)
	default:
		return &Refused{Status: resp.StatusCode, Body: text}
	}
}

// redact keeps the sendsms password (in the URL) out of an error.
func redact(err error, password string) error {
	if password == "" {
		return err
	}
	msg := err.Error()
	for _, p := range []string{url.QueryEscape(password), password} {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return errors.New(msg)
}
