package store

import (
	"testing"

	"github.com/google/uuid"
)

// TestRawStatementsPrepared: on SQLite the per-call statements are kept
// prepared on the writer connection once the schema exists (a statement
// that cannot be prepared would leave every call compiling them again).
func TestRawStatementsPrepared(t *testing.T) {
	s, _ := openStoreWith(t, freshOptions(t, DriverSQLite))
	ctx := ctxT(t)
	acc := mustAccount(t, s, "acme")
	if _, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, Direction: DirectionOutbound, ChannelID: uuid.NewString()}); err != nil {
		t.Fatal(err)
	}
	if !s.rawReady.Load() {
		t.Fatal("per-call statements not prepared after a grouped write")
	}
	for _, r := range rawStmts {
		if _, ok := s.prepared.Load(r); ok == r.pgOnly {
			t.Errorf("statement prepared = %v, PostgreSQL only = %v: %.60s", ok, r.pgOnly, r.q)
		}
	}
}
