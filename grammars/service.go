package grammars

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// Store keeps the accounts' grammars (*store.Store implements it).
type Store interface {
	CreateGrammar(ctx context.Context, g store.Grammar) (store.Grammar, error)
	ListGrammars(ctx context.Context, accountID int64) ([]store.Grammar, error)
	GetGrammar(ctx context.Context, accountID int64, name string) (store.Grammar, error)
	DeleteGrammar(ctx context.Context, accountID int64, name string) error
}

// Service lists, adds and removes an account's grammars and says values
// with them (the say widget of flows and the API's preview).
type Service struct {
	Store  Store
	Logger *slog.Logger

	calls callCache
}

// grammarCheckInterval is how long calls reuse an account's grammar read
// from the database before reading it again: another node's change is
// seen within it, this node's at once.
const grammarCheckInterval = time.Second

// maxCallEntries bounds the grammars a node keeps; past it they are all
// dropped and read again.
const maxCallEntries = 1024

type grammarKey struct {
	account int64
	name    string
}

// cached is a grammar (or the error of its lookup: unknown) read at at
// under gen.
type cached struct {
	g   *Grammar
	err error
	at  time.Time
	gen uint64
}

// callCache keeps the grammars calls say values with, so a campaign's
// calls do not each read the grammar from the database. gen counts this
// node's changes to grammars.
type callCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[grammarKey]cached
}

func (c *callCache) forget() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}

// grammar is the account's grammar for a call: from the cache when it is
// fresh, else read (and kept, with a not-found answer too).
func (s *Service) grammar(ctx context.Context, accountID int64, name string) (*Grammar, error) {
	k, now := grammarKey{accountID, name}, time.Now()
	s.calls.mu.Lock()
	e, ok := s.calls.m[k]
	gen := s.calls.gen
	s.calls.mu.Unlock()
	if ok && e.gen == gen && now.Sub(e.at) < grammarCheckInterval {
		return e.g, e.err
	}
	_, g, err := s.load(ctx, accountID, name)
	if err == nil || errors.Is(err, switchyard.ErrNotFound) {
		s.calls.mu.Lock()
		if s.calls.gen == gen {
			// Bounded: names built from variables could be many.
			if s.calls.m == nil || len(s.calls.m) >= maxCallEntries {
				s.calls.m = map[grammarKey]cached{}
			}
			s.calls.m[k] = cached{g: g, err: err, at: now, gen: gen}
		}
		s.calls.mu.Unlock()
	}
	return g, err
}

// Info is a grammar as listed and read: the sample grammar (Sample true,
// read-only) or one of the account's.
type Info struct {
	Name        string    `json:"name"`
	Title       string    `json:"title,omitempty"`
	Language    string    `json:"language"`
	Description string    `json:"description,omitempty"`
	Sample      bool      `json:"sample"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	// Document is the grammar document (only when one grammar is read).
	Document *Grammar `json:"document,omitempty"`
}

// ErrReadOnly: the sample grammar cannot be replaced or deleted.
var ErrReadOnly = switchyard.Sentinel(switchyard.CodeConflict, 409, "the sample grammar is read-only")

func sampleInfo(withDoc bool) Info {
	i := Info{Name: SampleName, Title: SampleTitle, Language: sample.Language, Description: sample.Description, Sample: true}
	if withDoc {
		i.Document = Sample()
	}
	return i
}

func info(g store.Grammar, doc *Grammar) Info {
	i := Info{Name: g.Name, Language: g.Language, CreatedBy: g.CreatedBy, CreatedAt: g.CreatedAt, Document: doc}
	if doc != nil {
		i.Description = doc.Description
	}
	return i
}

// List returns the sample grammar, then the account's grammars by name.
func (s *Service) List(ctx context.Context, accountID int64) ([]Info, error) {
	rows, err := s.Store.ListGrammars(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("grammars: list: %w", err)
	}
	out := []Info{sampleInfo(false)}
	for _, r := range rows {
		i := info(r, nil)
		var d struct {
			Description string `json:"description"`
		}
		if json.Unmarshal(r.Document, &d) == nil {
			i.Description = d.Description
		}
		out = append(out, i)
	}
	return out, nil
}

// Get returns a grammar with its document.
func (s *Service) Get(ctx context.Context, accountID int64, name string) (Info, error) {
	if name == SampleName {
		return sampleInfo(true), nil
	}
	if err := ValidName(name); err != nil {
		return Info{}, err
	}
	r, doc, err := s.load(ctx, accountID, name)
	if err != nil {
		return Info{}, err
	}
	return info(r, doc), nil
}

// Create checks a grammar document and stores it under name for the
// account; by names who adds it (kept with the grammar).
func (s *Service) Create(ctx context.Context, accountID int64, name string, document []byte, by string) (Info, error) {
	if err := ValidName(name); err != nil {
		return Info{}, err
	}
	if strings.EqualFold(name, SampleName) {
		return Info{}, ErrReadOnly.New("name", "%q is the sample grammar's name; choose another", name)
	}
	g, err := Parse(document)
	if err != nil {
		return Info{}, err
	}
	// Stored as re-encoded (canonical, no unknown fields).
	canon, err := json.Marshal(g)
	if err != nil {
		return Info{}, fmt.Errorf("grammars: encode %q: %w", name, err)
	}
	r, err := s.Store.CreateGrammar(ctx, store.Grammar{AccountID: accountID, Name: name, Language: g.Language, Document: canon, CreatedBy: by})
	if err != nil {
		return Info{}, fmt.Errorf("grammars: create %q: %w", name, err)
	}
	s.calls.forget()
	s.log().Info("grammar added", "account", accountID, "grammar", name, "language", g.Language, "by", by)
	return info(r, g), nil
}

// Delete removes one of the account's grammars (flows that name it then
// fail at their say widget with "unknown grammar").
func (s *Service) Delete(ctx context.Context, accountID int64, name string) error {
	if name == SampleName {
		return ErrReadOnly.New("name", "the sample grammar cannot be deleted")
	}
	if err := ValidName(name); err != nil {
		return err
	}
	if err := s.Store.DeleteGrammar(ctx, accountID, name); err != nil {
		return fmt.Errorf("grammars: delete %q: %w", name, err)
	}
	s.calls.forget()
	s.log().Info("grammar deleted", "account", accountID, "grammar", name)
	return nil
}

// Say returns the media items that say value as kind (number, digits,
// alphabet, date, time): with the named grammar ("" is the sample
// grammar) as sound:/prompt: segments, or, with tts, as one tts: item
// whose text a text-to-speech engine reads as that kind of value. An
// unknown grammar, a bad value or a missing segment is an error saying
// which (ErrInvalid, or ErrNotFound for the grammar).
func (s *Service) Say(ctx context.Context, accountID int64, grammar, kind, value string, tts bool) ([]string, error) {
	if tts {
		if grammar != "" {
			return nil, ErrInvalid.New("grammar", "say with a grammar or with text-to-speech, not both")
		}
		text, err := Text(kind, value)
		if err != nil {
			return nil, err
		}
		return []string{"tts:" + text}, nil
	}
	g := sample
	if grammar != "" && grammar != SampleName {
		if err := ValidName(grammar); err != nil {
			return nil, err
		}
		var err error
		if g, err = s.grammar(ctx, accountID, grammar); err != nil {
			return nil, err
		}
	}
	return g.Say(kind, value)
}

// load reads and parses one of the account's grammars.
func (s *Service) load(ctx context.Context, accountID int64, name string) (store.Grammar, *Grammar, error) {
	r, err := s.Store.GetGrammar(ctx, accountID, name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Grammar{}, nil, switchyard.NotFound("unknown grammar %q", name)
		}
		return store.Grammar{}, nil, fmt.Errorf("grammars: read %q: %w", name, err)
	}
	g, err := Parse(r.Document)
	if err != nil {
		return store.Grammar{}, nil, fmt.Errorf("grammars: stored grammar %q: %w", name, err)
	}
	return r, g, nil
}

func (s *Service) log() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}
