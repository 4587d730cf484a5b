package dialerapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// FlowRef is a flow id in a campaign document. Every id of the API is an
// integer, so it is written as one ("flow_id": 12); on input an integer
// is expected and a string of digits ("12", as older clients sent) is
// still accepted. Empty (null, "", absent) means no flow.
type FlowRef string

// UnmarshalJSON accepts an integer, a string of digits or null.
func (f *FlowRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = FlowRef(strings.TrimSpace(s))
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return errFlowRef
	}
	*f = FlowRef(strconv.FormatInt(n, 10))
	return nil
}

// errFlowRef is a flow id that is neither an integer nor a string.
var errFlowRef = errors.New("a flow id is an integer")

// flowIDOut is a stored flow id as the API writes it: an integer, nil when
// none (or not a number, which validation never stores).
func flowIDOut(s string) *int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}
