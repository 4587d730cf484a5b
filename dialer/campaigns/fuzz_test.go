package campaigns

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"testing"

	"github.com/switchyard/switchyard"
)

// FuzzFlowRef: a flow reference decodes to "" or a canonical integer when
// it was written as a number, never panics, and fails only with a JSON
// error or ErrFlowRef.
func FuzzFlowRef(f *testing.F) {
	for _, s := range []string{`12`, `"12"`, `null`, `""`, `" 7 "`, `1.5`, `true`, `-3`, `"x"`, `99999999999999999999`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var r FlowRef
		if err := r.UnmarshalJSON([]byte(doc)); err != nil {
			var se *json.SyntaxError
			if !errors.Is(err, ErrFlowRef) && !errors.As(err, &se) {
				t.Fatalf("%q: error %v, want ErrFlowRef or a JSON syntax error", doc, err)
			}
			return
		}
		if d := bytes.TrimSpace([]byte(doc)); len(d) > 0 && d[0] != '"' && string(d) != "null" {
			if _, perr := strconv.ParseInt(string(r), 10, 64); perr != nil {
				t.Fatalf("%q decoded to %q, not an integer", doc, r)
			}
		}
	})
}

// FuzzFilterFrom: any parameters give a filter or a coded invalid error
// naming one of the parameters.
func FuzzFilterFrom(f *testing.F) {
	f.Add("Running", "2026-03-01T00:00:00Z", "", "", "2026-03-02T00:00:00+05:30")
	f.Add("x", "yesterday", "", "", "")
	f.Fuzz(func(t *testing.T, status, sf, st, ef, et string) {
		p := map[string]string{ParamStatus: status, ParamStartedFrom: sf, ParamStartedTo: st, ParamEndedFrom: ef, ParamEndedTo: et}
		_, err := FilterFrom(func(n string) string { return p[n] })
		if err == nil {
			return
		}
		var e *switchyard.Error
		if !errors.As(err, &e) || e.Code != switchyard.CodeInvalid {
			t.Fatalf("error %v, want a coded invalid", err)
		}
		if _, ok := p[e.Field]; !ok {
			t.Fatalf("field %q names no parameter", e.Field)
		}
	})
}
