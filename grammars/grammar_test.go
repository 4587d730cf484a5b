package grammars

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/store"
)

// TestParseProblems: a bad document is refused with every problem named.
func TestParseProblems(t *testing.T) {
	sampleWith := func(edit func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(SampleDocument(), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seg := func(m map[string]any, k string) map[string]any {
		return m["segments"].(map[string]any)[k].(map[string]any)
	}
	for _, tc := range []struct {
		name string
		doc  []byte
		want []string
	}{
		{"not JSON", []byte(`{`), []string{"not a valid JSON document"}},
		{"unknown field", sampleWith(func(m map[string]any) { m["voice"] = "x" }), []string{`unknown field "voice"`}},
		{"trailing", append(SampleDocument(), []byte(`{}`)...), []string{"data after"}},
		{"too big", make([]byte, MaxDocumentBytes+1), []string{"at most"}},
		{"missing segments", sampleWith(func(m map[string]any) {
			delete(seg(m, "numbers"), "13")
			delete(seg(m, "numbers"), "40")
			delete(seg(m, "ordinals"), "30")
			delete(seg(m, "letters"), "q")
			delete(seg(m, "words"), "oh")
			delete(seg(m, "scales"), "million")
			m["segments"].(map[string]any)["months"] = []string{"sound:digits/mon-0"}
		}), []string{"segments.numbers.13 is missing", "segments.numbers.40 is missing", "segments.ordinals.30 is missing",
			"segments.letters.q is missing", "segments.words.oh is missing", "segments.scales.million is missing",
			"segments.months must have 12 items (got 1)"}},
		{"bad names", sampleWith(func(m map[string]any) {
			seg(m, "numbers")["1"] = "sound:../../etc/passwd"
			seg(m, "numbers")["2"] = "tts:two"
			seg(m, "numbers")["3"] = "prompt:three-3"
			seg(m, "numbers")["100"] = "sound:digits/100"
			seg(m, "words")["please"] = "sound:please"
			m["language"] = "English"
			m["format"] = 2
		}), []string{`segments.numbers.1: "sound:../../etc/passwd"`, `segments.numbers.2: "tts:two" must be sound:<name> or prompt:<name>`,
			`segments.numbers.3: "prompt:three-3": a prompt name`, `segments.numbers has "100"`, `segments.words has "please"`,
			`language "English" is not a language code`, "format must be 1"}},
		{"bad rules", sampleWith(func(m map[string]any) {
			m["rules"] = map[string]any{"tens_units": "mixed", "date": []string{"month", "month", "era"}, "year": "roman", "clock": "13h"}
		}), []string{"rules.tens_units must be", `rules.date has "month" twice`, `rules.date has "era"`, `rules.date must include "day"`,
			`rules.date must include "year"`, "rules.year must be", "rules.clock must be"}},
	} {
		_, err := Parse(tc.doc)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v; want ErrInvalid", tc.name, err)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\n does not say %q", tc.name, err, w)
			}
		}
	}
}

// FuzzParse: Parse never panics; an accepted document says every kind of
// value without a missing segment.
func FuzzParse(f *testing.F) {
	f.Add(SampleDocument())
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%v is not ErrInvalid", err)
			}
			return
		}
		for _, v := range [][2]string{{KindNumber, "-123456789021"}, {KindDigits, "0123456789"}, {KindAlphabet, "abcdefghijklmnopqrstuvwxyz"},
			{KindDate, "2031-12-31"}, {KindDate, "1905-02-21"}, {KindTime, "00:00"}, {KindTime, "23:59"}} {
			if _, err := g.Say(v[0], v[1]); err != nil {
				t.Fatalf("an accepted grammar cannot say %s %s: %v", v[0], v[1], err)
			}
		}
	})
}

// TestSampleSoundsOnAsterisk: every sound the Sample English Grammar
// names is one Asterisk has in English (its sounds API), and, on the
// local Asterisk, a file in its sounds directory.
func TestSampleSoundsOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	code, body := info.Do(t, "GET", "/sounds?lang=en", nil)
	if code != 200 {
		t.Fatalf("GET /sounds: %d %s", code, body)
	}
	var sounds []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &sounds); err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, s := range sounds {
		have[s.ID] = true
	}
	items := Sample().Items()
	if len(items) < 100 {
		t.Fatalf("the sample grammar names %d segments", len(items))
	}
	for _, it := range items {
		name, ok := strings.CutPrefix(it, "sound:")
		if !ok {
			t.Errorf("%s: the sample grammar uses only Asterisk's sounds", it)
			continue
		}
		if !have[name] {
			t.Errorf("Asterisk has no English sound %s", name)
		}
		if info.Root != "" {
			if _, err := os.Stat(soundFile(info.Root, "en", name)); err != nil {
				t.Errorf("sound %s: %v", name, err)
			}
		}
	}
}

// soundFile is the GSM file of an Asterisk core sound inside the local
// Asterisk's root (whose language directories are links within it).
func soundFile(root, lang, name string) string {
	dir := filepath.Join(root, "usr/share/asterisk/sounds", lang)
	if l, err := os.Readlink(dir); err == nil {
		for i := 0; i < 5 && filepath.IsAbs(l); i++ {
			dir = filepath.Join(root, l)
			if l, err = os.Readlink(dir); err != nil {
				break
			}
		}
	}
	return filepath.Join(dir, name+".gsm")
}

// fakeStore is a Store of function fields.
type fakeStore struct {
	create func(store.Grammar) (store.Grammar, error)
	list   func(int64) ([]store.Grammar, error)
	get    func(int64, string) (store.Grammar, error)
	del    func(int64, string) error
}

func (f *fakeStore) CreateGrammar(_ context.Context, g store.Grammar) (store.Grammar, error) {
	return f.create(g)
}
func (f *fakeStore) ListGrammars(_ context.Context, a int64) ([]store.Grammar, error) {
	return f.list(a)
}
func (f *fakeStore) GetGrammar(_ context.Context, a int64, n string) (store.Grammar, error) {
	return f.get(a, n)
}
func (f *fakeStore) DeleteGrammar(_ context.Context, a int64, n string) error { return f.del(a, n) }

// TestService: the sample grammar is listed first and read-only; a
// custom grammar is checked, stored canonical, listed, used by Say, and
// deleted; unknown grammars and bad input are clear errors.
func TestService(t *testing.T) {
	rows := map[string]store.Grammar{}
	fs := &fakeStore{
		create: func(g store.Grammar) (store.Grammar, error) {
			if _, ok := rows[g.Name]; ok {
				return store.Grammar{}, store.ErrConflict.New("name", "exists")
			}
			rows[g.Name] = g
			return g, nil
		},
		list: func(int64) ([]store.Grammar, error) {
			var out []store.Grammar
			for _, k := range slices.Sorted(maps.Keys(rows)) {
				out = append(out, rows[k])
			}
			return out, nil
		},
		get: func(_ int64, n string) (store.Grammar, error) {
			g, ok := rows[n]
			if !ok {
				return store.Grammar{}, store.ErrNotFound.New("", "no %s", n)
			}
			return g, nil
		},
		del: func(_ int64, n string) error {
			if _, ok := rows[n]; !ok {
				return store.ErrNotFound.New("", "no %s", n)
			}
			delete(rows, n)
			return nil
		},
	}
	s := &Service{Store: fs}
	ctx := context.Background()
	custom := Sample()
	custom.Language = "en-GB"
	custom.Segments.Numbers["1"] = "prompt:one_uk"
	doc, err := json.Marshal(custom)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, 1, "uk", doc, "ann@a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, 1, "uk", doc, "ann@a"); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := s.Create(ctx, 1, "Sample_English", doc, ""); !errors.Is(err, ErrReadOnly) {
		t.Errorf("sample's name: %v", err)
	}
	if _, err := s.Create(ctx, 1, "bad name", doc, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := s.Create(ctx, 1, "empty", []byte(`{}`), ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty document: %v", err)
	}
	list, err := s.List(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != SampleName || !list[0].Sample || list[0].Title != SampleTitle || list[1].Name != "uk" ||
		list[1].Language != "en-GB" || list[1].CreatedBy != "ann@a" || list[1].Document != nil || list[1].Description == "" {
		t.Fatalf("list %+v", list)
	}
	got, err := s.Get(ctx, 1, "uk")
	if err != nil || got.Document == nil || got.Document.Segments.Numbers["1"] != "prompt:one_uk" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if got, err := s.Get(ctx, 1, SampleName); err != nil || !got.Sample || got.Document == nil {
		t.Fatalf("get sample: %+v %v", got, err)
	}
	for _, tc := range []struct {
		grammar, kind, value string
		tts                  bool
		want                 []string
	}{
		{"", KindNumber, "21", false, d("20", "1")},
		{SampleName, KindDate, "2026-03-15", false, d("mon-2", "h-15", "20", "20", "6")},
		{"uk", KindNumber, "101", false, []string{"prompt:one_uk", "sound:digits/hundred", "prompt:one_uk"}},
		{"", KindDate, "2026-03-15", true, []string{"tts:March 15th, 2026"}},
	} {
		items, err := s.Say(ctx, 1, tc.grammar, tc.kind, tc.value, tc.tts)
		if err != nil || !slices.Equal(items, tc.want) {
			t.Errorf("say %s %s %q tts=%v: %v, %v; want %v", tc.grammar, tc.kind, tc.value, tc.tts, items, err, tc.want)
		}
	}
	if _, err := s.Say(ctx, 1, "nope", KindNumber, "1", false); !errors.Is(err, switchyard.ErrNotFound) || !strings.Contains(err.Error(), `unknown grammar "nope"`) {
		t.Errorf("unknown grammar: %v", err)
	}
	if _, err := s.Say(ctx, 1, "uk", KindNumber, "1", true); !errors.Is(err, ErrInvalid) {
		t.Errorf("grammar and tts: %v", err)
	}
	if err := s.Delete(ctx, 1, SampleName); !errors.Is(err, ErrReadOnly) {
		t.Errorf("delete the sample: %v", err)
	}
	if err := s.Delete(ctx, 1, "uk"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, 1, "uk"); !errors.Is(err, switchyard.ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
}

// TestSayReusesGrammar: a campaign's calls saying values with an
// account's grammar read it from the database once (an unknown name too),
// and this node's adding or deleting a grammar is seen at once.
func TestSayReusesGrammar(t *testing.T) {
	rows := map[string]store.Grammar{}
	reads := 0
	s := &Service{Store: &fakeStore{
		create: func(g store.Grammar) (store.Grammar, error) { rows[g.Name] = g; return g, nil },
		get: func(_ int64, n string) (store.Grammar, error) {
			reads++
			g, ok := rows[n]
			if !ok {
				return store.Grammar{}, store.ErrNotFound.New("", "no %s", n)
			}
			return g, nil
		},
		del: func(_ int64, n string) error { delete(rows, n); return nil },
	}}
	ctx := context.Background()
	for range 50 {
		if _, err := s.Say(ctx, 1, "uk", KindNumber, "7", false); !errors.Is(err, switchyard.ErrNotFound) {
			t.Fatalf("unknown grammar: %v", err)
		}
	}
	if reads != 1 {
		t.Fatalf("50 calls with an unknown grammar read %d times, want 1", reads)
	}
	doc, err := json.Marshal(Sample())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create(ctx, 1, "uk", doc, "ann@a"); err != nil {
		t.Fatal(err)
	}
	for range 50 {
		if items, err := s.Say(ctx, 1, "uk", KindNumber, "7", false); err != nil || !slices.Equal(items, d("7")) {
			t.Fatalf("say with the new grammar: %v %v", items, err)
		}
	}
	if reads != 2 {
		t.Fatalf("after adding it: %d reads, want 2", reads)
	}
	if err := s.Delete(ctx, 1, "uk"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Say(ctx, 1, "uk", KindNumber, "7", false); !errors.Is(err, switchyard.ErrNotFound) || reads != 3 {
		t.Fatalf("after deleting it: %v, %d reads", err, reads)
	}
}
