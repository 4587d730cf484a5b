package calllist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxTriggerCalls caps calls[] of one trigger request.
const MaxTriggerCalls = 500

// Trigger is the request body of the outbound-flow trigger webservice.
type Trigger struct {
	APIVersion string        `json:"api-version"`
	SecurityID string        `json:"security-id"`
	FlowID     string        `json:"flow-id"`
	Calls      []TriggerCall `json:"calls"`
}

// TriggerCall is one element of calls[].
type TriggerCall struct {
	ClientIdentifier string       `json:"client-identifier"`
	StartTime        string       `json:"start-time"`
	ContactNumbers   []string     `json:"contact-numbers"`
	Keys             []TriggerKey `json:"keys"`
}

// TriggerKey is {"name": "$flow.key.<var>", "value": "..."}.
type TriggerKey struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// TriggerError is a whole-request rejection; Field names the JSON field.
type TriggerError struct {
	Field   string
	Message string
}

func (e *TriggerError) Error() string { return e.Field + ": " + e.Message }

// DecodeTrigger reads and checks the envelope of a trigger body (the
// caller caps the body size). Per-call problems are not errors here: they
// come back per call from (*Trigger).Record.
func DecodeTrigger(r io.Reader) (Trigger, error) {
	var t Trigger
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			return Trigger{}, &TriggerError{Field: ute.Field, Message: fmt.Sprintf("must be a JSON %s", jsonKind(ute.Type.Kind().String()))}
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			field := strings.Trim(name, `"`)
			if field == "" {
				field = "body"
			}
			return Trigger{}, &TriggerError{Field: field, Message: "unknown field " + name + " (the body has api-version, security-id, flow-id and calls)"}
		}
		return Trigger{}, &TriggerError{Field: "body", Message: "not valid JSON: " + err.Error()}
	}
	if dec.More() {
		return Trigger{}, &TriggerError{Field: "body", Message: "unexpected data after the JSON object"}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Trigger{}, &TriggerError{Field: "body", Message: "unexpected data after the JSON object"}
	}
	switch {
	case strings.TrimSpace(t.APIVersion) == "":
		return Trigger{}, &TriggerError{Field: "api-version", Message: `required ("1.0")`}
	case strings.TrimSpace(t.APIVersion) != "1.0":
		return Trigger{}, &TriggerError{Field: "api-version", Message: fmt.Sprintf("unsupported version %q (supported: 1.0)", t.APIVersion)}
	case strings.TrimSpace(t.FlowID) == "":
		return Trigger{}, &TriggerError{Field: "flow-id", Message: "required"}
	case len(t.Calls) == 0:
		return Trigger{}, &TriggerError{Field: "calls", Message: "at least one call is required"}
	case len(t.Calls) > MaxTriggerCalls:
		return Trigger{}, &TriggerError{Field: "calls", Message: fmt.Sprintf("%d calls, at most %d per request", len(t.Calls), MaxTriggerCalls)}
	}
	t.FlowID = strings.TrimSpace(t.FlowID)
	return t, nil
}

func jsonKind(k string) string {
	switch k {
	case "slice":
		return "array"
	case "struct", "map":
		return "object"
	}
	return k
}

// Record turns calls[i] into a record (Row = i+1). declared, when non-nil,
// are the flow's variables; loc reads start times without an offset.
func (t *Trigger) Record(i int, declared []string, loc *time.Location) (Record, error) {
	rec, err := t.record(i, declared, loc)
	var re *RowError
	if errors.As(err, &re) && len(t.Calls[i].ContactNumbers) > 0 {
		if n := strings.TrimSpace(t.Calls[i].ContactNumbers[0]); len(n) <= 40 {
			re.Number = n
		}
	}
	if errors.As(err, &re) {
		re.ClientIdentifier = clientID(t.Calls[i].ClientIdentifier)
	}
	return rec, err
}

func (t *Trigger) record(i int, declared []string, loc *time.Location) (Record, error) {
	c := t.Calls[i]
	row := i + 1
	rec := Record{Row: row, ClientIdentifier: strings.TrimSpace(c.ClientIdentifier)}
	if len(rec.ClientIdentifier) > 255 {
		return Record{}, rowErr(row, "client-identifier is longer than 255 bytes")
	}
	if len(c.ContactNumbers) == 0 {
		return Record{}, rowErr(row, "contact-numbers is empty")
	}
	if len(c.ContactNumbers) > MaxNumbers {
		return Record{}, rowErr(row, "contact-numbers has %d numbers, at most %d", len(c.ContactNumbers), MaxNumbers)
	}
	for j, n := range c.ContactNumbers {
		n = strings.TrimSpace(n)
		if n == "" {
			return Record{}, rowErr(row, "contact-numbers[%d] is empty", j)
		}
		rec.Numbers = append(rec.Numbers, n)
	}
	if s := strings.TrimSpace(c.StartTime); s != "" {
		st, err := ParseISOTime(s, loc)
		if err != nil {
			return Record{}, rowErr(row, "start-time: %v", err)
		}
		rec.StartTime = &st
	}
	var allowed map[string]bool
	if declared != nil {
		allowed = make(map[string]bool, len(declared))
		for _, v := range declared {
			allowed[v] = true
		}
	}
	for j, k := range c.Keys {
		name, ok := strings.CutPrefix(strings.TrimSpace(k.Name), FlowKeyPrefix)
		if !ok {
			return Record{}, rowErr(row, "keys[%d].name %q must be %s<variable>", j, k.Name, FlowKeyPrefix)
		}
		if err := validVarName(name); err != nil {
			return Record{}, rowErr(row, "keys[%d].name %q: %v", j, k.Name, err)
		}
		if allowed != nil && !allowed[name] {
			return Record{}, rowErr(row, "keys[%d].name %q: the flow declares no variable %q", j, k.Name, name)
		}
		if rec.Variables == nil {
			rec.Variables = map[string]string{}
		}
		if _, dup := rec.Variables[name]; dup {
			return Record{}, rowErr(row, "keys[%d].name %q is given twice", j, k.Name)
		}
		rec.Variables[name] = k.Value
	}
	return rec, nil
}

// EncodeTrigger is the inverse of DecodeTrigger (tests, clients).
func EncodeTrigger(t Trigger) []byte {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(t)
	return b.Bytes()
}
