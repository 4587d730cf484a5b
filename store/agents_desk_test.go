package store

import (
	"errors"
	"testing"
)

// TestAgentUserLink: an agent is linked to one console user of its
// account (the agent desk finds it by user); a user works as at most one
// agent; deleting the user unlinks the agent.
func TestAgentUserLink(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		ua, err := s.CreateUser(ctx, NewUser{AccountID: a.ID, Email: "alice@example.com", Role: RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		ub, err := s.CreateUser(ctx, NewUser{AccountID: b.ID, Email: "bob@example.com", Role: RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		in := sipAgent(a.ID, "Alice", "7101")
		in.UserID, in.AutoPauseMissed = &ua.ID, true
		ag, err := s.CreateAgent(ctx, in)
		if err != nil || ag.UserID == nil || *ag.UserID != ua.ID || !ag.AutoPauseMissed {
			t.Fatalf("create linked: %+v %v", ag, err)
		}
		got, err := s.GetAgentByUser(ctx, a.ID, ua.ID)
		if err != nil || got.ID != ag.ID || !got.AutoPauseMissed {
			t.Fatalf("by user: %+v %v", got, err)
		}
		// Another account's user, a second agent for the same user.
		other := sipAgent(a.ID, "Other", "7102")
		other.UserID = &ub.ID
		if _, err := s.CreateAgent(ctx, other); !errors.Is(err, ErrInvalid) {
			t.Fatalf("user of another account: %v", err)
		}
		other.UserID = &ua.ID
		if _, err := s.CreateAgent(ctx, other); !errors.Is(err, ErrConflict) {
			t.Fatalf("second agent for the user: %v", err)
		}
		if _, err := s.GetAgentByUser(ctx, b.ID, ua.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("by user in another account: %v", err)
		}
		// The update keeps the link; clearing it frees the user.
		ag.Name = "Alice B"
		if up, err := s.UpdateAgent(ctx, ag); err != nil || up.UserID == nil || *up.UserID != ua.ID {
			t.Fatalf("update: %+v %v", up, err)
		}

		if err := s.DeleteUser(ctx, a.ID, ua.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetAgent(ctx, a.ID, ag.ID); err != nil || got.UserID != nil {
			t.Fatalf("after the user was deleted: %+v %v", got, err)
		}
	})
}
