package flowsapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

// TestCallInput is POST /flows/{id}/test-call.
type TestCallInput struct {
	Number string `json:"number"`
}

// TestCallView answers it.
type TestCallView struct {
	CallID string `json:"call_id"`
	FlowID int64  `json:"flow_id"`
	Number string `json:"number"`
	Draft  bool   `json:"draft"`
}

// testCall calls a whitelisted number and runs the flow's draft on it:
// a flow can be tried before it is published ("whitelisted numbers can
// be used for testing your flows before making them live"). Only numbers
// on the account's whitelist (verified by OTP) can be called.
func (h *handler) testCall(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if h.d.TestCalls == nil {
		return &api.Error{Code: api.CodeUnavailable, Status: http.StatusServiceUnavailable, Message: "test calls are not available on this server"}
	}
	var in TestCallInput
	if err := c.Bind(&in); err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: `body must be JSON {"number": "+91…"}`, Err: err}
	}
	ctx := c.Request().Context()
	f, err := h.d.Store.GetFlow(ctx, acct, id)
	if err != nil {
		return err
	}
	region, err := h.d.Store.AccountCountry(ctx, acct)
	if err != nil {
		return err
	}
	number, err := calllist.Normalize(in.Number, region)
	if err != nil {
		return api.Invalid("number", "not a phone number (with country code, or national in the account's default country)")
	}
	white, err := h.d.Store.ListListEntries(ctx, acct, store.ListWhite, store.KindPhone)
	if err != nil {
		return err
	}
	listed := false
	for _, e := range white {
		listed = listed || e.Value == number
	}
	if !listed {
		return api.Forbidden("%s is not a whitelisted number: test calls go only to numbers whitelisted by OTP (POST /api/v1/calllists/access-lists/phone-otp)", number)
	}
	parsed, err := flows.Parse(f.Draft, h.d.Features)
	if err != nil {
		var ve *flows.ValidationError
		if errors.As(err, &ve) {
			return invalidFlow(c, ve)
		}
		return err
	}
	callID, err := h.d.TestCalls.TestCall(ctx, flows.FlowVersion{AccountID: acct, FlowID: id, Version: 0, Flow: parsed}, number)
	if err != nil {
		return &api.Error{Code: api.CodeUnavailable, Status: http.StatusServiceUnavailable, Message: "the test call could not be placed", Err: err}
	}
	return c.JSON(http.StatusAccepted, TestCallView{CallID: callID, FlowID: id, Number: number, Draft: true})
}

// liveHeartbeat is the test call feed's keep-alive comment interval.
const liveHeartbeat = 15 * time.Second

// testCallEvents is the test call's live journey (Server-Sent Events):
// "event: enter" when a widget starts ({kind, node, type}), "event: step"
// when it is done ({kind, node, type, step}: the journey's step) and
// "event: end" once the flow ended ({kind, outcome, reason, status}, or
// outcome not_answered when the call ended before the flow ran); then the
// stream closes. Events already past are sent first, so a watcher that
// connects late misses nothing.
func (h *handler) testCallEvents(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	callID := c.Param("call_id")
	_, _, _, ok := h.d.Live.Events(callID, acct, id, 0)
	if !ok {
		return &api.Error{Code: api.CodeNotFound, Status: http.StatusNotFound, Message: "no test call of this flow with that id is being watched (test calls are kept for a while after they end)"}
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	ctx := c.Request().Context()
	hb := time.NewTicker(liveHeartbeat)
	defer hb.Stop()
	for sent := 0; ; {
		evs, next, done, _ := h.d.Live.Events(callID, acct, id, sent)
		for _, ev := range evs {
			b, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Kind, b); err != nil {
				return nil // the client went away
			}
		}
		sent += len(evs)
		if err := rc.Flush(); err != nil {
			return nil
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-next:
		case <-hb.C:
			if _, err := io.WriteString(w, ": ping\n\n"); err != nil {
				return nil
			}
		}
	}
}
