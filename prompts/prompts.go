// Package prompts is an account's prompt library: named recordings
// (letters, digits and underscores; unique per account) with tags,
// uploaded as mp3, wav or ogg, recorded in the browser or by phone,
// converted with sox to what Asterisk plays (8 kHz mono 16-bit WAV), and
// approved or rejected by the operator. Mails go out at upload and at the
// decision. Only approved prompts play in published flows: a flow naming
// an unknown or unapproved prompt cannot be published, and at run time
// prompt:<name> plays the approved prompt's audio, which Switchyard serves
// to Asterisk over HTTP (package media).
package prompts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/media"
	"github.com/switchyard/switchyard/store"
)

// Defaults of the caps.
const (
	DefaultMaxBytes    = 10 << 20
	DefaultMaxDuration = 10 * time.Minute
)

// Sources of a prompt's audio.
const (
	SourceUpload  = "upload"
	SourceBrowser = "browser"
	SourcePhone   = "phone"
)

// ErrNotApproved: a flow names a prompt that cannot play (unknown,
// pending or rejected).
var ErrNotApproved = switchyard.Sentinel(switchyard.CodeInvalid, 0, "the prompt is not approved")

// Store is the persistence the service uses (*store.Store).
type Store interface {
	CreatePrompt(ctx context.Context, p store.Prompt, audio []byte) (store.Prompt, error)
	ListPrompts(ctx context.Context, f store.PromptFilter) ([]store.Prompt, error)
	GetPrompt(ctx context.Context, accountID, id int64) (store.Prompt, error)
	GetPromptByName(ctx context.Context, accountID int64, name string) (store.Prompt, error)
	DecidePrompt(ctx context.Context, id int64, approve bool, by, reason string) (store.Prompt, error)
	DeletePrompt(ctx context.Context, accountID, id int64) error
	GetMedia(ctx context.Context, hash string) ([]byte, error)
	GetAccount(ctx context.Context, id int64) (store.Account, error)
	AccountOwnerEmails(ctx context.Context, accountID int64) ([]string, error)
	OperatorEmails(ctx context.Context) ([]string, error)
}

// MediaURIs gives the ARI media URI of audio kept by hash
// (*media.Service).
type MediaURIs interface {
	URI(hash string) string
}

// Mailer sends one message (emailreports.SMTPSender implements it).
type Mailer interface {
	Send(ctx context.Context, from string, rcpts []string, msg []byte) error
}

// Config configures the Service.
type Config struct {
	Store Store
	Media MediaURIs
	// MaxBytes caps an uploaded file (default 10 MB); MaxDuration caps a
	// prompt's length (default 10 minutes).
	MaxBytes    int64
	MaxDuration time.Duration
	// Sox is the sox binary (default "sox").
	Sox string
	// Mailer and From send the upload and decision mails (nil Mailer: no
	// mail, logged); PublicURL is the console's base URL in them.
	Mailer    Mailer
	From      string
	PublicURL string
	// Calls places the record-by-phone calls; Endpoint is the dial string
	// template ({number} becomes the E.164 number). Nil Calls: recording
	// by phone is off.
	Calls    Originator
	Endpoint string
	// Flows finds the live flows that play a prompt, so one in use is not
	// deleted (nil: no check).
	Flows  FlowUses
	Logger *slog.Logger
	Now    func() time.Time
}

// FlowUses finds the account's flows whose live (published) version plays
// a prompt, by the flows' names (the flow library implements it).
type FlowUses interface {
	FlowsPlaying(ctx context.Context, accountID int64, prompt string) ([]string, error)
}

// quoteList is `"a"`, `"a" and "b"`, `"a", "b" and "c"`.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(switchyard.Clip(n))
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// Service is the prompt library.
type Service struct {
	cfg   Config
	conv  Converter
	log   *slog.Logger
	mails sync.WaitGroup
	calls recordCalls
	plays playCache
}

// New returns the service.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Media == nil {
		return nil, errors.New("prompts: a store and the media service are required")
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxDuration <= 0 {
		cfg.MaxDuration = DefaultMaxDuration
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	return &Service{cfg: cfg, conv: Converter{Sox: cfg.Sox, MaxDuration: cfg.MaxDuration},
		log: cfg.Logger.With("component", "prompts"), calls: recordCalls{m: map[string]*RecordCall{}}}, nil
}

// MaxBytes is the cap of an uploaded file.
func (s *Service) MaxBytes() int64 { return s.cfg.MaxBytes }

// Close waits (bounded by ctx) for mails still being sent.
func (s *Service) Close(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.mails.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Actor is who acts on an account's prompts: By names them (an email or
// an API key) in the prompt's history; Email, when the actor is a user,
// also gets the prompt's mails.
type Actor struct {
	AccountID int64
	By        string
	Email     string
}

// NewPrompt is a prompt being added: its name, its tags and, for an
// upload, the file and its name.
type NewPrompt struct {
	Name     string
	Tags     []string
	FileName string
	Data     []byte
	// Source is upload (default) or browser (recorded in the console).
	Source string
}

// List lists the account's prompts by name, with the status ("" any) and
// the tag ("" any).
func (s *Service) List(ctx context.Context, accountID int64, status, tag string) ([]store.Prompt, error) {
	if err := checkStatus(status); err != nil {
		return nil, err
	}
	ps, err := s.cfg.Store.ListPrompts(ctx, store.PromptFilter{AccountID: accountID, Status: status})
	if err != nil {
		return nil, fmt.Errorf("prompts: list: %w", err)
	}
	if tag = strings.ToLower(strings.TrimSpace(tag)); tag != "" {
		ps = slices.DeleteFunc(ps, func(p store.Prompt) bool { return !slices.Contains(p.Tags, tag) })
	}
	return ps, nil
}

// Pending lists every account's prompts waiting for the operator's
// decision, oldest first (the operator's view; status "" lists all).
func (s *Service) Pending(ctx context.Context, status string) ([]store.Prompt, error) {
	if status == "" {
		status = store.PromptPending
	}
	if status == "all" {
		status = ""
	}
	if err := checkStatus(status); err != nil {
		return nil, err
	}
	ps, err := s.cfg.Store.ListPrompts(ctx, store.PromptFilter{Status: status})
	if err != nil {
		return nil, fmt.Errorf("prompts: operator's list: %w", err)
	}
	return ps, nil
}

func checkStatus(status string) error {
	switch status {
	case "", store.PromptPending, store.PromptApproved, store.PromptRejected:
		return nil
	}
	return ErrInvalid.New("status", "status %q is not pending, approved or rejected", switchyard.Clip(status))
}

// Get returns the account's prompt.
func (s *Service) Get(ctx context.Context, accountID, id int64) (store.Prompt, error) {
	p, err := s.cfg.Store.GetPrompt(ctx, accountID, id)
	if err != nil {
		return store.Prompt{}, fmt.Errorf("prompts: get %d: %w", id, err)
	}
	return p, nil
}

// Audio returns the prompt's audio (8 kHz mono 16-bit WAV) for the
// browser; accountID 0 is the operator, who hears any account's prompt
// before deciding.
func (s *Service) Audio(ctx context.Context, accountID, id int64) (store.Prompt, []byte, error) {
	p, err := s.cfg.Store.GetPrompt(ctx, accountID, id)
	if err != nil {
		return store.Prompt{}, nil, fmt.Errorf("prompts: audio of %d: %w", id, err)
	}
	data, err := s.cfg.Store.GetMedia(ctx, p.MediaHash)
	if err != nil {
		return store.Prompt{}, nil, fmt.Errorf("prompts: audio of %q: %w", p.Name, err)
	}
	return p, data, nil
}

// Create adds a prompt from an uploaded (or browser-recorded) file: the
// name and tags are checked, the file decoded and converted (mp3, wav or
// ogg, within the size and duration caps), and the prompt stored pending
// the operator's approval; the account and the operators are mailed.
// Any bad input is ErrInvalid (or ErrConflict for a name in use) and
// stores nothing.
func (s *Service) Create(ctx context.Context, actor Actor, in NewPrompt) (store.Prompt, error) {
	name, err := ParseName(in.Name)
	if err != nil {
		return store.Prompt{}, err
	}
	tags, err := ParseTags(in.Tags)
	if err != nil {
		return store.Prompt{}, err
	}
	source := in.Source
	switch source {
	case "":
		source = SourceUpload
	case SourceUpload, SourceBrowser:
	default:
		return store.Prompt{}, ErrInvalid.New("source", "source %q is not upload or browser", switchyard.Clip(source))
	}
	if len(in.Data) == 0 {
		return store.Prompt{}, ErrInvalid.New("file", "no audio file was sent")
	}
	if int64(len(in.Data)) > s.cfg.MaxBytes {
		return store.Prompt{}, ErrInvalid.New("file", "the file is %d bytes; a prompt file is at most %d MB", len(in.Data), s.cfg.MaxBytes>>20)
	}
	if _, err := s.cfg.Store.GetPromptByName(ctx, actor.AccountID, name); err == nil {
		return store.Prompt{}, store.ErrConflict.New("name", "a prompt named %q already exists in the account", name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Prompt{}, fmt.Errorf("prompts: create %q: %w", name, err)
	}
	wav, d, err := s.conv.Convert(ctx, in.Data)
	if err != nil {
		return store.Prompt{}, err
	}
	return s.store(ctx, actor, store.Prompt{Name: name, Tags: tags, Source: source, FileName: clipName(in.FileName)}, wav, d)
}

func clipName(n string) string {
	n = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, n)
	for len(n) > 255 {
		_, size := lastRune(n)
		n = n[:len(n)-size]
	}
	return n
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// store keeps a converted prompt and sends the upload mails.
func (s *Service) store(ctx context.Context, actor Actor, p store.Prompt, wav []byte, d time.Duration) (store.Prompt, error) {
	p.AccountID, p.CreatedBy = actor.AccountID, actor.By
	p.MediaHash, p.DurationMS = media.Hash(wav), d.Milliseconds()
	out, err := s.cfg.Store.CreatePrompt(ctx, p, wav)
	if err != nil {
		return store.Prompt{}, fmt.Errorf("prompts: create %q: %w", p.Name, err)
	}
	s.plays.forget()
	s.log.InfoContext(ctx, "prompt submitted for approval", "account_id", out.AccountID, "prompt_id", out.ID, "name", out.Name,
		"source", out.Source, "duration_ms", out.DurationMS)
	s.mailUploaded(ctx, actor, out)
	return out, nil
}

// Decide records the operator's decision on a pending prompt (a reason
// is required to reject) and mails the account.
func (s *Service) Decide(ctx context.Context, operator string, id int64, approve bool, reason string) (store.Prompt, error) {
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return store.Prompt{}, ErrInvalid.New("reason", "say why the prompt is rejected (the account sees the reason)")
	}
	if len(reason) > 1024 {
		return store.Prompt{}, ErrInvalid.New("reason", "the reason is longer than 1024 bytes")
	}
	p, err := s.cfg.Store.DecidePrompt(ctx, id, approve, operator, reason)
	if err != nil {
		return store.Prompt{}, fmt.Errorf("prompts: decide %d: %w", id, err)
	}
	s.plays.forget()
	s.log.InfoContext(ctx, "prompt decided", "account_id", p.AccountID, "prompt_id", p.ID, "name", p.Name, "status", p.Status, "by", operator)
	s.mailDecided(ctx, p)
	return p, nil
}

// Delete removes the account's prompt. A prompt that a live flow plays
// (its published version names prompt:<name>) is not deleted: that flow
// would fail at that step on every call. ErrConflict names the flows;
// publish them without the prompt first.
func (s *Service) Delete(ctx context.Context, accountID, id int64) error {
	if s.cfg.Flows != nil {
		p, err := s.cfg.Store.GetPrompt(ctx, accountID, id)
		if err != nil {
			return fmt.Errorf("prompts: delete %d: %w", id, err)
		}
		using, err := s.cfg.Flows.FlowsPlaying(ctx, accountID, p.Name)
		if err != nil {
			return fmt.Errorf("prompts: delete %q: flows playing it: %w", p.Name, err)
		}
		if len(using) > 0 {
			what := "the published flow " + quoteList(using) + "; publish it"
			if len(using) > 1 {
				what = "the published flows " + quoteList(using) + "; publish them"
			}
			return store.ErrConflict.New("", "prompt %q plays in %s without the prompt before deleting it", p.Name, what)
		}
	}
	if err := s.cfg.Store.DeletePrompt(ctx, accountID, id); err != nil {
		return fmt.Errorf("prompts: delete %d: %w", id, err)
	}
	s.plays.forget()
	return nil
}

// promptCheckInterval is how long a call reuses the resolution of
// prompt:<name> (its media URI, or why it cannot play) before the database
// is asked again: another node's decision or deletion is seen within it;
// this node's uploads, decisions and deletions at once.
const promptCheckInterval = time.Second

// maxPlayEntries bounds the resolutions a node keeps; past it they are
// all dropped and read again.
const maxPlayEntries = 4096

// playKey names a prompt of an account.
type playKey struct {
	account int64
	name    string
}

// played is a cached resolution: the URI or the ErrNotApproved error,
// looked up at at under gen.
type played struct {
	uri string
	err error
	at  time.Time
	gen uint64
}

// playCache keeps the resolutions calls use, so a campaign's calls do not
// each read the prompt from the database. gen counts this node's changes
// to prompts: an entry from an older gen is not served or kept.
type playCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[playKey]played
}

// forget drops every resolution (this node changed a prompt).
func (c *playCache) forget() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}

// PromptURI is the media URI a flow plays for prompt:<name>: the account's
// approved prompt of that name, served by Switchyard. An unknown or
// unapproved prompt is ErrNotApproved with the reason. A call reuses an
// answer up to promptCheckInterval old.
func (s *Service) PromptURI(ctx context.Context, accountID int64, name string) (string, error) {
	k, now := playKey{accountID, name}, s.cfg.Now()
	s.plays.mu.Lock()
	e, ok := s.plays.m[k]
	gen := s.plays.gen
	s.plays.mu.Unlock()
	if ok && e.gen == gen && now.Sub(e.at) >= 0 && now.Sub(e.at) < promptCheckInterval {
		return e.uri, e.err
	}
	uri, err := s.lookup(ctx, accountID, name)
	if err == nil || errors.Is(err, ErrNotApproved) {
		s.plays.mu.Lock()
		if s.plays.gen == gen {
			// Bounded: names built from variables could be many.
			if s.plays.m == nil || len(s.plays.m) >= maxPlayEntries {
				s.plays.m = map[playKey]played{}
			}
			s.plays.m[k] = played{uri: uri, err: err, at: now, gen: gen}
		}
		s.plays.mu.Unlock()
	}
	return uri, err
}

// lookup resolves prompt:<name> from the database.
func (s *Service) lookup(ctx context.Context, accountID int64, name string) (string, error) {
	p, err := s.cfg.Store.GetPromptByName(ctx, accountID, name)
	if errors.Is(err, store.ErrNotFound) {
		return "", ErrNotApproved.New("", "there is no prompt named %q in the account", switchyard.Clip(name))
	}
	if err != nil {
		return "", fmt.Errorf("prompts: %q: %w", name, err)
	}
	if p.Status != store.PromptApproved {
		return "", ErrNotApproved.New("", "prompt %q is %s; only approved prompts play in flows", p.Name, p.Status)
	}
	return s.cfg.Media.URI(p.MediaHash), nil
}

// UnplayablePrompts says, for each of names that cannot play in a
// published flow of the account (unknown, pending or rejected), why; an
// empty map when all are approved.
func (s *Service) UnplayablePrompts(ctx context.Context, accountID int64, names []string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		if _, done := out[n]; done {
			continue
		}
		// Publishing reads the library as it is now, not a call's cache.
		_, err := s.lookup(ctx, accountID, n)
		var ce *switchyard.Error
		switch {
		case err == nil:
		case errors.Is(err, ErrNotApproved) && errors.As(err, &ce):
			out[n] = ce.Message
		default:
			return nil, err
		}
	}
	return out, nil
}
