package flows

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestPlayUnsetVariableReason: a play whose media uses an unset variable
// fails with the reason in its journey step (error text and
// error_reason INVALID_FLOW_VAR) and the journey says the flow ended on a
// failed widget, not that it finished.
func TestPlayUnsetVariableReason(t *testing.T) {
	r, _ := oneNode(t, &Engine{}, `{"id":"n","type":"play","params":{"media":["$flow.key.m"]},"exits":["ok"]}`, nil, "m")
	r.journey = Journey{Steps: []Step{}}
	if err := r.loop(context.Background()); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r.journey)
	if len(r.journey.Steps) != 1 {
		t.Fatalf("journey %s", b)
	}
	st := r.journey.Steps[0]
	if !strings.Contains(st.Error, "unset variable $flow.key.m") || st.Outputs["error_reason"] != "INVALID_FLOW_VAR" {
		t.Errorf("step %s", b)
	}
	if r.journey.Outcome != "widget_failed" || !strings.Contains(r.journey.Reason, "unset variable $flow.key.m") {
		t.Errorf("journey outcome %q reason %q: %s", r.journey.Outcome, r.journey.Reason, b)
	}
}
