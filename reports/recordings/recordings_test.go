package recordings

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/switchyard/switchyard/store"
)

func TestSpoolSource(t *testing.T) {
	dir := t.TempDir()
	s := SpoolSource{Dir: dir}
	ctx := context.Background()
	if err := os.WriteFile(filepath.Join(dir, "record_1_+49.wav"), []byte("RIFF"), 0o600); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(ctx, "record_1_+49", "wav")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "RIFF" {
		t.Errorf("read %q", b)
	}
	if _, err := s.Open(ctx, "nope", "wav"); !errors.Is(err, ErrGone) {
		t.Errorf("missing: %v", err)
	}
	for _, bad := range [][2]string{{"../x", "wav"}, {"x", "../wav"}, {"", "wav"}, {"x", ""}, {"a/../../b", "wav"}} {
		if _, err := s.Open(ctx, bad[0], bad[1]); err == nil || errors.Is(err, ErrGone) {
			t.Errorf("%q: %v", bad, err)
		}
		if err := s.Delete(ctx, bad[0], bad[1]); err == nil {
			t.Errorf("delete %q accepted", bad)
		}
	}
	if err := s.Delete(ctx, "record_1_+49", "wav"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "record_1_+49", "wav"); err != nil {
		t.Errorf("deleting twice: %v", err)
	}
}

type fakePurgeStore struct {
	recs   []store.Recording
	purged map[int64]bool
	cutoff time.Time
}

func (f *fakePurgeStore) ListRecordingsToPurge(_ context.Context, cutoff time.Time, limit int) ([]store.Recording, error) {
	f.cutoff = cutoff
	var out []store.Recording
	for _, r := range f.recs {
		if !f.purged[r.ID] && r.StartedAt.Before(cutoff) && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *fakePurgeStore) MarkRecordingPurged(_ context.Context, id int64, _ time.Time) error {
	f.purged[id] = true
	return nil
}

type fakeSource struct{ fail map[string]bool }

func (f fakeSource) Open(context.Context, string, string) (io.ReadCloser, error) { return nil, ErrGone }
func (f fakeSource) Delete(_ context.Context, name, _ string) error {
	if f.fail[name] {
		return errors.New("media server down")
	}
	return nil
}

func TestPurgerKeepsFailedOnesForNextRun(t *testing.T) {
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	st := &fakePurgeStore{purged: map[int64]bool{}}
	for i := range 1200 {
		st.recs = append(st.recs, store.Recording{ID: int64(i + 1), Name: "r" + string(rune('a'+i%26)), StartedAt: now.Add(-31*24*time.Hour + time.Duration(i)*time.Second)})
	}
	st.recs = append(st.recs, store.Recording{ID: 5000, Name: "fresh", StartedAt: now.Add(-29 * 24 * time.Hour)})
	src := fakeSource{fail: map[string]bool{"rb": true}}
	p := Purger{Store: st, Source: src, Now: func() time.Time { return now }}
	n, err := p.PurgeOnce(context.Background())
	if err == nil {
		t.Error("a failed delete is not reported")
	}
	fails := 0
	for _, r := range st.recs {
		if r.Name == "rb" {
			fails++
		}
	}
	if n != 1200-fails || st.purged[5000] || !st.cutoff.Equal(now.Add(-Window)) {
		t.Errorf("purged %d (want %d), fresh purged %v, cutoff %v", n, 1200-fails, st.purged[5000], st.cutoff)
	}
	src.fail["rb"] = false
	if n, err := p.PurgeOnce(context.Background()); err != nil || n != fails {
		t.Errorf("retry: %d %v", n, err)
	}
}
