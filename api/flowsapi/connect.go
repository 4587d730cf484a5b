package flowsapi

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/flows"
)

// ConnectCall is the call object of the connect-to-a-flow answer, with
// the field names that API's clients read ({"Call": {...}}).
type ConnectCall struct {
	Sid            string  `json:"Sid"`
	ParentCallSid  *string `json:"ParentCallSid"`
	DateCreated    string  `json:"DateCreated"`
	DateUpdated    string  `json:"DateUpdated"`
	AccountSid     string  `json:"AccountSid"`
	To             string  `json:"To"`
	From           string  `json:"From"`
	PhoneNumberSid string  `json:"PhoneNumberSid"`
	Status         string  `json:"Status"`
	StartTime      string  `json:"StartTime"`
	EndTime        *string `json:"EndTime"`
	Duration       *int    `json:"Duration"`
	Price          *string `json:"Price"`
	Direction      string  `json:"Direction"`
	AnsweredBy     *string `json:"AnsweredBy"`
	ForwardedFrom  *string `json:"ForwardedFrom"`
	CallerName     *string `json:"CallerName"`
	Uri            string  `json:"Uri"`
	RecordingUrl   *string `json:"RecordingUrl"`
}

// flowInURL reads the flow id at the end of a flow URL
// (".../start_voice/{flow_id}"), as the API's Url parameter gives it.
var flowInURL = regexp.MustCompile(`/([0-9]+)/?$`)

// connect is POST /api/v1/calls/connect (the single-call agent-first API):
// call From (the agent), and once they answer run the flow — whose lead
// webhook and dial widgets then reach the customer. Parameters as form
// fields or JSON: From (required), CallerId (optional, shown to From),
// and the flow as flow_id or Url (ending in the flow id). The flow must be
// published.
func (h *handler) connect(c echo.Context, acct int64) error {
	if h.d.Connect == nil {
		return &api.Error{Code: api.CodeUnavailable, Status: http.StatusServiceUnavailable, Message: "calls cannot be placed on this server"}
	}
	var in struct {
		From     string `json:"From" form:"From"`
		CallerID string `json:"CallerId" form:"CallerId"`
		URL      string `json:"Url" form:"Url"`
		FlowID   string `json:"flow_id" form:"flow_id"`
	}
	if err := c.Bind(&in); err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: "send From, CallerId and Url (or flow_id) as form fields or JSON", Err: err}
	}
	flowRef := strings.TrimSpace(in.FlowID)
	if flowRef == "" {
		if m := flowInURL.FindStringSubmatch(strings.TrimSpace(in.URL)); m != nil {
			flowRef = m[1]
		}
	}
	flowID, err := strconv.ParseInt(flowRef, 10, 64)
	if err != nil || flowID <= 0 {
		return api.Invalid("Url", "name the flow: flow_id, or a Url ending in the flow id")
	}
	ctx := c.Request().Context()
	region, err := h.d.Store.AccountCountry(ctx, acct)
	if err != nil {
		return err
	}
	from, err := calllist.Normalize(in.From, region)
	if err != nil {
		return api.Invalid("From", "not a phone number (with country code, or national in the account's default country)")
	}
	callerID := ""
	if s := strings.TrimSpace(in.CallerID); s != "" {
		if callerID, err = calllist.Normalize(s, region); err != nil {
			return api.Invalid("CallerId", "not a phone number")
		}
	}
	f, err := h.d.Store.GetFlow(ctx, acct, flowID)
	if err != nil {
		return err
	}
	if f.PublishedVersion == 0 {
		return api.Invalid("Url", "flow %d is not published; publish it first (or try it with POST /flows/%d/test-call)", flowID, flowID)
	}
	v, err := h.d.Store.GetFlowVersion(ctx, acct, flowID, f.PublishedVersion)
	if err != nil {
		return err
	}
	parsed, err := flows.Parse(v.Definition, h.d.Features)
	if err != nil {
		var ve *flows.ValidationError
		if errors.As(err, &ve) {
			return invalidFlow(c, ve)
		}
		return err
	}
	now := time.Now()
	callID, attemptID, err := h.d.Connect.Connect(ctx, flows.FlowVersion{AccountID: acct, FlowID: flowID, Version: v.Version, Flow: parsed}, from, callerID)
	if err != nil {
		return &api.Error{Code: api.CodeUnavailable, Status: http.StatusServiceUnavailable, Message: "the call could not be placed", Err: err}
	}
	loc := time.UTC
	if h.d.Location != nil {
		if l, err := h.d.Location(ctx, acct); err == nil && l != nil {
			loc = l
		}
	}
	ts := now.In(loc).Format("2006-01-02 15:04:05")
	return c.JSON(http.StatusOK, map[string]ConnectCall{"Call": {
		Sid: callID, DateCreated: ts, DateUpdated: ts, AccountSid: strconv.FormatInt(acct, 10),
		To: callerID, From: from, PhoneNumberSid: callerID, Status: "in-progress", StartTime: ts,
		Direction: "outbound-api", Uri: "/api/v1/calls/" + attemptID + "/journey",
	}})
}
