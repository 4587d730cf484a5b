package switchyard

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestSentinelNew(t *testing.T) {
	errPkg := Sentinel(CodeInvalid, 0, "invalid input")
	other := Sentinel(CodeInvalid, 0, "invalid input")
	e := fmt.Errorf("store: row 3 (internal detail): %w", errPkg.New("name", "too long (%d)", 300))
	switch {
	case !errors.Is(e, errPkg):
		t.Fatal("an error made with New must match its sentinel")
	case !errors.Is(e, ErrInvalid):
		t.Fatal("it must match the generic sentinel of its code")
	case errors.Is(e, other), errors.Is(e, ErrConflict):
		t.Fatal("it must not match another sentinel")
	}
	if got := ClientMessage(e); got != "too long (300)" {
		t.Fatalf("ClientMessage = %q", got)
	}
	if got := e.Error(); got != "store: row 3 (internal detail): name: too long (300): invalid input" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestClientMessage(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("pq: secret"), ""},
		{fmt.Errorf("x: %w", &Error{Code: CodeInternal, Message: "secret"}), ""},
		{&Error{Code: "boom", Status: http.StatusBadGateway, Message: "secret"}, ""},
		{Unavailable("Asterisk is not connected"), "Asterisk is not connected"},
		{&Error{Code: CodeTimeout, Message: "narrow the period"}, "narrow the period"},
		{fmt.Errorf("ctx: %w", NotFound("flow %d not found", 3)), "flow 3 not found"},
	} {
		if got := ClientMessage(tc.err); got != tc.want {
			t.Errorf("ClientMessage(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	if StatusForCode(CodeNotGranted) != http.StatusForbidden {
		t.Fatal("not_granted must be 403")
	}
}
