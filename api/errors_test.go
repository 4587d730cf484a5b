package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/store"
)

// The domain packages' coded errors reach the client with the message and
// field they were written with; the text that wraps them on the way up is
// logged, never sent; an error that is not the client's shows only the
// generic message.
func TestMapCodedErrors(t *testing.T) {
	const secret = "secret-context"
	wrap := func(err error) error { return fmt.Errorf("store: put campaign 7 (%s): %w", secret, err) }
	cases := []struct {
		name          string
		err           error
		status        int
		code, message string
		field         string
		serverErr     bool
	}{
		{"store invalid with a client message", wrap(store.ErrInvalid.New("recipients", "list %s is disabled (enable it first)", "L1")),
			422, CodeInvalid, "list L1 is disabled (enable it first)", "recipients", false},
		{"store invalid, plain wrap", wrap(store.ErrInvalid), 422, CodeInvalid, "invalid input", "", false},
		{"store not found", wrap(store.ErrNotFound), 404, CodeNotFound, "not found", "", false},
		{"store conflict with a client message", wrap(store.ErrConflict.New("", "%s is already blacklisted", "+15550100")),
			409, CodeConflict, "+15550100 is already blacklisted", "", false},
		{"store unauthenticated is a generic 401", wrap(fmt.Errorf("api key 12 revoked: %w", store.ErrUnauthenticated)),
			401, CodeUnauthorized, "missing or invalid API key", "", false},
		{"store not granted", wrap(store.ErrNotGranted.New("allow_http", "plain http:// webhooks is beyond what the operator granted this account")),
			403, CodeNotGranted, "plain http:// webhooks is beyond what the operator granted this account", "allow_http", false},
		{"store query timeout keeps its message", wrap(store.ErrQueryTimeout), 504, CodeTimeout,
			"the report took longer than its time limit; narrow the period or filters", "", true},
		{"acd state", wrap(acd.ErrState.New("", "agent %d is logged out", 5)), 409, CodeConflict, "agent 5 is logged out", "", false},
		{"acd invalid", wrap(acd.ErrInvalid.New("name", "name: required")), 422, CodeInvalid, "name: required", "name", false},
		{"dialer invalid", wrap(dialer.ErrInvalid.New("trunk", "trunk %q must be a trunk name", "x y")), 422, CodeInvalid, `trunk "x y" must be a trunk name`, "trunk", false},
		{"an API error around a store error speaks for it", &Error{Code: CodeConflict, Message: "taken", Err: wrap(store.ErrInvalid.New("x", "inner"))},
			409, CodeConflict, "taken", "", false},
		{"internal", wrap(errors.New("pq: password authentication failed")), 500, CodeInternal, genericInternalMessage, "", true},
		{"coded internal", &Error{Code: CodeInternal, Message: "do not show " + secret}, 500, CodeInternal, genericInternalMessage, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, d, serverErr := mapError(tc.err, nil)
			if status != tc.status || d.Code != tc.code || d.Message != tc.message || d.Field != tc.field || serverErr != tc.serverErr {
				t.Fatalf("got %d %+v server=%v, want %d %q %q %q server=%v", status, d, serverErr, tc.status, tc.code, tc.message, tc.field, tc.serverErr)
			}
			if strings.Contains(d.Message+d.Field, secret) || strings.Contains(d.Message, "store:") {
				t.Fatalf("wrapping context leaked: %+v", d)
			}
		})
	}
	if s := statusForCode(CodeNotGranted); s != http.StatusForbidden {
		t.Fatalf("not_granted → %d", s)
	}
}

// A package's sentinel matches the errors made from it, and the generic
// sentinel of its code; never another package's sentinel of the same code.
func TestCodedSentinelIs(t *testing.T) {
	e := fmt.Errorf("ctx: %w", store.ErrInvalid.New("name", "too long"))
	switch {
	case !errors.Is(e, store.ErrInvalid), !errors.Is(e, ErrInvalid):
		t.Fatal("a store invalid error must be store.ErrInvalid and api.ErrInvalid")
	case errors.Is(e, acd.ErrInvalid), errors.Is(e, dialer.ErrInvalid), errors.Is(e, store.ErrConflict):
		t.Fatal("a store invalid error must not match another sentinel")
	case errors.Is(Invalid("name", "x"), store.ErrInvalid):
		t.Fatal("an API error is not the store's")
	case errors.Is(acd.ErrState.New("", "x"), acd.ErrUnreachable):
		t.Fatal("the ACD's conflicts stay distinguishable")
	}
}
