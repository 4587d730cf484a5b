// Package messagingapi serves an account's message log under /api/v1
// (the SMS and email it sent, with their delivery status, filtered by
// channel, recipient, status, period and source; as JSON pages or a CSV
// download) and, outside /api/v1, the SMS gateway's delivery reports.
package messagingapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/store"
)

// Store lists messages and knows the account's time zone (*store.Store).
type Store interface {
	ListMessages(ctx context.Context, f store.MessageFilter) ([]store.Message, error)
	GetAccount(ctx context.Context, id int64) (store.Account, error)
}

// Deps configures the handlers.
type Deps struct {
	Store Store
	// Reports handles the gateway's delivery reports
	// (messaging.Service.ReportHandler); nil serves none.
	Reports http.Handler
	Now     func() time.Time
}

// ReportPath is the delivery-report route (messaging.ReportPath).
const ReportPath = "/sms/dlr"

// Register adds the message log to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Now == nil {
		d.Now = time.Now
	}
	h := &handler{d: d}
	g.GET("/messages", api.WithAccount(h.list))
	g.GET("/messages.csv", api.WithAccount(h.csv))
}

// RegisterReports adds the delivery-report endpoint (no login: each
// report carries its message's token).
func RegisterReports(e *echo.Echo, d Deps) {
	if d.Reports == nil {
		return
	}
	e.GET(ReportPath, echo.WrapHandler(d.Reports))
}

type handler struct{ d Deps }

// page is one page of the log, newest first; next_before_id asks for the
// next page (absent on the last).
type page struct {
	Messages     []store.Message `json:"messages"`
	NextBeforeID int64           `json:"next_before_id,omitempty"`
}

// parseTime reads a from/to parameter: RFC 3339, or a date (YYYY-MM-DD)
// in the account's time zone; a "to" date is inclusive.
func parseTime(field, v string, loc *time.Location, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, api.Invalid(field, "want a date (YYYY-MM-DD) or an RFC 3339 time, got %q", api.Clip(v))
	}
	if end {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
	}
	return d, nil
}

// filter reads the filters: channel, to, status, from, to_date (the
// period), source (flow|campaign|notification), source_id, before_id,
// limit.
func (h *handler) filter(c echo.Context, acct int64) (store.MessageFilter, *time.Location, error) {
	a, err := h.d.Store.GetAccount(c.Request().Context(), acct)
	if err != nil {
		return store.MessageFilter{}, nil, err
	}
	loc := store.LoadLocation(a.Timezone)
	q := c.QueryParams()
	f := store.MessageFilter{AccountID: acct, Channel: q.Get("channel"), Status: q.Get("status"), SourceKind: q.Get("source")}
	f.To = strings.TrimSpace(q.Get("to"))
	if f.Channel == store.ChannelEmail || strings.Contains(f.To, "@") {
		f.To = strings.ToLower(f.To)
	} else if f.To != "" {
		f.To = strings.NewReplacer(" ", "", "-", "", "(", "", ")", "", ".", "").Replace(f.To)
	}
	switch f.SourceKind {
	case "", "flow", "campaign", "notification":
	default:
		return f, nil, api.Invalid("source", "want flow, campaign or notification, got %q", api.Clip(f.SourceKind))
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"source_id", &f.SourceID}, {"before_id", &f.BeforeID}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, nil, api.Invalid(p.name, "want a positive id, got %q", api.Clip(v))
			}
			*p.dst = n
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 || n > store.MaxListLimit {
			return f, nil, api.Invalid("limit", "want 1 to %d, got %q", store.MaxListLimit, api.Clip(v))
		}
		f.Limit = n
	}
	if f.From, err = parseTime("from", q.Get("from"), loc, false); err != nil {
		return f, nil, err
	}
	if f.Until, err = parseTime("to_date", q.Get("to_date"), loc, true); err != nil {
		return f, nil, err
	}
	return f, loc, nil
}

func (h *handler) list(c echo.Context, acct int64) error {
	f, _, err := h.filter(c, acct)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	ms, err := h.d.Store.ListMessages(c.Request().Context(), f)
	if err != nil {
		return err
	}
	p := page{Messages: ms}
	if len(ms) == f.Limit {
		p.NextBeforeID = ms[len(ms)-1].ID
	}
	return c.JSON(http.StatusOK, p)
}

// csvHeader is the download's columns.
var csvHeader = []string{"id", "created_at", "updated_at", "channel", "to", "subject", "body", "status", "reason",
	"source", "source_id", "source_ref"}

// csv streams every matching message (page by page), times in the
// account's time zone; cells that a spreadsheet would run as a formula are
// neutralised.
func (h *handler) csv(c echo.Context, acct int64) error {
	f, loc, err := h.filter(c, acct)
	if err != nil {
		return err
	}
	limit := f.Limit // 0: all
	f.Limit = store.MaxListLimit
	ctx := c.Request().Context()
	first, err := h.d.Store.ListMessages(ctx, f)
	if err != nil {
		return err
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q",
		"messages-"+h.d.Now().In(loc).Format("20060102-150405")+".csv"))
	resp.Header().Set("X-Content-Type-Options", "nosniff")
	w := csvout.NewWriter(resp)
	w.Flushed = resp.Flush
	err = w.WriteStrings(csvHeader...)
	n := 0
	for ms := first; err == nil && len(ms) > 0; {
		for _, m := range ms {
			if limit > 0 && n >= limit {
				break
			}
			n++
			if err = w.WriteStrings(strconv.FormatInt(m.ID, 10), m.CreatedAt.In(loc).Format(time.DateTime),
				m.UpdatedAt.In(loc).Format(time.DateTime), m.Channel, m.To, m.Subject, m.Body, m.Status, m.Reason,
				m.SourceKind, idOrEmpty(m.SourceID), m.SourceRef); err != nil {
				break
			}
		}
		if err != nil || len(ms) < f.Limit || (limit > 0 && n >= limit) {
			break
		}
		f.BeforeID = ms[len(ms)-1].ID
		ms, err = h.d.Store.ListMessages(ctx, f)
	}
	if err == nil {
		return w.Close()
	}
	w.Discard()
	_ = w.Close()
	if !resp.Committed {
		return err
	}
	api.Logger(c).Error("message download failed after the first byte; aborting the response", "error", err)
	panic(http.ErrAbortHandler)
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}
