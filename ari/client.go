// Package ari is Switchyard's access to Asterisk over ARI.
//
// It uses github.com/CyCoreSystems/ari/v6 for the ARI data model (channel,
// bridge, playback, recording, endpoint types) and its event decoder, but not
// for transport: the native ari/v6 client sends REST requests without a
// context or timeout through a default transport (two idle connections per
// host), blocks in ConnectWithContext until Asterisk answers, has a data race
// on its connected flag, and hands events to stdbus, which drops events once
// a subscription has 100 queued and scans every subscription per event. This
// package instead owns
//
//   - Client: REST with a context on every request and a pooled transport;
//   - Stream: the events websocket, with reconnect and backoff;
//   - Router: one dispatcher that routes every event by channel, bridge,
//     playback or recording ID into per-call Mailboxes that never drop;
//   - Manager: one goroutine per call, records in the store, and
//     reconciliation with the live channel list after a reconnect.
package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Options configure a Client.
type Options struct {
	URL      string // base ARI URL, e.g. http://127.0.0.1:8088/ari
	User     string
	Password string
	App      string // Stasis application name

	// RequestTimeout bounds each REST request (default 10s). A context
	// deadline that is sooner wins.
	RequestTimeout time.Duration
	// MaxConns bounds concurrent HTTP connections to Asterisk (default 64).
	// Asterisk's http.conf sessionlimit (default 100) counts these plus the
	// events websocket, so keep it below that. Originates (and the settling
	// of originates in doubt) hold at most three quarters of them, so a
	// burst of originates never makes a call's next command wait for a
	// connection (see originateSlots).
	MaxConns int
	// DisallowEvents are event types Asterisk is asked not to send to the
	// application (ARI event filter). Nil means DefaultDisallowedEvents;
	// an empty non-nil slice sends everything.
	DisallowEvents []string
	// OnRequest, if set, is called when a REST request is issued (handed
	// to the transport, written=false) and when it has been written to
	// Asterisk (after any wait for a pooled connection, written=true).
	// Benchmarks time "event received → next command issued" with it.
	OnRequest func(method, path string, written bool, at time.Time)
	Logger    *slog.Logger
}

// DefaultDisallowedEvents are events Switchyard does not use: dialplan
// steps, variable changes, caller ID and connected line updates of every
// channel in the application. Each one Asterisk sends is a frame the
// daemon reads and decodes and a write on Asterisk's side; a dialed Local
// call still brings twelve frames with the last two filtered, fourteen
// without.
var DefaultDisallowedEvents = []string{"ChannelDialplan", "ChannelVarset", "ChannelCallerId", "ChannelConnectedLine"}

// Client is a context-aware ARI REST client.
type Client struct {
	base    string
	user    string
	pass    string
	app     string
	timeout time.Duration
	hc      *http.Client
	// originating: a slot per originate request in flight (originates
	// and the settling of originates in doubt), fewer than the pool's
	// connections.
	originating chan struct{}
	log         *slog.Logger
	disallow    []string
	onReq       func(method, path string, written bool, at time.Time)
	// subs: the event sources subscribed to other than single channels
	// (those end with their channel), removed when the manager stops.
	subs *subscriptions
}

type subscriptions struct {
	mu      sync.Mutex
	sources map[string]bool
}

// Error is a non-2xx answer from ARI.
type Error struct {
	Status  int
	Method  string
	Path    string
	Message string
}

func (e *Error) Error() string {
	if e.Message != "" {
		return fmt.Sprintf("ari %s %s: %d %s: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Message)
	}
	return fmt.Sprintf("ari %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
}

// Sentinel errors callers test with errors.Is.
var (
	ErrNotFound     = errors.New("ari: not found")
	ErrUnauthorized = errors.New("ari: credentials rejected")
	ErrConflict     = errors.New("ari: conflict (channel not in a state for this operation)")
)

// Is maps ARI HTTP statuses onto the sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrConflict:
		return e.Status == http.StatusConflict || e.Status == http.StatusPreconditionFailed
	}
	return false
}

// NewClient validates the options and returns a Client. It does not contact
// Asterisk.
func NewClient(o Options) (*Client, error) {
	u, err := url.Parse(o.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ari: invalid URL %q: want http(s)://host:port/ari", o.URL)
	}
	if o.App == "" {
		return nil, errors.New("ari: application name is empty")
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 10 * time.Second
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 64
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	disallow := o.DisallowEvents
	if disallow == nil {
		disallow = DefaultDisallowedEvents
	}
	tr := &http.Transport{
		Proxy:               nil, // ARI is never reached through an HTTP proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.MaxConns,
		MaxIdleConnsPerHost: o.MaxConns,
		MaxConnsPerHost:     o.MaxConns,
		IdleConnTimeout:     10 * time.Second, // below Asterisk's session_keep_alive (15 s)
	}
	return &Client{
		base:        strings.TrimRight(u.String(), "/"),
		user:        o.User,
		pass:        o.Password,
		app:         o.App,
		timeout:     o.RequestTimeout,
		hc:          &http.Client{Transport: tr},
		originating: make(chan struct{}, originateSlots(o.MaxConns)),
		log:         o.Logger,
		disallow:    disallow,
		onReq:       o.OnRequest,
		subs:        &subscriptions{sources: map[string]bool{}},
	}, nil
}

// An originate holds its connection until Asterisk has created the
// channel, which under a burst of originates (a campaign's pacer, a flow
// benchmark) takes long enough for every pooled connection to be held by
// one. Requests wait for a connection in one queue, first come first
// served, so a call's command (answer, play, hangup) issued then would
// wait behind every originate queued before it. Originates therefore wait
// for a slot first, and there are fewer slots than connections: the rest
// always cycle among the calls' commands, which take a connection for a
// moment each. The settling of originates in doubt (placement.go) asks
// Asterisk under the same slots: after a reconnect there may be many such
// questions at once, and they must not hold up the calls that are up.

// originateSlots is how many originate requests may be in flight at once
// out of maxConns connections: three quarters, at least one (with a
// single connection, originates and commands share it).
func originateSlots(maxConns int) int {
	return max(maxConns-max(maxConns/4, 1), 1)
}

type originateLaneKey struct{}

// onOriginateLane marks ctx so that the client's requests made with it
// wait for an originate slot.
func onOriginateLane(ctx context.Context) context.Context {
	return context.WithValue(ctx, originateLaneKey{}, true)
}

// App is the Stasis application name.
func (c *Client) App() string { return c.app }

// OriginatesInFlight is how many originate slots are held now, and of
// how many (benchmarks sample it: are originates waiting for a slot?).
func (c *Client) OriginatesInFlight() (held, slots int) {
	return len(c.originating), cap(c.originating)
}

// URL is the base ARI URL.
func (c *Client) URL() string { return c.base }

// do performs one REST request. body, when not nil, is sent as JSON; out,
// when not nil, receives the decoded JSON answer.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("ari %s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(b)
	}
	// wrote: the whole request went out on the connection. A request
	// that failed before that never reached Asterisk (errNotSent).
	var wrote atomic.Bool
	if c.onReq != nil {
		c.onReq(method, path, false, time.Now())
	}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
			if c.onReq != nil {
				c.onReq(method, path, true, time.Now())
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("ari %s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.SetBasicAuth(c.user, c.pass)
	if ctx.Value(originateLaneKey{}) != nil {
		select {
		case c.originating <- struct{}{}:
			defer func() { <-c.originating }()
		case <-ctx.Done():
			return fmt.Errorf("ari %s %s: %w: waiting for an originate slot: %w", method, path, errNotSent, context.Cause(ctx))
		}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if !wrote.Load() {
			return fmt.Errorf("ari %s %s: %w: %w", method, path, errNotSent, err)
		}
		return fmt.Errorf("ari %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		var m struct {
			Message string `json:"message"`
		}
		text := strings.TrimSpace(string(msg))
		if json.Unmarshal(msg, &m) == nil && m.Message != "" {
			text = m.Message
		}
		return &Error{Status: resp.StatusCode, Method: method, Path: path, Message: text}
	}
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("ari %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// esc escapes one path segment. url.PathEscape leaves '+' alone, which
// Asterisk's HTTP server decodes as a space: recording names carry E.164
// numbers ("record_queue_49_…_+9122…"), so '+' is escaped too.
func esc(s string) string { return strings.ReplaceAll(url.PathEscape(s), "+", "%2B") }

// Info returns Asterisk's build and system information.
func (c *Client) Info(ctx context.Context) (ariv6.AsteriskInfo, error) {
	var info ariv6.AsteriskInfo
	err := c.do(ctx, http.MethodGet, "/asterisk/info", nil, nil, &info)
	return info, err
}

// Status returns Asterisk's startup and last reload times.
func (c *Client) Status(ctx context.Context) (ariv6.StatusInfo, error) {
	var info ariv6.AsteriskInfo
	err := c.do(ctx, http.MethodGet, "/asterisk/info", url.Values{"only": {"status"}}, nil, &info)
	return info.StatusInfo, err
}

// OriginateRequest is what Originate sends. ChannelID should be
// pre-assigned so the caller can route the channel's events before it exists.
type OriginateRequest = ariv6.OriginateRequest

// Originate creates a channel. When req.App is empty the client's own
// application is used unless a dialplan location (Context) is given.
func (c *Client) Originate(ctx context.Context, req OriginateRequest) (ariv6.ChannelData, error) {
	var ch ariv6.ChannelData
	err := c.originate(ctx, req, &ch)
	return ch, err
}

// originate is Originate with the answer decoded into out only if it is
// not nil (the call path has pre-assigned the ID and needs nothing else).
func (c *Client) originate(ctx context.Context, req OriginateRequest, out *ariv6.ChannelData) error {
	if req.App == "" && req.Context == "" {
		req.App = c.app
	}
	ctx = onOriginateLane(ctx)
	if out == nil {
		return c.do(ctx, http.MethodPost, "/channels", nil, req, nil)
	}
	return c.do(ctx, http.MethodPost, "/channels", nil, req, out)
}

// CreateChannel creates a channel in the application without dialing it
// (POST /channels/create); Dial then places the call.
func (c *Client) CreateChannel(ctx context.Context, req OriginateRequest) (ariv6.ChannelData, error) {
	body := map[string]any{"endpoint": req.Endpoint, "app": c.app, "appArgs": req.AppArgs,
		"channelId": req.ChannelID, "otherChannelId": req.OtherChannelID, "originator": req.Originator,
		"formats": req.Formats, "variables": req.Variables}
	if req.App != "" {
		body["app"] = req.App
	}
	var ch ariv6.ChannelData
	err := c.do(ctx, http.MethodPost, "/channels/create", nil, body, &ch)
	return ch, err
}

// Dial dials a channel created with CreateChannel.
func (c *Client) Dial(ctx context.Context, channelID, caller string, timeout time.Duration) error {
	q := url.Values{}
	if caller != "" {
		q.Set("caller", caller)
	}
	if timeout > 0 {
		q.Set("timeout", strconv.Itoa(int(timeout.Seconds())))
	}
	return c.do(ctx, http.MethodPost, "/channels/"+esc(channelID)+"/dial", q, nil, nil)
}

// Channel returns one channel's current data.
func (c *Client) Channel(ctx context.Context, id string) (ariv6.ChannelData, error) {
	var ch ariv6.ChannelData
	err := c.do(ctx, http.MethodGet, "/channels/"+esc(id), nil, nil, &ch)
	return ch, err
}

// Channels lists every live channel on the Asterisk box.
func (c *Client) Channels(ctx context.Context) ([]ariv6.ChannelData, error) {
	var chs []ariv6.ChannelData
	err := c.do(ctx, http.MethodGet, "/channels", nil, nil, &chs)
	return chs, err
}

// Answer answers a channel.
func (c *Client) Answer(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/channels/"+esc(id)+"/answer", nil, nil, nil)
}

// Ring indicates ringing to a channel.
func (c *Client) Ring(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodPost, "/channels/"+esc(id)+"/ring", nil, nil, nil)
}

// Hangup hangs a channel up. reason is one of ARI's reasons (normal, busy,
// congestion, no_answer, timeout, rejected, unallocated, answered_elsewhere,
// …) or empty for normal; a numeric reason is sent as a Q.850 cause code.
func (c *Client) Hangup(ctx context.Context, id, reason string) error {
	q := url.Values{}
	if reason != "" {
		if _, err := strconv.Atoi(reason); err == nil {
			q.Set("reason_code", reason)
		} else {
			q.Set("reason", reason)
		}
	}
	return c.do(ctx, http.MethodDelete, "/channels/"+esc(id), q, nil, nil)
}

// Continue sends a channel back to the dialplan.
func (c *Client) Continue(ctx context.Context, id, context_, exten string, priority int) error {
	q := url.Values{}
	if context_ != "" {
		q.Set("context", context_)
	}
	if exten != "" {
		q.Set("extension", exten)
	}
	if priority > 0 {
		q.Set("priority", strconv.Itoa(priority))
	}
	return c.do(ctx, http.MethodPost, "/channels/"+esc(id)+"/continue", q, nil, nil)
}

// Play starts a playback with a pre-assigned ID on a channel. media are
// ARI media URIs (sound:, recording:, number:, digits:, tone:).
func (c *Client) Play(ctx context.Context, channelID, playbackID string, media ...string) (ariv6.PlaybackData, error) {
	list, err := mediaList(media)
	if err != nil {
		return ariv6.PlaybackData{}, err
	}
	q := url.Values{"media": {list}}
	var pb ariv6.PlaybackData
	err = c.do(ctx, http.MethodPost, "/channels/"+esc(channelID)+"/play/"+esc(playbackID), q, nil, &pb)
	return pb, err
}

// mediaList is the media parameter of a playback: Asterisk takes the
// list comma-separated in one parameter (of repeated media= parameters
// it plays only the last), so a media URI cannot hold a comma.
func mediaList(media []string) (string, error) {
	for _, m := range media {
		if strings.Contains(m, ",") {
			return "", fmt.Errorf("ari: media %q has a comma, which Asterisk reads as a list separator", m)
		}
	}
	return strings.Join(media, ","), nil
}

// PlayOnBridge starts a playback with a pre-assigned ID on a bridge.
func (c *Client) PlayOnBridge(ctx context.Context, bridgeID, playbackID string, media ...string) (ariv6.PlaybackData, error) {
	list, err := mediaList(media)
	if err != nil {
		return ariv6.PlaybackData{}, err
	}
	q := url.Values{"media": {list}}
	var pb ariv6.PlaybackData
	err = c.do(ctx, http.MethodPost, "/bridges/"+esc(bridgeID)+"/play/"+esc(playbackID), q, nil, &pb)
	return pb, err
}

// Playback returns a playback's state; ErrNotFound once it has finished.
func (c *Client) Playback(ctx context.Context, id string) (ariv6.PlaybackData, error) {
	var pb ariv6.PlaybackData
	err := c.do(ctx, http.MethodGet, "/playbacks/"+esc(id), nil, nil, &pb)
	return pb, err
}

// StopPlayback stops a playback.
func (c *Client) StopPlayback(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/playbacks/"+esc(id), nil, nil, nil)
}

// RecordRequest describes a live recording.
type RecordRequest struct {
	Name        string        // file name without extension; unique
	Format      string        // gsm, wav, ulaw, …
	MaxDuration time.Duration // 0 = no limit
	MaxSilence  time.Duration // 0 = no limit
	IfExists    string        // fail (default), overwrite, append
	Beep        bool
	TerminateOn string // none (default), any, *, #
}

// Record starts recording a channel (or a bridge when bridge is true).
func (c *Client) record(ctx context.Context, kind, id string, r RecordRequest) (ariv6.LiveRecordingData, error) {
	q := url.Values{"name": {r.Name}, "format": {r.Format}}
	if r.MaxDuration > 0 {
		q.Set("maxDurationSeconds", strconv.Itoa(int((r.MaxDuration+time.Second-1)/time.Second)))
	}
	if r.MaxSilence > 0 {
		q.Set("maxSilenceSeconds", strconv.Itoa(int((r.MaxSilence+time.Second-1)/time.Second)))
	}
	if r.IfExists != "" {
		q.Set("ifExists", r.IfExists)
	}
	if r.Beep {
		q.Set("beep", "true")
	}
	if r.TerminateOn != "" {
		q.Set("terminateOn", r.TerminateOn)
	}
	var rec ariv6.LiveRecordingData
	err := c.do(ctx, http.MethodPost, "/"+kind+"/"+esc(id)+"/record", q, nil, &rec)
	return rec, err
}

// Record starts recording a channel.
func (c *Client) Record(ctx context.Context, channelID string, r RecordRequest) (ariv6.LiveRecordingData, error) {
	return c.record(ctx, "channels", channelID, r)
}

// RecordBridge starts recording a bridge.
func (c *Client) RecordBridge(ctx context.Context, bridgeID string, r RecordRequest) (ariv6.LiveRecordingData, error) {
	return c.record(ctx, "bridges", bridgeID, r)
}

// LiveRecording returns a live recording; ErrNotFound once it has ended.
func (c *Client) LiveRecording(ctx context.Context, name string) (ariv6.LiveRecordingData, error) {
	var rec ariv6.LiveRecordingData
	err := c.do(ctx, http.MethodGet, "/recordings/live/"+esc(name), nil, nil, &rec)
	return rec, err
}

// StopRecording stops a live recording and stores it.
func (c *Client) StopRecording(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "/recordings/live/"+esc(name)+"/stop", nil, nil, nil)
}

// StoredRecordings lists stored recordings.
func (c *Client) StoredRecordings(ctx context.Context) ([]ariv6.StoredRecordingData, error) {
	var recs []ariv6.StoredRecordingData
	err := c.do(ctx, http.MethodGet, "/recordings/stored", nil, nil, &recs)
	return recs, err
}

// StoredRecordingFile streams a stored recording's audio. The caller closes
// the body.
func (c *Client) StoredRecordingFile(ctx context.Context, name string) (io.ReadCloser, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/recordings/stored/"+esc(name)+"/file", nil)
	if err != nil {
		return nil, "", err
	}
	req.SetBasicAuth(c.user, c.pass)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("ari GET recording %s: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", &Error{Status: resp.StatusCode, Method: http.MethodGet, Path: "/recordings/stored/" + name + "/file"}
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// DeleteStoredRecording deletes a stored recording.
func (c *Client) DeleteStoredRecording(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodDelete, "/recordings/stored/"+esc(name), nil, nil, nil)
}

// SetVar sets a channel variable (or dialplan function, e.g. CALLERID(num)).
func (c *Client) SetVar(ctx context.Context, channelID, name, value string) error {
	q := url.Values{"variable": {name}, "value": {value}}
	return c.do(ctx, http.MethodPost, "/channels/"+esc(channelID)+"/variable", q, nil, nil)
}

// GetVar reads a channel variable or dialplan function.
func (c *Client) GetVar(ctx context.Context, channelID, name string) (string, error) {
	var v struct {
		Value string `json:"value"`
	}
	err := c.do(ctx, http.MethodGet, "/channels/"+esc(channelID)+"/variable", url.Values{"variable": {name}}, nil, &v)
	return v.Value, err
}

// GlobalVar reads an Asterisk global variable ("" when unset).
func (c *Client) GlobalVar(ctx context.Context, name string) (string, error) {
	var v struct {
		Value string `json:"value"`
	}
	err := c.do(ctx, http.MethodGet, "/asterisk/variable", url.Values{"variable": {name}}, nil, &v)
	return v.Value, err
}

// SetGlobalVar sets an Asterisk global variable (or writes a dialplan
// function such as GLOBAL()).
func (c *Client) SetGlobalVar(ctx context.Context, name, value string) error {
	return c.do(ctx, http.MethodPost, "/asterisk/variable", url.Values{"variable": {name}, "value": {value}}, nil, nil)
}

// UnsetGlobalVar removes a global variable (set without a value).
func (c *Client) UnsetGlobalVar(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "/asterisk/variable", url.Values{"variable": {name}}, nil, nil)
}

// SendDTMF sends digits to a channel.
func (c *Client) SendDTMF(ctx context.Context, channelID, digits string, between time.Duration) error {
	q := url.Values{"dtmf": {digits}}
	if between > 0 {
		q.Set("between", strconv.Itoa(int(between/time.Millisecond)))
	}
	return c.do(ctx, http.MethodPost, "/channels/"+esc(channelID)+"/dtmf", q, nil, nil)
}

// StartMOH starts music on hold on a channel.
func (c *Client) StartMOH(ctx context.Context, channelID, class string) error {
	q := url.Values{}
	if class != "" {
		q.Set("mohClass", class)
	}
	return c.do(ctx, http.MethodPost, "/channels/"+esc(channelID)+"/moh", q, nil, nil)
}

// StopMOH stops music on hold on a channel.
func (c *Client) StopMOH(ctx context.Context, channelID string) error {
	return c.do(ctx, http.MethodDelete, "/channels/"+esc(channelID)+"/moh", nil, nil, nil)
}

// CreateBridge creates a bridge with a pre-assigned ID. typ is a comma list
// of mixing, holding, dtmf_events, proxy_media, video_sfu.
func (c *Client) CreateBridge(ctx context.Context, id, typ, name string) (ariv6.BridgeData, error) {
	q := url.Values{"type": {typ}}
	if name != "" {
		q.Set("name", name)
	}
	var b ariv6.BridgeData
	err := c.do(ctx, http.MethodPost, "/bridges/"+esc(id), q, nil, &b)
	return b, err
}

// Bridge returns a bridge.
func (c *Client) Bridge(ctx context.Context, id string) (ariv6.BridgeData, error) {
	var b ariv6.BridgeData
	err := c.do(ctx, http.MethodGet, "/bridges/"+esc(id), nil, nil, &b)
	return b, err
}

// Bridges lists bridges.
func (c *Client) Bridges(ctx context.Context) ([]ariv6.BridgeData, error) {
	var bs []ariv6.BridgeData
	err := c.do(ctx, http.MethodGet, "/bridges", nil, nil, &bs)
	return bs, err
}

// AddToBridge adds channels to a bridge. role is optional (e.g.
// "participant", "announcer").
func (c *Client) AddToBridge(ctx context.Context, bridgeID, role string, channelIDs ...string) error {
	q := url.Values{"channel": {strings.Join(channelIDs, ",")}}
	if role != "" {
		q.Set("role", role)
	}
	return c.do(ctx, http.MethodPost, "/bridges/"+esc(bridgeID)+"/addChannel", q, nil, nil)
}

// RemoveFromBridge removes channels from a bridge.
func (c *Client) RemoveFromBridge(ctx context.Context, bridgeID string, channelIDs ...string) error {
	q := url.Values{"channel": {strings.Join(channelIDs, ",")}}
	return c.do(ctx, http.MethodPost, "/bridges/"+esc(bridgeID)+"/removeChannel", q, nil, nil)
}

// DestroyBridge destroys a bridge.
func (c *Client) DestroyBridge(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/bridges/"+esc(id), nil, nil, nil)
}

// StartBridgeMOH plays music on hold to a (holding or mixing) bridge.
func (c *Client) StartBridgeMOH(ctx context.Context, bridgeID, class string) error {
	q := url.Values{}
	if class != "" {
		q.Set("mohClass", class)
	}
	return c.do(ctx, http.MethodPost, "/bridges/"+esc(bridgeID)+"/moh", q, nil, nil)
}

// StopBridgeMOH stops music on hold on a bridge.
func (c *Client) StopBridgeMOH(ctx context.Context, bridgeID string) error {
	return c.do(ctx, http.MethodDelete, "/bridges/"+esc(bridgeID)+"/moh", nil, nil, nil)
}

// Endpoints lists endpoints, optionally of one technology (e.g. PJSIP).
func (c *Client) Endpoints(ctx context.Context, tech string) ([]ariv6.EndpointData, error) {
	p := "/endpoints"
	if tech != "" {
		p += "/" + esc(tech)
	}
	var eps []ariv6.EndpointData
	err := c.do(ctx, http.MethodGet, p, nil, nil, &eps)
	return eps, err
}

// Endpoint returns one endpoint's state (online, offline, unknown).
func (c *Client) Endpoint(ctx context.Context, tech, resource string) (ariv6.EndpointData, error) {
	var ep ariv6.EndpointData
	err := c.do(ctx, http.MethodGet, "/endpoints/"+esc(tech)+"/"+esc(resource), nil, nil, &ep)
	return ep, err
}

// DeviceState returns a device state (e.g. PJSIP/agent1 → NOT_INUSE).
func (c *Client) DeviceState(ctx context.Context, name string) (ariv6.DeviceStateData, error) {
	var ds ariv6.DeviceStateData
	err := c.do(ctx, http.MethodGet, "/deviceStates/"+esc(name), nil, nil, &ds)
	return ds, err
}

// SetDeviceState sets a Stasis-controlled device state (Stasis:<name>).
func (c *Client) SetDeviceState(ctx context.Context, name, state string) error {
	return c.do(ctx, http.MethodPut, "/deviceStates/"+esc(name), url.Values{"deviceState": {state}}, nil, nil)
}

// Subscribe subscribes the application to an event source, e.g.
// "endpoint:PJSIP" or "deviceState:PJSIP/agent1".
func (c *Client) Subscribe(ctx context.Context, source string) error {
	err := c.do(ctx, http.MethodPost, "/applications/"+esc(c.app)+"/subscription", url.Values{"eventSource": {source}}, nil, nil)
	if err == nil && !strings.HasPrefix(source, "channel:") {
		c.subs.mu.Lock()
		c.subs.sources[source] = true
		c.subs.mu.Unlock()
	}
	return err
}

// Applications lists the names of the Stasis applications Asterisk has
// registered.
func (c *Client) Applications(ctx context.Context) ([]string, error) {
	var apps []struct {
		Name string `json:"name"`
	}
	if err := c.do(ctx, http.MethodGet, "/applications", nil, nil, &apps); err != nil {
		return nil, err
	}
	names := make([]string, len(apps))
	for i, a := range apps {
		names[i] = a.Name
	}
	return names, nil
}

// unsubscribeAll removes the application's subscriptions to event sources
// other than single channels. Asterisk keeps an application that still
// has a subscription after its websocket closed: every stopped daemon (and
// every test run's application name) would otherwise stay registered,
// its forwards in place, for as long as Asterisk runs.
func (c *Client) unsubscribeAll(ctx context.Context) {
	c.subs.mu.Lock()
	sources := slices.Sorted(maps.Keys(c.subs.sources))
	clear(c.subs.sources)
	c.subs.mu.Unlock()
	for _, src := range sources {
		if err := c.do(ctx, http.MethodDelete, "/applications/"+esc(c.app)+"/subscription", url.Values{"eventSource": {src}}, nil, nil); err != nil {
			c.log.Debug("unsubscribe on stop", "source", src, "error", err)
		}
	}
}

// SetEventFilter asks Asterisk not to send the given event types to the
// application (PUT /applications/{app}/eventFilter).
func (c *Client) SetEventFilter(ctx context.Context, disallowed []string) error {
	type typ struct {
		Type string `json:"type"`
	}
	f := struct {
		Disallowed []typ `json:"disallowed"`
	}{}
	for _, t := range disallowed {
		f.Disallowed = append(f.Disallowed, typ{t})
	}
	return c.do(ctx, http.MethodPut, "/applications/"+esc(c.app)+"/eventFilter", nil, f, nil)
}
