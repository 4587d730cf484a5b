package campaigns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

// Input is a campaign as clients send it (id, account and status are the
// server's).
type Input struct {
	Type        string   `json:"type"`
	Mode        string   `json:"mode"`
	Name        string   `json:"name"`
	Accountcode string   `json:"accountcode"`
	Recipients  []string `json:"recipients"`
	CallerID    string   `json:"caller_id"`
	Trunk       string   `json:"trunk"`
	// EndpointTemplate is refused (400): dial strings are operator
	// configuration (SWITCHYARD_TRUNKS); tenants name a trunk.
	EndpointTemplate    string        `json:"endpoint_template"`
	SimultaneousCalls   int           `json:"simultaneous_calls"`
	DialAttempts        int           `json:"dial_attempts"`
	DialTimeoutMS       int           `json:"dial_timeout_ms"`
	OnlyWhenFreeMembers bool          `json:"only_when_free_members"`
	Queue               string        `json:"queue"`
	DialToExtension     string        `json:"dial_to_extension"`
	Multiplier          float64       `json:"multiplier"`
	RetryIntervalSec    int           `json:"retry_interval_sec"`
	CallingWindow       dialer.Window `json:"calling_window"`
	CallsPerSecond      float64       `json:"calls_per_second"`
	FlowID              FlowRef       `json:"flow_id"`
	AbandonCapPct       float64       `json:"abandon_cap_pct"`
	SafeHarborSound     string        `json:"safe_harbor_sound"`
	AMD                 bool          `json:"amd"`
	MachineAction       string        `json:"machine_action"`
	MachineFlowID       FlowRef       `json:"machine_flow_id"`
	LeadWebhook         string        `json:"lead_webhook"`
	LeadNumberPath      string        `json:"lead_number_path"`
	LogWebhook          string        `json:"log_webhook"`
	// SMSText is an sms campaign's message (see dialer.Campaign.SMSText).
	SMSText string `json:"sms_text"`
}

// campaign turns input into a validated domain campaign of the account.
func (s *Service) campaign(ctx context.Context, acct int64, in Input) (dialer.Campaign, error) {
	if in.EndpointTemplate != "" {
		return dialer.Campaign{}, errEndpointTemplate(s.c.Trunks)
	}
	var trunk string
	if in.Type == dialer.TypeSMS && s.c.SMSUnavailable != "" {
		return dialer.Campaign{}, switchyard.Invalid("type", "%s", s.c.SMSUnavailable)
	}
	if in.Type == dialer.TypeSMS {
		// Sent through the SMS gateway: a trunk named is refused by
		// Validate, none is filled in.
		trunk = strings.TrimSpace(in.Trunk)
	} else {
		var err error
		if trunk, err = s.trunk(in.Trunk); err != nil {
			return dialer.Campaign{}, err
		}
	}
	c := dialer.Campaign{
		AccountID: acct, Type: in.Type, Mode: in.Mode, Name: in.Name, Accountcode: in.Accountcode, Recipients: in.Recipients, CallerID: in.CallerID,
		Trunk: trunk, SimultaneousCalls: in.SimultaneousCalls, DialAttempts: in.DialAttempts,
		DialTimeoutMS: in.DialTimeoutMS, OnlyWhenFreeMembers: in.OnlyWhenFreeMembers, Queue: strings.TrimSpace(in.Queue),
		DialToExtension: strings.TrimSpace(in.DialToExtension), Multiplier: in.Multiplier, RetryIntervalSec: in.RetryIntervalSec,
		CallingWindow: in.CallingWindow, CallsPerSecond: in.CallsPerSecond, FlowID: strings.TrimSpace(string(in.FlowID)),
		AbandonCapPct: in.AbandonCapPct, SafeHarborSound: strings.TrimSpace(in.SafeHarborSound), AMD: in.AMD,
		MachineAction: strings.TrimSpace(in.MachineAction), MachineFlowID: strings.TrimSpace(string(in.MachineFlowID)),
		LeadWebhook: in.LeadWebhook, LeadNumberPath: strings.TrimSpace(in.LeadNumberPath), LogWebhook: in.LogWebhook,
		SMSText: in.SMSText, Status: dialer.StatusCreated,
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return c, err // coded: names the field, says what is wrong
	}
	for _, w := range []struct{ field, name string }{{"lead_webhook", c.LeadWebhook}, {"log_webhook", c.LogWebhook}} {
		if w.name == "" {
			continue
		}
		if _, err := s.c.Store.GetWebhook(ctx, acct, w.name); errors.Is(err, store.ErrNotFound) {
			return c, switchyard.Invalid(w.field, "webhook %q is not configured in the account", w.name)
		} else if err != nil {
			return c, err
		}
	}
	if err := s.checkRefs(ctx, acct, c); err != nil {
		return c, err
	}
	return c, nil
}

// Codes of the reference errors (422).
const (
	CodeFlowNotFound     = "flow_not_found"
	CodeFlowNotPublished = "flow_not_published"
	CodeFlowTypeMismatch = "flow_type_mismatch"
	CodeQueueNotFound    = "queue_not_found"
)

func refError(code, field, format string, args ...any) error {
	return &switchyard.Error{Code: code, Status: http.StatusUnprocessableEntity, Field: field, Message: fmt.Sprintf(format, args...)}
}

// checkRefs checks at create/update time what the campaign refers to, so
// it fails now with a clear error instead of when it dials: the queue
// exists in the account, and flow_id and machine_flow_id are published
// outbound flows of the account.
func (s *Service) checkRefs(ctx context.Context, acct int64, c dialer.Campaign) error {
	for _, ref := range []struct{ field, id string }{{"flow_id", c.FlowID}, {"machine_flow_id", c.MachineFlowID}} {
		if ref.id == "" {
			continue
		}
		id, err := strconv.ParseInt(ref.id, 10, 64)
		if err != nil || id <= 0 {
			return switchyard.Invalid(ref.field, "%q is not a flow id", switchyard.Clip(ref.id))
		}
		f, err := s.c.Store.GetFlow(ctx, acct, id)
		if errors.Is(err, store.ErrNotFound) {
			return refError(CodeFlowNotFound, ref.field, "flow %d does not exist in the account", id)
		}
		if err != nil {
			return err
		}
		if f.PublishedVersion == 0 {
			return refError(CodeFlowNotPublished, ref.field, "flow %d is not published; publish it first", id)
		}
		if f.Type == flows.TypeInbound {
			return refError(CodeFlowTypeMismatch, ref.field, "flow %d is an inbound flow; a campaign runs an outbound flow (%s, %s or %s)",
				id, flows.TypeDialer, flows.TypeOutbound, flows.TypeEmergency)
		}
	}
	if c.Queue != "" {
		if _, err := s.c.Store.GetQueueByName(ctx, acct, c.Queue); errors.Is(err, store.ErrNotFound) {
			return refError(CodeQueueNotFound, "queue", "queue %q does not exist in the account", switchyard.Clip(c.Queue))
		} else if err != nil {
			return err
		}
	}
	return nil
}

// errEndpointTemplate refuses a tenant-written dial string (400).
func errEndpointTemplate(t dialer.Trunks) error {
	return &switchyard.Error{Code: switchyard.CodeBadRequest, Status: http.StatusBadRequest, Field: "endpoint_template",
		Message: fmt.Sprintf("endpoint_template is no longer accepted: dial strings are operator configuration; choose a trunk by name in \"trunk\" (configured: %s)", strings.Join(t.Names(), ", "))}
}

// trunk resolves a trunk name: empty is the default trunk; an unknown one
// is refused.
func (s *Service) trunk(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = s.c.DefaultTrunk
	}
	if name == "" && s.c.Trunks == nil {
		return "", nil
	}
	if s.c.Trunks != nil {
		if _, ok := s.c.Trunks[name]; !ok {
			return "", switchyard.Invalid("trunk", "trunk %q is not configured (configured: %s)", name, strings.Join(s.c.Trunks.Names(), ", "))
		}
	} else if !dialer.ValidTrunkName(name) {
		return "", switchyard.Invalid("trunk", "trunk %q must be a trunk name: 1-64 letters, digits, '_', '-' or '.'", name)
	}
	return name, nil
}

// FlowRef is a flow id in a campaign document. Every id of the API is an
// integer, so it is written as one ("flow_id": 12); on input an integer
// is expected and a string of digits ("12", as older clients sent) is
// still accepted. Empty (null, "", absent) means no flow.
type FlowRef string

// ErrFlowRef is a flow id that is neither an integer nor a string (the
// decoder reports it as the flow_id field).
var ErrFlowRef = errors.New("a flow id is an integer")

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
		return ErrFlowRef
	}
	*f = FlowRef(strconv.FormatInt(n, 10))
	return nil
}

// FlowIDOut is a stored flow id as the API writes it: an integer, nil when
// none (or not a number, which validation never stores).
func FlowIDOut(s string) *int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// Trunk is what a tenant may know of an operator-configured trunk: its
// name, whether campaigns and flows that name none use it, and the
// channel technology it dials through (never the dial string: it can
// name the carrier's host or credentials).
type Trunk struct {
	Name       string `json:"name"`
	Default    bool   `json:"default"`
	Technology string `json:"technology,omitempty"`
}

// Trunks lists the trunks a campaign or a flow's dialing settings may
// name, by name. With no trunk table (tests) it lists the default trunk
// alone, if there is one.
func (s *Service) Trunks() []Trunk {
	out := []Trunk{}
	if s.c.Trunks == nil {
		if s.c.DefaultTrunk != "" {
			out = append(out, Trunk{Name: s.c.DefaultTrunk, Default: true})
		}
		return out
	}
	for _, n := range s.c.Trunks.Names() {
		tech, _, _ := strings.Cut(s.c.Trunks[n], "/")
		out = append(out, Trunk{Name: n, Default: n == s.c.DefaultTrunk, Technology: tech})
	}
	return out
}
