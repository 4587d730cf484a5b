// Package reportsapi serves the reports under /api/v1/reports: the call
// report (the "Reports" screen: one row per attempt, JSON pages and a
// streamed CSV), the recordings of the attempts (one file, or a streamed
// zip of every recording matching the report's filters, downloadable for
// 30 days), the ADS reports (Statistics by Campaign and Detailed
// Report), the per-flow daily email reports and the report catalogue
// (calls, queues, agents, campaigns; enabled per account).
package reportsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/reports/callreport"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

// Store is the persistence the handlers use (*store.Store implements it).
type Store interface {
	GetAccount(ctx context.Context, id int64) (store.Account, error)
	CallReport(ctx context.Context, f store.CallReportFilter) (store.CallReportPage, error)
	EachCallReportCells(ctx context.Context, f store.CallReportFilter, loc *time.Location, fn func(cells [][]byte) error) error
	GetAttempt(ctx context.Context, accountID int64, id string) (store.Attempt, error)
	ListAttemptRecordings(ctx context.Context, accountID int64, attemptID string) ([]store.Recording, error)
	GetRecording(ctx context.Context, accountID, id int64) (store.Recording, error)
	EachRecording(ctx context.Context, f store.CallReportFilter, fn func(store.Recording) error) error
	ADSStatistics(ctx context.Context, f store.ADSFilter) ([]store.ADSStatistics, error)
	EachADSDetail(ctx context.Context, f store.ADSFilter, fn func(*store.ADSDetail) error) error
	PutEmailReport(ctx context.Context, r store.EmailReport) (store.EmailReport, error)
	GetEmailReport(ctx context.Context, accountID, flowID int64) (store.EmailReport, error)
	ListEmailReports(ctx context.Context, accountID int64) ([]store.EmailReport, error)
	DeleteEmailReport(ctx context.Context, accountID, flowID int64) error
	EnabledReports(ctx context.Context, accountID int64) ([]string, error)
	QueueReport(ctx context.Context, f store.PeriodFilter) ([]store.QueueReportRow, error)
	AgentReport(ctx context.Context, f store.PeriodFilter) ([]store.AgentReportRow, error)
	CampaignReport(ctx context.Context, f store.PeriodFilter) ([]store.CampaignReportRow, error)
}

// Deps configures the handlers.
type Deps struct {
	Store Store
	// Recordings reads the recording files (ARI stored recordings or a
	// shared spool). Nil: recording downloads answer 503.
	Recordings recordings.Source
	// Window is how long recordings stay downloadable (default 30 days).
	Window time.Duration
	// Links signs the call report's recording URIs (recording_uri) into
	// download URLs; nil leaves them recording:<name>.
	Links *recordings.Links
	// Now is the clock (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Window <= 0 {
		d.Window = recordings.Window
	}
	h := &handler{d: d}
	g.GET("/reports/calls", api.WithAccount(h.calls))
	g.GET("/reports/calls.csv", api.WithAccount(h.callsCSV))
	g.GET("/reports/attempts/:id/recordings", api.WithAccount(h.attemptRecordings))
	g.GET("/reports/recordings/:id", api.WithAccount(h.recording))
	g.GET("/reports/recordings.zip", api.WithAccount(h.recordingsZip))
	g.GET("/reports/ads/statistics", api.WithAccount(h.adsStatistics))
	g.GET("/reports/ads/statistics.csv", api.WithAccount(h.adsStatisticsCSV))
	g.GET("/reports/ads/detailed", api.WithAccount(h.adsDetailed))
	g.GET("/reports/ads/detailed.csv", api.WithAccount(h.adsDetailedCSV))
	g.GET("/reports/email", api.WithAccount(h.listEmail))
	g.GET("/reports/email/:flow", api.WithAccount(h.getEmail))
	g.PUT("/reports/email/:flow", api.WithAccount(h.putEmail))
	g.DELETE("/reports/email/:flow", api.WithAccount(h.deleteEmail))
	g.GET("/reports/catalogue", api.WithAccount(h.catalogue))
	g.GET("/reports/catalogue/:name", api.WithAccount(h.catalogueReport(false)))
	g.GET("/reports/catalogue/:name/csv", api.WithAccount(h.catalogueReport(true)))
}

type handler struct{ d Deps }

// location is the account's time zone.
func (h *handler) location(ctx context.Context, acct int64) (*time.Location, error) {
	a, err := h.d.Store.GetAccount(ctx, acct)
	if err != nil {
		return nil, err
	}
	return store.LoadLocation(a.Timezone), nil
}

// parseTime reads a from/to parameter: RFC 3339, or a date (YYYY-MM-DD)
// in the account's time zone; a "to" date is inclusive (up to the next
// local midnight).
func parseTime(field, v string, loc *time.Location, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, v, loc)
	if err != nil {
		return time.Time{}, api.Invalid(field, "want a date (YYYY-MM-DD) or an RFC 3339 time, got %q", v)
	}
	if end {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
	}
	return d, nil
}

// callFilter reads the call report's filters from the query string.
func callFilter(c echo.Context, acct int64, loc *time.Location) (store.CallReportFilter, error) {
	q := c.QueryParams()
	f := store.CallReportFilter{
		AccountID: acct,
		FlowType:  q.Get("flow_type"),
		FlowID:    q.Get("flow_id"),
		FlowName:  q.Get("flow_name"),
		CallID:    q.Get("call_id"),
		RequestID: q.Get("request_id"),
		Queue:     q.Get("queue"),
		Customer:  q.Get("customer"),
		SMS:       q.Get("sms"),
		Email:     q.Get("email"),
		After:     q.Get("after"),
	}
	var err error
	if f.From, err = parseTime("from", q.Get("from"), loc, false); err != nil {
		return f, err
	}
	if f.To, err = parseTime("to", q.Get("to"), loc, true); err != nil {
		return f, err
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxListLimit {
			return f, api.Invalid("limit", "want 1..%d, got %q", store.MaxListLimit, v)
		}
		f.Limit = n
	}
	return f, nil
}

// CallRow is a call report row as the API shows it.
type CallRow struct {
	store.CallReportRow
	// JourneyURL is the attempt's widget-by-widget journey (JSON).
	JourneyURL string `json:"journey_url"`
	// RecordingsURL lists the attempt's recordings.
	RecordingsURL string `json:"recordings_url"`
}

func (h *handler) calls(c echo.Context, acct int64) error {
	ctx := c.Request().Context()
	loc, err := h.location(ctx, acct)
	if err != nil {
		return err
	}
	f, err := callFilter(c, acct, loc)
	if err != nil {
		return err
	}
	p, err := h.d.Store.CallReport(ctx, f)
	if err != nil {
		return err
	}
	rows := make([]CallRow, len(p.Rows))
	for i, r := range p.Rows {
		r.RecordingURI = h.link(r.RecordingURI)
		rows[i] = CallRow{
			CallReportRow: r,
			JourneyURL:    "/api/v1/calls/" + r.AttemptID + "/journey",
			RecordingsURL: "/api/v1/reports/attempts/" + r.AttemptID + "/recordings",
		}
	}
	return c.JSON(http.StatusOK, struct {
		Rows []CallRow `json:"rows"`
		Next string    `json:"next,omitempty"`
	}{rows, p.Next})
}

func (h *handler) callsCSV(c echo.Context, acct int64) error {
	ctx := c.Request().Context()
	loc, err := h.location(ctx, acct)
	if err != nil {
		return err
	}
	f, err := callFilter(c, acct, loc)
	if err != nil {
		return err
	}
	if f.After != "" {
		return api.Invalid("after", "the CSV download has every matching row; paging is for the JSON search")
	}
	return h.streamCSV(c, fmt.Sprintf("calls-%s.csv", h.d.Now().In(loc).Format("20060102-150405")), func(w *csvout.Writer) error {
		return callreport.WriteCSV(ctx, h.d.Store, f, loc, w, h.d.Links)
	})
}

// link is the download URL of a recording URI (recording:<name>) when
// links are configured; anything else is returned as it is.
func (h *handler) link(uri string) string {
	return callreport.Link(h.d.Links, uri)
}

// streamCSV answers with a CSV attachment written by fn, flushed to the
// client as it goes. Errors before the first byte are normal API errors;
// later ones abort the connection (the client sees a truncated download,
// never a short file that looks complete).
func (h *handler) streamCSV(c echo.Context, name string, fn func(w *csvout.Writer) error) error {
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	resp.Header().Set("X-Content-Type-Options", "nosniff")
	w := csvout.NewWriter(resp)
	w.Flushed = resp.Flush
	err := fn(w)
	if err == nil {
		err = w.Close()
	} else {
		w.Discard()
		_ = w.Close()
	}
	return h.after(c, err)
}

// after turns an error of a streamed answer into an API error (nothing
// sent yet) or an aborted connection.
func (h *handler) after(c echo.Context, err error) error {
	if err == nil {
		if !c.Response().Committed {
			c.Response().WriteHeader(http.StatusOK)
		}
		return nil
	}
	if !c.Response().Committed {
		return err
	}
	api.Logger(c).Error("report download failed after the first byte; aborting the response", "error", err)
	panic(http.ErrAbortHandler)
}

// ---- ADS reports ----

func (h *handler) adsFilter(c echo.Context, acct int64) (store.ADSFilter, error) {
	ctx := c.Request().Context()
	loc, err := h.location(ctx, acct)
	if err != nil {
		return store.ADSFilter{}, err
	}
	q := c.QueryParams()
	f := store.ADSFilter{AccountID: acct, Accountcode: strings.TrimSpace(q.Get("accountcode"))}
	if !dialer.ValidAccountcode(f.Accountcode) {
		return f, api.Invalid("accountcode", "at most %d printable ASCII characters without spaces", dialer.MaxAccountcode)
	}
	if f.Start, err = parseTime("start_date", q.Get("start_date"), loc, false); err != nil {
		return f, err
	}
	if f.End, err = parseTime("end_date", q.Get("end_date"), loc, true); err != nil {
		return f, err
	}
	for _, v := range q["campaign"] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			id, err := strconv.ParseInt(p, 10, 64)
			if err != nil || id <= 0 {
				return f, api.Invalid("campaign", "want campaign ids, got %q", p)
			}
			f.CampaignIDs = append(f.CampaignIDs, id)
		}
	}
	return f, nil
}

func (h *handler) adsStatistics(c echo.Context, acct int64) error {
	f, err := h.adsFilter(c, acct)
	if err != nil {
		return err
	}
	st, err := h.d.Store.ADSStatistics(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"campaigns": st})
}

// ADSStatisticsColumns is the CSV header of Statistics by Campaign: the
// report's returned fields (Type, Total, Percentage) as the dialer's report
// names them, after the campaign and which grouping (final status, dial
// attempts or tag) the row belongs to.
var ADSStatisticsColumns = []string{"Campaign", "Campaign Name", "Group", "Type", "Total", "Percentage"}

func (h *handler) adsStatisticsCSV(c echo.Context, acct int64) error {
	f, err := h.adsFilter(c, acct)
	if err != nil {
		return err
	}
	st, err := h.d.Store.ADSStatistics(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return h.streamCSV(c, "ads-statistics.csv", func(w *csvout.Writer) error {
		if err := w.WriteStrings(ADSStatisticsColumns...); err != nil {
			return err
		}
		for _, s := range st {
			for _, g := range []struct {
				name string
				cs   []store.ADSCount
			}{{"status", s.ByStatus}, {"attempts", s.ByAttempts}, {"tag", s.ByTag}} {
				for _, x := range g.cs {
					if err := w.WriteStrings(strconv.FormatInt(s.CampaignID, 10), s.CampaignName, g.name, x.Type,
						strconv.FormatInt(x.Total, 10), strconv.FormatFloat(x.Percentage, 'f', 2, 64)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

func (h *handler) adsDetailed(c echo.Context, acct int64) error {
	f, err := h.adsFilter(c, acct)
	if err != nil {
		return err
	}
	// Streamed as a JSON array: the report has every record.
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	bw := csvout.NewWriter(resp) // reused as a pooled, flushing byte buffer
	bw.Flushed = resp.Flush
	first := true
	err = bw.WriteRaw([]byte(`{"records":[`))
	if err == nil {
		err = h.d.Store.EachADSDetail(c.Request().Context(), f, func(d *store.ADSDetail) error {
			b, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if !first {
				b = append([]byte{','}, b...)
			}
			first = false
			return bw.WriteRaw(b)
		})
	}
	if err == nil {
		err = bw.WriteRaw([]byte("]}\n"))
	}
	if err == nil {
		err = bw.Close()
	} else {
		bw.Discard()
		_ = bw.Close()
	}
	return h.after(c, err)
}

// ADSDetailedColumns is the CSV header of the Detailed Report: its returned
// fields (Record, Tries, Status, Duration, Time, Tags) as the dialer's report
// names them, after the campaign (one or more campaigns may be selected).
var ADSDetailedColumns = []string{"Campaign", "Record", "Tries", "Status", "Duration", "Time", "Tags"}

func (h *handler) adsDetailedCSV(c echo.Context, acct int64) error {
	f, err := h.adsFilter(c, acct)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	loc, err := h.location(ctx, acct)
	if err != nil {
		return err
	}
	return h.streamCSV(c, "ads-detailed.csv", func(w *csvout.Writer) error {
		if err := w.WriteStrings(ADSDetailedColumns...); err != nil {
			return err
		}
		return h.d.Store.EachADSDetail(ctx, f, func(d *store.ADSDetail) error {
			t := ""
			if d.Time != nil {
				t = d.Time.In(loc).Format(store.ReportTimeLayout)
			}
			return w.WriteStrings(strconv.FormatInt(d.CampaignID, 10), d.Record, strconv.Itoa(d.Tries), d.Status,
				strconv.FormatInt(d.DurationS, 10), t, strings.Join(d.Tags, ","))
		})
	})
}

// ---- email reports ----

func flowParam(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("flow"), 10, 64)
	if err != nil || id <= 0 {
		return 0, api.Invalid("flow", "must be a flow id (positive integer), got %q", c.Param("flow"))
	}
	return id, nil
}

func (h *handler) listEmail(c echo.Context, acct int64) error {
	rs, err := h.d.Store.ListEmailReports(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"email_reports": rs})
}

func (h *handler) getEmail(c echo.Context, acct int64) error {
	id, err := flowParam(c)
	if err != nil {
		return err
	}
	r, err := h.d.Store.GetEmailReport(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

// EmailInput is an email report as clients send it.
type EmailInput struct {
	To  string `json:"to"`
	CC  string `json:"cc"`
	BCC string `json:"bcc"`
}

func (h *handler) putEmail(c echo.Context, acct int64) error {
	id, err := flowParam(c)
	if err != nil {
		return err
	}
	var in EmailInput
	if err := api.DecodeJSON(c, &in, 64<<10); err != nil {
		return err // names the field; the OpenAPI spec shows {"to", "cc", "bcc"}
	}
	for _, l := range []struct {
		field, v string
		required bool
	}{{"to", in.To, true}, {"cc", in.CC, false}, {"bcc", in.BCC, false}} {
		if _, _, err := store.ParseAddressList(l.field, l.v, l.required); err != nil {
			return err // coded: names the field, says what is wrong
		}
	}
	r, err := h.d.Store.PutEmailReport(c.Request().Context(), store.EmailReport{AccountID: acct, FlowID: id, To: in.To, CC: in.CC, BCC: in.BCC})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *handler) deleteEmail(c echo.Context, acct int64) error {
	id, err := flowParam(c)
	if err != nil {
		return err
	}
	if err := h.d.Store.DeleteEmailReport(c.Request().Context(), acct, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- catalogue ----

func (h *handler) catalogue(c echo.Context, acct int64) error {
	on, err := h.d.Store.EnabledReports(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	type entry struct {
		Name    string `json:"name"`
		Enabled bool   `json:"enabled"`
		URL     string `json:"url"`
		CSVURL  string `json:"csv_url"`
	}
	out := []entry{}
	for _, n := range store.CatalogueReports {
		e := entry{Name: n, URL: "/api/v1/reports/catalogue/" + n, CSVURL: "/api/v1/reports/catalogue/" + n + "/csv"}
		for _, x := range on {
			e.Enabled = e.Enabled || x == n
		}
		out = append(out, e)
	}
	return c.JSON(http.StatusOK, map[string]any{"reports": out})
}

// Catalogue CSV headers.
var (
	QueueReportColumns    = []string{"queue_id", "queue_name", "calls", "answered", "abandoned", "timeout", "other", "avg_wait_s", "max_wait_s"}
	AgentReportColumns    = []string{"agent_id", "agent_name", "offered", "answered", "missed", "abandoned", "talk_s", "avg_talk_s", "wrap_up_s", "recordings"}
	CampaignReportColumns = []string{"campaign_id", "name", "status", "started_at", "ended_at", "records", "pending", "in_process", "complete", "attempts"}
)

func (h *handler) catalogueReport(asCSV bool) func(c echo.Context, acct int64) error {
	return func(c echo.Context, acct int64) error {
		ctx := c.Request().Context()
		name := c.Param("name")
		known := false
		for _, n := range store.CatalogueReports {
			known = known || n == name
		}
		if !known {
			return api.NotFound("no report %q (the catalogue has %s)", name, strings.Join(store.CatalogueReports, ", "))
		}
		on, err := h.d.Store.EnabledReports(ctx, acct)
		if err != nil {
			return err
		}
		enabled := false
		for _, n := range on {
			enabled = enabled || n == name
		}
		if !enabled {
			return api.Forbidden("the %q report is not enabled for this account; ask your Switchyard operator to enable it", name)
		}
		if name == store.ReportCalls {
			if asCSV {
				return h.callsCSV(c, acct)
			}
			return h.calls(c, acct)
		}
		loc, err := h.location(ctx, acct)
		if err != nil {
			return err
		}
		pf := store.PeriodFilter{AccountID: acct}
		if pf.From, err = parseTime("from", c.QueryParam("from"), loc, false); err != nil {
			return err
		}
		if pf.To, err = parseTime("to", c.QueryParam("to"), loc, true); err != nil {
			return err
		}
		var (
			rows   any
			header []string
			lines  [][]string
		)
		f1 := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
		i64 := func(v int64) string { return strconv.FormatInt(v, 10) }
		switch name {
		case store.ReportQueues:
			rs, err := h.d.Store.QueueReport(ctx, pf)
			if err != nil {
				return err
			}
			rows, header = rs, QueueReportColumns
			for _, r := range rs {
				lines = append(lines, []string{i64(r.QueueID), r.QueueName, i64(r.Calls), i64(r.Answered), i64(r.Abandoned), i64(r.Timeout), i64(r.Other), f1(r.AvgWaitS), f1(r.MaxWaitS)})
			}
		case store.ReportAgents:
			rs, err := h.d.Store.AgentReport(ctx, pf)
			if err != nil {
				return err
			}
			rows, header = rs, AgentReportColumns
			for _, r := range rs {
				lines = append(lines, []string{i64(r.AgentID), r.AgentName, i64(r.Offered), i64(r.Answered), i64(r.Missed), i64(r.Abandoned), f1(r.TalkS), f1(r.AvgTalkS), f1(r.WrapUpS), i64(r.Recordings)})
			}
		case store.ReportCampaigns:
			rs, err := h.d.Store.CampaignReport(ctx, pf)
			if err != nil {
				return err
			}
			rows, header = rs, CampaignReportColumns
			ft := func(t *time.Time) string {
				if t == nil {
					return ""
				}
				return t.In(loc).Format(store.ReportTimeLayout)
			}
			for _, r := range rs {
				lines = append(lines, []string{i64(r.CampaignID), r.Name, r.Status, ft(r.StartedAt), ft(r.EndedAt), i64(r.Records), i64(r.Pending), i64(r.InProcess), i64(r.Complete), i64(r.Attempts)})
			}
		}
		if !asCSV {
			return c.JSON(http.StatusOK, map[string]any{"report": name, "rows": rows})
		}
		return h.streamCSV(c, name+".csv", func(w *csvout.Writer) error {
			if err := w.WriteStrings(header...); err != nil {
				return err
			}
			for _, l := range lines {
				if err := w.WriteStrings(l...); err != nil {
					return err
				}
			}
			return nil
		})
	}
}
