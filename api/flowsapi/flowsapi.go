// Package flowsapi serves the flow engine's admin API under /api/v1: flows
// (drafts, validation, publishing, versions), configured webhooks, user
// variables, DID → flow routes, the account's webhook HTTP policy, and a
// call attempt's journey.
package flowsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/flows/variables"
	"github.com/switchyard/switchyard/flows/webhooks"
	"github.com/switchyard/switchyard/store"
)

// Store is the persistence the handlers use (*store.Store implements it).
type Store interface {
	CreateFlow(ctx context.Context, accountID int64, in store.NewFlow) (store.Flow, error)
	GetFlow(ctx context.Context, accountID, id int64) (store.Flow, error)
	ListFlows(ctx context.Context, accountID int64) ([]store.Flow, error)
	UpdateFlow(ctx context.Context, accountID, id int64, in store.NewFlow) (store.Flow, error)
	DeleteFlow(ctx context.Context, accountID, id int64) error
	PublishFlowAs(ctx context.Context, accountID, id int64, by string) (store.FlowVersion, error)
	SetFlowTransactional(ctx context.Context, accountID, flowID int64, on bool) (store.Flow, error)
	GetUserByID(ctx context.Context, id int64) (store.User, error)
	AwaitingApproval(ctx context.Context, accountID int64) (map[int64]int, error)
	GetFlowVersion(ctx context.Context, accountID, flowID int64, version int) (store.FlowVersion, error)
	ListFlowVersions(ctx context.Context, accountID, flowID int64) ([]store.FlowVersion, error)
	PutWebhook(ctx context.Context, accountID int64, name string, config json.RawMessage) (store.Webhook, error)
	GetWebhook(ctx context.Context, accountID int64, name string) (store.Webhook, error)
	ListWebhooks(ctx context.Context, accountID int64) ([]store.Webhook, error)
	DeleteWebhook(ctx context.Context, accountID int64, name string) error
	SetUserVar(ctx context.Context, accountID int64, name, value string) error
	GetUserVar(ctx context.Context, accountID int64, name string) (string, bool, error)
	ListUserVars(ctx context.Context, accountID int64) ([]store.UserVariable, error)
	DeleteUserVar(ctx context.Context, accountID int64, name string) error
	SetDIDRoute(ctx context.Context, accountID int64, did string, flowID int64) (store.DIDRoute, error)
	ListDIDRoutes(ctx context.Context, accountID int64) ([]store.DIDRoute, error)
	DeleteDIDRoute(ctx context.Context, accountID int64, did string) error
	GetHTTPPolicy(ctx context.Context, accountID int64) (store.HTTPPolicy, error)
	SetHTTPPolicy(ctx context.Context, accountID int64, allowHTTP bool, cidrs []string) (store.HTTPPolicy, error)
	GetJourney(ctx context.Context, accountID int64, attemptID string) (store.Journey, error)
	ListListEntries(ctx context.Context, accountID int64, list, kind string) ([]store.ListEntry, error)
	AccountCountry(ctx context.Context, accountID int64) (string, error)
}

// Connector places a connect-to-a-flow call: it calls from (E.164) showing
// callerID and runs fv once answered; it returns the call's id and its
// attempt id.
type Connector interface {
	Connect(ctx context.Context, fv flows.FlowVersion, from, callerID string) (callID, attemptID string, err error)
}

// TestCaller places a test call: it calls number (E.164) and runs fv on
// it once answered (flow test calls to whitelisted numbers).
type TestCaller interface {
	TestCall(ctx context.Context, fv flows.FlowVersion, number string) (callID string, err error)
}

// Deps configures the handlers.
type Deps struct {
	Store Store
	// Features is what the running engine supports (queues…); publishing a
	// flow that needs more fails validation.
	Features flows.Features
	// Resolve looks up webhook hosts for the HTTP-policy warnings of
	// validate and publish (nil: the system resolver, 2 s per host).
	Resolve webhooks.Resolver
	// TestCalls places flow test calls; nil: test calls are off (503).
	TestCalls TestCaller
	// Live has the test calls' journeys as they happen (the engine's
	// Live); nil: no test call can be watched (404).
	Live *flows.LiveSteps
	// Connect places connect-to-a-flow calls; nil: off (503).
	Connect Connector
	// Location formats the connect answer's times (default UTC).
	Location func(ctx context.Context, accountID int64) (*time.Location, error)
	// RecordingURL turns a recording's name into its download URL (the
	// journey's recording_uri); nil: recording:<name>.
	RecordingURL func(name string) string
	// Prompts checks at publish time that every prompt:<name> a flow
	// plays is an approved prompt of the account; nil: a flow with prompt
	// media cannot be published.
	Prompts PromptChecker
	// Sayer checks at publish time that each say widget's grammar says
	// its value (a fixed one), or values of its kind (one built from
	// variables); nil: say widgets are checked when they run.
	Sayer flows.Sayer
}

// PromptChecker says which of the named prompts cannot play in a
// published flow of the account, and why (prompts.Service).
type PromptChecker interface {
	UnplayablePrompts(ctx context.Context, accountID int64, names []string) (map[string]string, error)
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	h := &handler{d: d}
	g.POST("/flows/validate", h.validate)
	g.GET("/flows/variables/system", withAccount(h.systemVars))
	g.GET("/flows", withAccount(h.listFlows))
	g.POST("/flows", withAccount(h.createFlow))
	g.GET("/flows/:id", withAccount(h.getFlow))
	g.PUT("/flows/:id", withAccount(h.updateFlow))
	g.DELETE("/flows/:id", withAccount(h.deleteFlow))
	g.POST("/flows/:id/publish", withAccount(h.publish))
	g.POST("/flows/:id/test-call", withAccount(h.testCall))
	g.GET("/flows/:id/test-call/:call_id/events", withAccount(h.testCallEvents))
	g.PUT("/flows/:id/transactional", withAccount(h.putTransactional))
	g.POST("/calls/connect", withAccount(h.connect))
	g.GET("/flows/:id/versions", withAccount(h.listVersions))
	g.GET("/flows/:id/versions/:version", withAccount(h.getVersion))
	g.GET("/webhooks", withAccount(h.listWebhooks))
	g.GET("/webhooks/:name", withAccount(h.getWebhook))
	g.PUT("/webhooks/:name", withAccount(h.putWebhook))
	g.DELETE("/webhooks/:name", withAccount(h.deleteWebhook))
	g.GET("/variables", withAccount(h.listVars))
	g.GET("/variables/:name", withAccount(h.getVar))
	g.PUT("/variables/:name", withAccount(h.putVar))
	g.DELETE("/variables/:name", withAccount(h.deleteVar))
	g.GET("/dids", withAccount(h.listDIDs))
	g.PUT("/dids/:did", withAccount(h.putDID))
	g.DELETE("/dids/:did", withAccount(h.deleteDID))
	g.GET("/http-policy", withAccount(h.getPolicy))
	g.PUT("/http-policy", withAccount(h.putPolicy))
	g.GET("/calls/:id/journey", withAccount(h.journey))
}

type handler struct{ d Deps }

// withAccount runs a handler for the authenticated caller's account.
func withAccount(fn func(c echo.Context, acct int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		acct, err := account(c)
		if err != nil {
			return err
		}
		if err := fn(c, acct); !errors.Is(err, errAnswered) {
			return err
		}
		return nil
	}
}

func account(c echo.Context) (int64, error) {
	p, ok := api.PrincipalFrom(c)
	if !ok || p.AccountID <= 0 {
		return 0, api.ErrUnauthorized
	}
	return p.AccountID, nil
}

const maxBody = 1 << 20

func readBody(c echo.Context) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(b) > maxBody {
		return nil, &api.Error{Code: "too_large", Status: http.StatusRequestEntityTooLarge, Message: "flow document over 1 MiB"}
	}
	return b, nil
}

// invalidFlow writes a 422 with every problem: the usual error envelope
// (naming the first problem's node and field) plus "problems".
func invalidFlow(c echo.Context, ve *flows.ValidationError) error {
	first := ve.Problems[0]
	field := first.Field
	if first.Node != "" {
		field = "nodes[" + first.Node + "]." + first.Field
	}
	return c.JSON(http.StatusUnprocessableEntity, map[string]any{
		"error":    api.ErrorDetail{Code: api.CodeInvalid, Message: ve.Error(), Field: field},
		"problems": ve.Problems,
	})
}

// FlowView is a flow as the API shows it.
type FlowView struct {
	store.Flow
	Problems []flows.Problem `json:"problems"` // the draft's validation problems (empty when publishable)
	// AwaitingApproval is the version of a transactional flow waiting for
	// the operator's approval (0: none).
	AwaitingApproval int `json:"awaiting_approval"`
}

func (h *handler) view(f store.Flow) FlowView {
	v := FlowView{Flow: f, Problems: []flows.Problem{}}
	if _, err := flows.Parse(f.Draft, h.d.Features); err != nil {
		var ve *flows.ValidationError
		if errors.As(err, &ve) {
			v.Problems = ve.Problems
		}
	}
	return v
}

func (h *handler) validate(c echo.Context) error {
	if _, err := account(c); err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	f, perr := flows.Parse(b, h.d.Features)
	var ve *flows.ValidationError
	if errors.As(perr, &ve) {
		return c.JSON(http.StatusOK, map[string]any{"valid": false, "problems": ve.Problems})
	}
	if perr != nil {
		return perr
	}
	acct, _ := account(c)
	warnings, err := h.policyWarnings(c.Request().Context(), acct, f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"valid": true, "problems": []flows.Problem{}, "warnings": warnings})
}

// draftInput decodes a flow document far enough to store it as a draft: it
// must be a JSON flow object with a name and a known type; graph problems
// are reported, not refused (a draft may be work in progress).
func draftInput(b []byte) (store.NewFlow, error) {
	f, err := flows.Decode(b)
	if err != nil {
		var ve *flows.ValidationError
		if errors.As(err, &ve) {
			return store.NewFlow{}, ve
		}
		return store.NewFlow{}, api.Invalid("document", "%v", err)
	}
	if strings.TrimSpace(f.Name) == "" {
		return store.NewFlow{}, api.Invalid("name", "is required")
	}
	known := false
	for _, t := range flows.FlowTypes {
		known = known || t == f.Type
	}
	if !known {
		return store.NewFlow{}, api.Invalid("type", "must be one of %s (got %q)", strings.Join(flows.FlowTypes, ", "), f.Type)
	}
	return store.NewFlow{Name: f.Name, Type: f.Type, Draft: json.RawMessage(b)}, nil
}

// readDraft reads a flow document from the body (see draftInput). A
// document that is not a flow answers 422 with every problem.
func readDraft(c echo.Context) (store.NewFlow, error) {
	b, err := readBody(c)
	if err != nil {
		return store.NewFlow{}, err
	}
	in, err := draftInput(b)
	if ve := (*flows.ValidationError)(nil); errors.As(err, &ve) {
		if werr := invalidFlow(c, ve); werr != nil {
			return store.NewFlow{}, werr
		}
		return store.NewFlow{}, errAnswered
	}
	return in, err
}

// errAnswered: the response is already written (withAccount turns it
// into nil).
var errAnswered = errors.New("response written")

func (h *handler) createFlow(c echo.Context, acct int64) error {
	in, err := readDraft(c)
	if err != nil {
		return err
	}
	f, err := h.d.Store.CreateFlow(c.Request().Context(), acct, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, h.view(f))
}

func (h *handler) listFlows(c echo.Context, acct int64) error {
	fs, err := h.d.Store.ListFlows(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	waiting, err := h.d.Store.AwaitingApproval(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	out := make([]FlowView, 0, len(fs))
	for _, f := range fs {
		v := h.view(f)
		v.AwaitingApproval = waiting[f.ID]
		out = append(out, v)
	}
	return c.JSON(http.StatusOK, map[string]any{"flows": out})
}

func (h *handler) getFlow(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	f, err := h.d.Store.GetFlow(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	waiting, err := h.d.Store.AwaitingApproval(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	v := h.view(f)
	v.AwaitingApproval = waiting[f.ID]
	return c.JSON(http.StatusOK, v)
}

func (h *handler) updateFlow(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	in, err := readDraft(c)
	if err != nil {
		return err
	}
	f, err := h.d.Store.UpdateFlow(c.Request().Context(), acct, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.view(f))
}

func (h *handler) deleteFlow(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.d.Store.DeleteFlow(c.Request().Context(), acct, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handler) publish(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	f, err := h.d.Store.GetFlow(ctx, acct, id)
	if err != nil {
		return err
	}
	parsed, err := flows.Parse(f.Draft, h.d.Features)
	if err != nil {
		var ve *flows.ValidationError
		if errors.As(err, &ve) {
			return invalidFlow(c, ve)
		}
		return err
	}
	if ve, err := h.promptProblems(ctx, acct, parsed); err != nil {
		return err
	} else if ve != nil {
		return invalidFlow(c, ve)
	}
	if ve, err := h.sayProblems(ctx, acct, parsed); err != nil {
		return err
	} else if ve != nil {
		return invalidFlow(c, ve)
	}
	warnings, err := h.policyWarnings(ctx, acct, parsed)
	if err != nil {
		return err
	}
	v, err := h.d.Store.PublishFlowAs(ctx, acct, id, h.who(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, published{FlowVersion: v, Warnings: warnings})
}

// sayExamples are values of each kind a grammar must say when a say
// widget's value comes from variables: every digit and letter, a
// three-digit number, a date with an ordinal day, an afternoon time.
var sayExamples = map[string][]string{
	"number":   {"1234567", "115", "21", "13", "0"},
	"digits":   {"0123456789"},
	"alphabet": {"abcdefghijklmnopqrstuvwxyz"},
	"date":     {"2026-12-31", "2026-03-15", "2026-02-01", "2026-05-02", "2026-07-03", "2026-08-22"},
	"time":     {"21:30", "09:05", "12:00"},
}

// sayProblems lists the flow's say widgets that cannot say their value
// with their grammar: a fixed value that is not of its kind, an unknown
// grammar, a grammar without the segments for the value (or, for a value
// from variables, for values of that kind).
func (h *handler) sayProblems(ctx context.Context, acct int64, f *flows.Flow) (*flows.ValidationError, error) {
	if h.d.Sayer == nil {
		return nil, nil
	}
	var ve flows.ValidationError
	for _, r := range f.Says() {
		values, field := []string{r.Value}, "params.value"
		if variables.HasRefs(r.Value) {
			values, field = sayExamples[r.Kind], "params.grammar"
		}
		for _, v := range values {
			_, err := h.d.Sayer.Say(ctx, acct, r.Grammar, r.Kind, v, r.TTS)
			if err == nil {
				continue
			}
			var ce *switchyard.Error
			if !errors.As(err, &ce) || (ce.Code != switchyard.CodeInvalid && ce.Code != switchyard.CodeNotFound) {
				return nil, err
			}
			msg := ce.Message
			if field == "params.grammar" {
				msg = fmt.Sprintf("cannot say a %s such as %q: %s", r.Kind, v, ce.Message)
			}
			ve.Problems = append(ve.Problems, flows.Problem{Node: r.Node, Field: field, Message: msg})
			break
		}
	}
	if len(ve.Problems) == 0 {
		return nil, nil
	}
	return &ve, nil
}

// promptProblems lists the flow's prompt media that name no approved
// prompt of the account: only approved prompts run in published flows.
func (h *handler) promptProblems(ctx context.Context, acct int64, f *flows.Flow) (*flows.ValidationError, error) {
	refs := f.Prompts()
	if len(refs) == 0 {
		return nil, nil
	}
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = r.Name
	}
	why := map[string]string{}
	if h.d.Prompts == nil {
		for _, n := range names {
			why[n] = "the prompt library is not configured on this server"
		}
	} else {
		var err error
		if why, err = h.d.Prompts.UnplayablePrompts(ctx, acct, names); err != nil {
			return nil, err
		}
	}
	var ve flows.ValidationError
	for _, r := range refs {
		if msg, bad := why[r.Name]; bad {
			ve.Problems = append(ve.Problems, flows.Problem{Node: r.Node, Field: r.Field,
				Message: msg + "; only approved prompts play in published flows"})
		}
	}
	if len(ve.Problems) == 0 {
		return nil, nil
	}
	return &ve, nil
}

// who names the caller for the operator's approval list: the user's
// email, or the API key.
func (h *handler) who(c echo.Context) string {
	p, _ := api.PrincipalFrom(c)
	if p.UserID > 0 {
		if u, err := h.d.Store.GetUserByID(c.Request().Context(), p.UserID); err == nil && u.AccountID == p.AccountID {
			return u.Email
		}
	}
	if p.KeyID > 0 {
		return fmt.Sprintf("API key %d", p.KeyID)
	}
	return ""
}

// putTransactional marks or unmarks the flow as transactional: every
// version published while marked waits for the operator's approval before
// it goes live, and once approved its call lists are not DNC/NDNC
// scrubbed. Marking needs transactional messaging on the account.
func (h *handler) putTransactional(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var in struct {
		Transactional *bool `json:"transactional"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Transactional == nil {
		return api.Invalid("transactional", "send {\"transactional\": true} or false")
	}
	ctx := c.Request().Context()
	if *in.Transactional {
		cur, err := h.d.Store.GetFlow(ctx, acct, id)
		if err != nil {
			return err
		}
		if cur.Type == flows.TypeInbound {
			return api.Invalid("transactional", "only flows that place calls (outbound multicast, dialer, emergency notification) can be transactional; this is an inbound flow")
		}
	}
	f, err := h.d.Store.SetFlowTransactional(ctx, acct, id, *in.Transactional)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.view(f))
}

// published is a publish answer: the version and the warnings (e.g. a
// webhook the account's HTTP policy will block at call time).
type published struct {
	store.FlowVersion
	Warnings []Warning `json:"warnings"`
}

// Warning is a problem that does not stop a flow from validating or
// publishing but will make a widget fail at call time.
type Warning struct {
	Node    string `json:"node"`
	Webhook string `json:"webhook,omitempty"`
	Message string `json:"message"`
}

// policyWarnings checks every webhook and CRM URL of the flow against the
// account's HTTP policy (and that named webhooks exist).
func (h *handler) policyWarnings(ctx context.Context, acct int64, f *flows.Flow) ([]Warning, error) {
	out := []Warning{}
	targets := f.WebhookTargets()
	if len(targets) == 0 {
		return out, nil
	}
	sp, err := h.d.Store.GetHTTPPolicy(ctx, acct)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	pol := webhooks.Policy{AllowHTTP: sp.AllowHTTP, Allow: sp.Networks()}
	resolve := h.d.Resolve
	if resolve == nil {
		resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	for _, t := range targets {
		u := t.URL
		if t.Webhook != "" {
			w, err := h.d.Store.GetWebhook(ctx, acct, t.Webhook)
			if errors.Is(err, store.ErrNotFound) {
				out = append(out, Warning{Node: t.Node, Webhook: t.Webhook, Message: fmt.Sprintf("webhook %q is not configured in the account", t.Webhook)})
				continue
			}
			if err != nil {
				return nil, err
			}
			var cfg webhooks.Config
			if json.Unmarshal(w.Config, &cfg) != nil {
				continue
			}
			u = cfg.URL
		}
		if msg := pol.Blocked(ctx, u, resolve); msg != "" {
			out = append(out, Warning{Node: t.Node, Webhook: t.Webhook, Message: "blocked at call time: " + msg})
		}
	}
	return out, nil
}

func (h *handler) listVersions(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.d.Store.GetFlow(ctx, acct, id); err != nil {
		return err
	}
	vs, err := h.d.Store.ListFlowVersions(ctx, acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"versions": vs})
}

func (h *handler) getVersion(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ver := 0
	if p := c.Param("version"); p != "current" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 {
			return api.Invalid("version", "must be a positive integer or \"current\", got %q", p)
		}
		ver = n
	}
	v, err := h.d.Store.GetFlowVersion(c.Request().Context(), acct, id, ver)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// --- webhooks -----------------------------------------------------------------

func (h *handler) listWebhooks(c echo.Context, acct int64) error {
	ws, err := h.d.Store.ListWebhooks(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"webhooks": ws})
}

func (h *handler) getWebhook(c echo.Context, acct int64) error {
	w, err := h.d.Store.GetWebhook(c.Request().Context(), acct, c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, w)
}

func (h *handler) putWebhook(c echo.Context, acct int64) error {
	b, err := readBody(c)
	if err != nil {
		return err
	}
	var w webhooks.Config
	if err := api.DecodeJSONBytes(b, &w); err != nil {
		return err // names the field (a webhook has method, url, username, password, headers, query, body_type, body)
	}
	if ps := webhooks.Validate(w); len(ps) > 0 {
		msgs := make([]string, 0, len(ps))
		for _, p := range ps {
			msgs = append(msgs, p.String())
		}
		return api.Invalid(ps[0].Field, "%s", strings.Join(msgs, "; "))
	}
	norm, _ := json.Marshal(w)
	saved, err := h.d.Store.PutWebhook(c.Request().Context(), acct, c.Param("name"), norm)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, saved)
}

func (h *handler) deleteWebhook(c echo.Context, acct int64) error {
	if err := h.d.Store.DeleteWebhook(c.Request().Context(), acct, c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- user variables -----------------------------------------------------------

func varName(c echo.Context) string { return strings.TrimPrefix(c.Param("name"), "$user.key.") }

// systemVars publishes the system variables ($sys.*, $call.*,
// $flow.syskey.*, the widgets' $flow.key.* and the event webhooks'
// $event.*), each with when it is set, and the $call.* names Switchyard
// does not support and refuses, each with the reason
// (docs/flow-variables.md is the same list).
func (h *handler) systemVars(c echo.Context, _ int64) error {
	return c.JSON(http.StatusOK, variables.Published())
}

func (h *handler) listVars(c echo.Context, acct int64) error {
	vs, err := h.d.Store.ListUserVars(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"variables": vs})
}

func (h *handler) getVar(c echo.Context, acct int64) error {
	v, ok, err := h.d.Store.GetUserVar(c.Request().Context(), acct, varName(c))
	if err != nil {
		return err
	}
	if !ok {
		return api.NotFound("user variable %q is not set", varName(c))
	}
	return c.JSON(http.StatusOK, map[string]string{"name": varName(c), "value": v})
}

func (h *handler) putVar(c echo.Context, acct int64) error {
	var in struct {
		Value *string `json:"value"`
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &in); err != nil || in.Value == nil {
		return api.Invalid("value", "body must be {\"value\": \"...\"}")
	}
	if err := h.d.Store.SetUserVar(c.Request().Context(), acct, varName(c), *in.Value); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"name": varName(c), "value": *in.Value})
}

func (h *handler) deleteVar(c echo.Context, acct int64) error {
	if err := h.d.Store.DeleteUserVar(c.Request().Context(), acct, varName(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- DIDs ---------------------------------------------------------------------

func (h *handler) listDIDs(c echo.Context, acct int64) error {
	rs, err := h.d.Store.ListDIDRoutes(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"dids": rs})
}

func (h *handler) putDID(c echo.Context, acct int64) error {
	var in struct {
		FlowID int64 `json:"flow_id"`
	}
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &in); err != nil || in.FlowID <= 0 {
		return api.Invalid("flow_id", "body must be {\"flow_id\": <id of an inbound flow>}")
	}
	ctx := c.Request().Context()
	f, err := h.d.Store.GetFlow(ctx, acct, in.FlowID)
	if err != nil {
		return err
	}
	if f.Type != flows.TypeInbound {
		return &api.Error{Code: "flow_type_mismatch", Status: http.StatusUnprocessableEntity, Field: "flow_id",
			Message: fmt.Sprintf("flow %d is a %s flow; DIDs route to inbound flows", f.ID, f.Type)}
	}
	// A call to the DID would find nothing to run: refuse it now.
	if f.PublishedVersion == 0 {
		return &api.Error{Code: "flow_not_published", Status: http.StatusUnprocessableEntity, Field: "flow_id",
			Message: fmt.Sprintf("flow %d is not published; publish it before routing a DID to it", f.ID)}
	}
	r, err := h.d.Store.SetDIDRoute(ctx, acct, c.Param("did"), in.FlowID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *handler) deleteDID(c echo.Context, acct int64) error {
	if err := h.d.Store.DeleteDIDRoute(c.Request().Context(), acct, c.Param("did")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// --- HTTP policy ----------------------------------------------------------------

// policyView is the account's HTTP policy. The granted_* fields are the
// operator's grant (read-only here: `switchyard account http-policy`); the
// account may choose allow_* within it.
type policyView struct {
	AllowHTTP       bool     `json:"allow_http"`
	AllowNetworks   []string `json:"allow_networks"`
	GrantedHTTP     bool     `json:"granted_http"`
	GrantedNetworks []string `json:"granted_networks"`
}

func toPolicyView(p store.HTTPPolicy) policyView {
	v := policyView{AllowHTTP: p.AllowHTTP, AllowNetworks: []string{}, GrantedHTTP: p.GrantHTTP, GrantedNetworks: []string{}}
	for _, n := range p.Networks() {
		v.AllowNetworks = append(v.AllowNetworks, n.String())
	}
	for _, n := range p.GrantNetworks() {
		v.GrantedNetworks = append(v.GrantedNetworks, n.String())
	}
	return v
}

func (h *handler) getPolicy(c echo.Context, acct int64) error {
	p, err := h.d.Store.GetHTTPPolicy(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toPolicyView(p))
}

func (h *handler) putPolicy(c echo.Context, acct int64) error {
	var in policyView
	b, err := readBody(c)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return api.Invalid("body", "must be {\"allow_http\": bool, \"allow_networks\": [\"10.0.0.0/8\", ...]}")
	}
	p, err := h.d.Store.SetHTTPPolicy(c.Request().Context(), acct, in.AllowHTTP, in.AllowNetworks)
	if err != nil {
		// A store.ErrInvalid names allow_networks and says what is wrong;
		// a store.ErrNotGranted says what is beyond the operator's grant,
		// and the client is told how the policy may change.
		if errors.Is(err, store.ErrNotGranted) {
			return &api.Error{Code: "policy_operator_only", Status: http.StatusForbidden, Err: err,
				Message: switchyard.ClientMessage(err) + ": an account may only narrow its HTTP policy; widening (plain http://, loopback, private, link-local or metadata networks) is an operator setting (switchyard account http-policy)"}
		}
		return err
	}
	return c.JSON(http.StatusOK, toPolicyView(p))
}

// --- journey --------------------------------------------------------------------

func (h *handler) journey(c echo.Context, acct int64) error {
	j, err := h.d.Store.GetJourney(c.Request().Context(), acct, c.Param("id"))
	if err != nil {
		return err
	}
	j.Steps = journeyLinks(j.Steps, h.d.RecordingURL)
	return c.JSON(http.StatusOK, j)
}

// journeyLinks shows the journey's recording_uri (recording:<name>) as
// the recording's download URL.
func journeyLinks(steps json.RawMessage, url func(string) string) json.RawMessage {
	if url == nil || !bytes.Contains(steps, []byte(`"recording:`)) {
		return steps
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(steps, &m) != nil {
		return steps
	}
	var uri string
	if json.Unmarshal(m["recording_uri"], &uri) != nil {
		return steps
	}
	name, ok := strings.CutPrefix(uri, "recording:")
	if !ok || name == "" {
		return steps
	}
	b, err := json.Marshal(url(name))
	if err != nil {
		return steps
	}
	m["recording_uri"] = b
	out, err := json.Marshal(m)
	if err != nil {
		return steps
	}
	return out
}
