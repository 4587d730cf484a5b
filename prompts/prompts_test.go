package prompts

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/store"
)

// fakeStore is a function-field fake of Store; unset functions fail the
// test if called.
type fakeStore struct {
	t        *testing.T
	create   func(p store.Prompt, audio []byte) (store.Prompt, error)
	byName   func(accountID int64, name string) (store.Prompt, error)
	decide   func(id int64, approve bool, by, reason string) (store.Prompt, error)
	owners   func(accountID int64) ([]string, error)
	ops      func() ([]string, error)
	accounts func(id int64) (store.Account, error)
	get      func(accountID, id int64) (store.Prompt, error)
	del      func(accountID, id int64) error
}

func (f fakeStore) CreatePrompt(_ context.Context, p store.Prompt, audio []byte) (store.Prompt, error) {
	return f.create(p, audio)
}
func (f fakeStore) ListPrompts(context.Context, store.PromptFilter) ([]store.Prompt, error) {
	f.t.Fatal("ListPrompts")
	return nil, nil
}
func (f fakeStore) GetPrompt(_ context.Context, a, id int64) (store.Prompt, error) {
	if f.get == nil {
		f.t.Fatal("GetPrompt")
	}
	return f.get(a, id)
}
func (f fakeStore) GetPromptByName(_ context.Context, a int64, n string) (store.Prompt, error) {
	return f.byName(a, n)
}
func (f fakeStore) DecidePrompt(_ context.Context, id int64, approve bool, by, reason string) (store.Prompt, error) {
	return f.decide(id, approve, by, reason)
}
func (f fakeStore) DeletePrompt(_ context.Context, a, id int64) error {
	if f.del == nil {
		f.t.Fatal("DeletePrompt")
	}
	return f.del(a, id)
}
func (f fakeStore) GetMedia(context.Context, string) ([]byte, error) {
	f.t.Fatal("GetMedia")
	return nil, nil
}
func (f fakeStore) GetAccount(_ context.Context, id int64) (store.Account, error) {
	return f.accounts(id)
}
func (f fakeStore) AccountOwnerEmails(_ context.Context, id int64) ([]string, error) {
	return f.owners(id)
}
func (f fakeStore) OperatorEmails(context.Context) ([]string, error) { return f.ops() }

type uris struct{}

func (uris) URI(hash string) string { return "sound:http://sy/media/s/" + hash + ".wav" }

// mailbox is a Mailer collecting mails.
type mailbox struct {
	mu   sync.Mutex
	sent map[string]string // recipient → message
}

func (m *mailbox) Send(_ context.Context, _ string, rcpts []string, msg []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rcpts {
		m.sent[r] += string(msg)
	}
	return nil
}

// TestPromptURIAndPublishCheck: only the account's approved prompt
// resolves to its media URI; the publish check names each unplayable
// prompt once with the reason.
func TestPromptURIAndPublishCheck(t *testing.T) {
	st := fakeStore{t: t, byName: func(acct int64, name string) (store.Prompt, error) {
		switch {
		case acct == 7 && name == "ok":
			return store.Prompt{Name: name, Status: store.PromptApproved, MediaHash: "abc"}, nil
		case acct == 7 && name == "wait":
			return store.Prompt{Name: name, Status: store.PromptPending}, nil
		case acct == 7 && name == "no":
			return store.Prompt{Name: name, Status: store.PromptRejected}, nil
		}
		return store.Prompt{}, store.ErrNotFound.New("", "prompt %q not found", name)
	}}
	s, err := New(Config{Store: st, Media: uris{}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if uri, err := s.PromptURI(ctx, 7, "ok"); err != nil || uri != "sound:http://sy/media/s/abc.wav" {
		t.Errorf("approved: %q %v", uri, err)
	}
	for _, c := range []struct {
		acct int64
		name string
		want string
	}{{7, "wait", "is pending"}, {7, "no", "is rejected"}, {7, "gone", "no prompt named"}, {8, "ok", "no prompt named"}} {
		if _, err := s.PromptURI(ctx, c.acct, c.name); !errors.Is(err, ErrNotApproved) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d %s: %v; want %q", c.acct, c.name, err, c.want)
		}
	}
	why, err := s.UnplayablePrompts(ctx, 7, []string{"ok", "wait", "gone", "wait"})
	if err != nil || len(why) != 2 || !strings.Contains(why["wait"], "pending") || !strings.Contains(why["gone"], "no prompt") {
		t.Errorf("unplayable: %v %v", why, err)
	}
}

// TestCreateAndDecideMails: a bad name or a name in use is refused before
// any conversion; an upload mails the uploader and the owner once each
// and the operators; a rejection needs a reason and mails it.
func TestCreateAndDecideMails(t *testing.T) {
	mb := &mailbox{sent: map[string]string{}}
	var created store.Prompt
	st := fakeStore{t: t,
		byName: func(acct int64, name string) (store.Prompt, error) {
			if name == "taken" {
				return store.Prompt{Name: name}, nil
			}
			return store.Prompt{}, store.ErrNotFound
		},
		create: func(p store.Prompt, audio []byte) (store.Prompt, error) {
			p.ID, p.Status = 3, store.PromptPending
			created = p
			return p, nil
		},
		decide: func(id int64, approve bool, by, reason string) (store.Prompt, error) {
			return store.Prompt{ID: id, AccountID: 7, Name: "hello", Status: store.PromptRejected, Reason: reason, CreatedBy: "ann@acme.test"}, nil
		},
		owners:   func(int64) ([]string, error) { return []string{"Boss@acme.test"}, nil },
		ops:      func() ([]string, error) { return []string{"ops@sy.test"}, nil },
		accounts: func(id int64) (store.Account, error) { return store.Account{ID: id, Name: "acme"}, nil },
	}
	s, err := New(Config{Store: st, Media: uris{}, Mailer: mb, PublicURL: "http://console/"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	actor := Actor{AccountID: 7, By: "boss@acme.test", Email: "boss@acme.test"}
	if _, err := s.Create(ctx, actor, NewPrompt{Name: "taken", Data: []byte("not even audio")}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("name in use: %v", err)
	}
	if _, err := s.Create(ctx, actor, NewPrompt{Name: "a b", Data: []byte("x")}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := s.Create(ctx, actor, NewPrompt{Name: "hello", Source: "fax", Data: []byte("x")}); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad source: %v", err)
	}
	p, err := s.Create(ctx, actor, NewPrompt{Name: "hello", Tags: []string{"a"}, FileName: "h\x00.wav", Data: pcmWAV(8000, 1, 16, 8000)})
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != 3 || created.Source != SourceUpload || created.DurationMS != 500 || created.FileName != "h.wav" || len(created.MediaHash) != 64 {
		t.Errorf("created %+v", created)
	}
	if _, err := s.Decide(ctx, "op@sy.test", 3, false, "  "); !errors.Is(err, ErrInvalid) {
		t.Errorf("reject without a reason: %v", err)
	}
	if _, err := s.Decide(ctx, "op@sy.test", 3, false, "too quiet"); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	s.Close(cctx)
	mb.mu.Lock()
	defer mb.mu.Unlock()
	if n := strings.Count(mb.sent["boss@acme.test"], "Subject: Prompt \"hello\" uploaded"); n != 1 || strings.Contains(mb.sent["Boss@acme.test"], "uploaded") {
		t.Errorf("the uploader, who owns the account, got %d upload mails (once wanted): %v", n, mb.sent)
	}
	if !strings.Contains(mb.sent["ops@sy.test"], "Prompt to approve: hello") {
		t.Errorf("operators: %q", mb.sent["ops@sy.test"])
	}
	if !strings.Contains(mb.sent["ann@acme.test"], "Reason: too quiet") || !strings.Contains(mb.sent["Boss@acme.test"], "rejected") {
		t.Errorf("decision mails: %v", mb.sent)
	}
}

// flowUses is a function-field fake of FlowUses.
type flowUses func(accountID int64, prompt string) ([]string, error)

func (f flowUses) FlowsPlaying(_ context.Context, a int64, p string) ([]string, error) {
	return f(a, p)
}

// TestDeleteInUse: a prompt that live flows play is not deleted, with the
// flows named; when the flows cannot be read nothing is deleted; a prompt
// no live flow plays is deleted.
func TestDeleteInUse(t *testing.T) {
	for _, c := range []struct {
		name    string
		using   []string
		err     error
		want    error
		msg     string
		deleted bool
	}{
		{name: "one flow", using: []string{"Welcome"}, want: store.ErrConflict, msg: `plays in the published flow "Welcome"; publish it without`},
		{name: "three flows", using: []string{"A", "B", "C"}, want: store.ErrConflict, msg: `published flows "A", "B" and "C"; publish them`},
		{name: "flows unreadable", err: errors.New("database down"), msg: "database down"},
		{name: "unused", deleted: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			deleted := false
			st := fakeStore{t: t,
				get: func(a, id int64) (store.Prompt, error) { return store.Prompt{ID: id, AccountID: a, Name: "tone"}, nil },
				del: func(a, id int64) error { deleted = a == 7 && id == 3; return nil }}
			s, err := New(Config{Store: st, Media: uris{}, Flows: flowUses(func(a int64, p string) ([]string, error) {
				if a != 7 || p != "tone" {
					t.Errorf("flows playing %d/%q", a, p)
				}
				return c.using, c.err
			})})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Delete(context.Background(), 7, 3)
			switch {
			case c.deleted && err != nil:
				t.Fatalf("delete: %v", err)
			case !c.deleted && (err == nil || !strings.Contains(err.Error(), c.msg)):
				t.Fatalf("delete: %v; want %q", err, c.msg)
			case c.want != nil && !errors.Is(err, c.want):
				t.Fatalf("delete: %v; want %v", err, c.want)
			}
			if deleted != c.deleted {
				t.Errorf("deleted %v, want %v", deleted, c.deleted)
			}
		})
	}
}

// TestPromptURICached: a campaign's calls reuse the resolution of
// prompt:<name> for up to promptCheckInterval (the database is read once,
// also for a prompt that cannot play); this node's decision is seen at
// once, another node's after the interval; the publish check reads the
// database every time.
func TestPromptURICached(t *testing.T) {
	var reads int
	status := store.PromptPending
	st := fakeStore{t: t,
		byName: func(acct int64, name string) (store.Prompt, error) {
			reads++
			return store.Prompt{ID: 3, AccountID: acct, Name: name, Status: status, MediaHash: "abc"}, nil
		},
		decide: func(id int64, approve bool, by, reason string) (store.Prompt, error) {
			status = store.PromptApproved
			return store.Prompt{ID: id, AccountID: 7, Name: "tone", Status: status}, nil
		},
		accounts: func(id int64) (store.Account, error) { return store.Account{ID: id, Name: "acme"}, nil },
		owners:   func(int64) ([]string, error) { return []string{"boss@acme.test"}, nil },
		ops:      func() ([]string, error) { return nil, nil }}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s, err := New(Config{Store: st, Media: uris{}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 100 {
		if _, err := s.PromptURI(ctx, 7, "tone"); !errors.Is(err, ErrNotApproved) {
			t.Fatalf("pending prompt: %v", err)
		}
	}
	if reads != 1 {
		t.Fatalf("100 plays of a pending prompt read the database %d times, want 1", reads)
	}
	// This node's decision is seen at once.
	if _, err := s.Decide(ctx, "ops", 3, true, ""); err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if uri, err := s.PromptURI(ctx, 7, "tone"); err != nil || uri != "sound:http://sy/media/s/abc.wav" {
			t.Fatalf("approved prompt: %q %v", uri, err)
		}
	}
	if reads != 2 {
		t.Fatalf("after the decision: %d reads, want 2", reads)
	}
	// Another node's change (here: the database says rejected) is seen
	// once the interval has passed.
	status = store.PromptRejected
	if _, err := s.PromptURI(ctx, 7, "tone"); err != nil {
		t.Fatalf("within the interval the cached answer stands: %v", err)
	}
	now = now.Add(promptCheckInterval)
	if _, err := s.PromptURI(ctx, 7, "tone"); !errors.Is(err, ErrNotApproved) || reads != 3 {
		t.Fatalf("after the interval: %v, %d reads", err, reads)
	}
	// Another account's prompt of the same name is its own entry.
	if _, err := s.PromptURI(ctx, 8, "tone"); !errors.Is(err, ErrNotApproved) || reads != 4 {
		t.Fatalf("another account: %v, %d reads", err, reads)
	}
	// Publishing always reads.
	if _, err := s.UnplayablePrompts(ctx, 7, []string{"tone"}); err != nil || reads != 5 {
		t.Fatalf("publish check: %v, %d reads", err, reads)
	}
}
