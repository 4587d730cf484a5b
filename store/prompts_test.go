package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"testing"
)

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestPromptLibrary: prompts are stored pending with their audio (kept
// once by hash), names are unique per account, another account sees none
// of them, the operator decides a pending prompt once, listing filters by
// status, deleting keeps the audio.
func TestPromptLibrary(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "prompts-a")
		b := mustAccount(t, s, "prompts-b")
		audio := bytes.Repeat([]byte{1, 2, 3, 250}, 5000)
		h := hashOf(audio)
		p, err := s.CreatePrompt(ctx, Prompt{AccountID: a.ID, Name: "welcome_1", Tags: []string{"greeting", "main"}, MediaHash: h,
			DurationMS: 1250, Source: "upload", FileName: "welcome.mp3", CreatedBy: "ann@a"}, audio)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID == 0 || p.Status != PromptPending || !slices.Equal(p.Tags, []string{"greeting", "main"}) || p.DurationMS != 1250 {
			t.Fatalf("created: %+v", p)
		}
		// The same bytes under another name and account: one blob.
		if _, err := s.CreatePrompt(ctx, Prompt{AccountID: b.ID, Name: "welcome_1", MediaHash: h, Source: "phone"}, audio); err != nil {
			t.Fatalf("same name in another account: %v", err)
		}
		if _, err := s.CreatePrompt(ctx, Prompt{AccountID: a.ID, Name: "welcome_1", MediaHash: h, Source: "upload"}, audio); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate name: %v; want ErrConflict", err)
		}
		if _, err := s.CreatePrompt(ctx, Prompt{AccountID: a.ID, Name: "x", MediaHash: "abc", Source: "upload"}, audio); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad hash: %v; want ErrInvalid", err)
		}
		got, err := s.GetMedia(ctx, h)
		if err != nil || !bytes.Equal(got, audio) {
			t.Fatalf("media: %d bytes, %v", len(got), err)
		}
		if _, err := s.GetMedia(ctx, hashOf([]byte("other"))); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown media: %v", err)
		}
		if _, err := s.GetMedia(ctx, "../etc"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("malformed hash: %v", err)
		}
		if _, err := s.GetPrompt(ctx, b.ID, p.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account's prompt: %v", err)
		}
		byName, err := s.GetPromptByName(ctx, a.ID, "welcome_1")
		if err != nil || byName.ID != p.ID {
			t.Fatalf("by name: %+v %v", byName, err)
		}
		if _, err := s.CreatePrompt(ctx, Prompt{AccountID: a.ID, Name: "after_hours", MediaHash: h, Source: "browser"}, audio); err != nil {
			t.Fatal(err)
		}
		d, err := s.DecidePrompt(ctx, p.ID, false, "op@switchyard", "clipped at the start")
		if err != nil || d.Status != PromptRejected || d.Reason != "clipped at the start" || d.DecidedBy != "op@switchyard" || d.DecidedAt == nil {
			t.Fatalf("reject: %+v %v", d, err)
		}
		if _, err := s.DecidePrompt(ctx, p.ID, true, "op@switchyard", ""); !errors.Is(err, ErrConflict) {
			t.Fatalf("decide twice: %v; want ErrConflict", err)
		}
		if _, err := s.DecidePrompt(ctx, p.ID+1000, true, "op", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("decide unknown: %v; want ErrNotFound", err)
		}
		list, err := s.ListPrompts(ctx, PromptFilter{AccountID: a.ID})
		if err != nil || len(list) != 2 || list[0].Name != "after_hours" || list[1].Name != "welcome_1" || len(list[0].Tags) != 0 {
			t.Fatalf("list: %+v %v", list, err)
		}
		list, err = s.ListPrompts(ctx, PromptFilter{AccountID: a.ID, Status: PromptPending})
		if err != nil || len(list) != 1 || list[0].Name != "after_hours" {
			t.Fatalf("pending: %+v %v", list, err)
		}
		all, err := s.ListPrompts(ctx, PromptFilter{Status: PromptPending})
		if err != nil || len(all) != 2 || all[0].AccountID != b.ID {
			t.Fatalf("operator's pending list: %+v %v", all, err)
		}
		if err := s.DeletePrompt(ctx, b.ID, p.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete another account's prompt: %v", err)
		}
		if err := s.DeletePrompt(ctx, a.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetPrompt(ctx, a.ID, p.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("deleted prompt: %v", err)
		}
		if _, err := s.GetMedia(ctx, h); err != nil {
			t.Fatalf("audio after delete: %v", err)
		}
		if err := s.PutMedia(ctx, a.ID, h, audio); err != nil {
			t.Fatalf("put the same media again: %v", err)
		}
	})
}
