package store

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// TestGrammars: an account's grammars are created with a unique name,
// listed by name, read and deleted, never another account's; bad input
// is refused before the database.
func TestGrammars(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.CreateAccount(ctx, "gram-a")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateAccount(ctx, "gram-b")
		if err != nil {
			t.Fatal(err)
		}
		doc := json.RawMessage(`{"format":1,"language":"hi"}`)
		for _, g := range []Grammar{
			{AccountID: a.ID, Name: "hindi", Language: "hi", Document: doc, CreatedBy: "ann@a"},
			{AccountID: a.ID, Name: "english_uk", Language: "en-GB", Document: doc},
			{AccountID: b.ID, Name: "hindi", Language: "hi", Document: doc},
		} {
			got, err := s.CreateGrammar(ctx, g)
			if err != nil {
				t.Fatalf("create %s: %v", g.Name, err)
			}
			if got.ID == 0 || got.CreatedAt.IsZero() {
				t.Errorf("created %+v", got)
			}
		}
		if _, err := s.CreateGrammar(ctx, Grammar{AccountID: a.ID, Name: "hindi", Language: "hi", Document: doc}); !errors.Is(err, ErrConflict) {
			t.Errorf("duplicate name: %v; want ErrConflict", err)
		}
		if _, err := s.CreateGrammar(ctx, Grammar{AccountID: a.ID, Name: "x", Language: "hi", Document: json.RawMessage(`{`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad JSON: %v; want ErrInvalid", err)
		}
		if _, err := s.CreateGrammar(ctx, Grammar{AccountID: a.ID, Name: "", Language: "hi", Document: doc}); !errors.Is(err, ErrInvalid) {
			t.Errorf("no name: %v; want ErrInvalid", err)
		}
		if _, err := s.CreateGrammar(ctx, Grammar{AccountID: 1 << 40, Name: "y", Language: "hi", Document: doc}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown account: %v; want ErrNotFound", err)
		}
		rows, err := s.ListGrammars(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].Name != "english_uk" || rows[1].Name != "hindi" || rows[1].CreatedBy != "ann@a" || rows[0].Language != "en-GB" {
			t.Fatalf("account a: %+v", rows)
		}
		g, err := s.GetGrammar(ctx, a.ID, "hindi")
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]any
		if err := json.Unmarshal(g.Document, &back); err != nil || back["language"] != "hi" {
			t.Errorf("document read back %s: %v", g.Document, err)
		}
		if err := s.DeleteGrammar(ctx, a.ID, "hindi"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetGrammar(ctx, a.ID, "hindi"); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted grammar: %v; want ErrNotFound", err)
		}
		if err := s.DeleteGrammar(ctx, a.ID, "hindi"); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete twice: %v; want ErrNotFound", err)
		}
		if _, err := s.GetGrammar(ctx, b.ID, "hindi"); err != nil {
			t.Errorf("account b's grammar after a's was deleted: %v", err)
		}
	})
}
