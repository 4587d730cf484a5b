// Package notifyapi serves Emergency Notification under /api/v1/notify:
// the address book (contacts, single add, bulk add from CSV with its
// template and per-row report), labels, the notification flows, preview
// and send, and the per-recipient, per-channel report of each
// notification (JSON and CSV). The handlers only decode the request,
// call the notify service and encode its answer.
package notifyapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/notify"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/store"
)

// Service is the notify service as the handlers use it (*notify.Service
// implements it).
type Service interface {
	CreateContact(ctx context.Context, acc int64, in notify.ContactInput) (store.Contact, error)
	UpdateContact(ctx context.Context, acc, id int64, in notify.ContactInput) (store.Contact, error)
	GetContact(ctx context.Context, acc, id int64) (store.Contact, error)
	ListContacts(ctx context.Context, acc int64, f store.ContactFilter) ([]store.Contact, error)
	DeleteContact(ctx context.Context, acc, id int64) error
	BulkAdd(ctx context.Context, acc int64, mode, strategy string, r io.Reader) (notify.BulkResult, error)

	CreateLabel(ctx context.Context, acc int64, in notify.LabelInput) (store.Label, error)
	UpdateLabel(ctx context.Context, acc, id int64, in notify.LabelInput) (store.Label, error)
	GetLabel(ctx context.Context, acc, id int64) (store.Label, error)
	ListLabels(ctx context.Context, acc int64) ([]store.Label, error)
	DeleteLabel(ctx context.Context, acc, id int64) error

	NotificationFlows(ctx context.Context, acc int64, list func(ctx context.Context, acc int64) ([]store.Flow, error)) ([]notify.FlowInfo, error)
	Preview(ctx context.Context, acc int64, req notify.SendRequest) (notify.Preview, error)
	Send(ctx context.Context, acc int64, req notify.SendRequest, by string) (store.Notification, error)
	ListNotifications(ctx context.Context, acc int64) ([]store.Notification, error)
	Report(ctx context.Context, acc, id int64) (notify.Report, error)
	Deliveries(ctx context.Context, acc, id, afterID int64, limit int) ([]store.Delivery, error)
	EachDelivery(ctx context.Context, acc, id int64, fn func(store.Delivery) error) error
}

// Store is what the handlers read besides the service: the flows (to
// list the notification flows) and users (to name who sent).
type Store interface {
	ListFlows(ctx context.Context, accountID int64) ([]store.Flow, error)
	GetUserByID(ctx context.Context, id int64) (store.User, error)
	// AccountLocation is the account's time zone (the report's times).
	AccountLocation(ctx context.Context, accountID int64) (*time.Location, error)
}

// Deps configures the handlers.
type Deps struct {
	Service Service
	Store   Store
}

// bulkOverhead is what a multipart body adds to the file it carries.
const bulkOverhead = 64 << 10

// BodyLimits are the routes with their own body limits (the bulk add file).
func BodyLimits() map[string]int64 {
	return map[string]int64{http.MethodPost + " /api/v1/notify/contacts/bulk": notify.MaxBulkBytes + bulkOverhead}
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Service == nil || d.Store == nil {
		panic("notifyapi: Deps.Service and Deps.Store are required")
	}
	h := &handler{d: d}
	g.GET("/notify/contacts", api.WithAccount(h.listContacts))
	g.POST("/notify/contacts", api.WithAccount(api.Create(d.Service.CreateContact)))
	g.GET("/notify/contacts/template", api.WithAccount(h.template))
	g.POST("/notify/contacts/bulk", api.WithAccount(h.bulk))
	g.GET("/notify/contacts/:id", api.WithAccount(api.Read(d.Service.GetContact)))
	g.PUT("/notify/contacts/:id", api.WithAccount(api.Update(d.Service.UpdateContact)))
	g.DELETE("/notify/contacts/:id", api.WithAccount(api.Delete(d.Service.DeleteContact)))
	g.GET("/notify/labels", api.WithAccount(h.listLabels))
	g.POST("/notify/labels", api.WithAccount(api.Create(d.Service.CreateLabel)))
	g.GET("/notify/labels/:id", api.WithAccount(api.Read(d.Service.GetLabel)))
	g.PUT("/notify/labels/:id", api.WithAccount(api.Update(d.Service.UpdateLabel)))
	g.DELETE("/notify/labels/:id", api.WithAccount(api.Delete(d.Service.DeleteLabel)))
	g.GET("/notify/flows", api.WithAccount(h.flows))
	g.POST("/notify/preview", api.WithAccount(h.preview))
	g.GET("/notify/notifications", api.WithAccount(h.listNotifications))
	g.POST("/notify/notifications", api.WithAccount(h.send))
	g.GET("/notify/notifications/:id", api.WithAccount(h.report))
	g.GET("/notify/notifications/:id/deliveries", api.WithAccount(h.deliveries))
	g.GET("/notify/notifications/:id/report.csv", api.WithAccount(h.reportCSV))
}

type handler struct{ d Deps }

func (h *handler) listContacts(c echo.Context, acc int64) error {
	after, err := int64Param(c, "after")
	if err != nil {
		return err
	}
	limit, err := int64Param(c, "limit")
	if err != nil {
		return err
	}
	if limit > store.MaxListLimit {
		return api.Invalid("limit", "at most %d", store.MaxListLimit)
	}
	cs, err := h.d.Service.ListContacts(c.Request().Context(), acc, store.ContactFilter{Text: c.QueryParam("filter"), AfterID: after, Limit: int(limit)})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"contacts": cs})
}

// template is the bulk add template file.
func (h *handler) template(c echo.Context, _ int64) error {
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="address-book-template.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", notify.Template())
}

// bulk is POST /notify/contacts/bulk?mode=new|update&strategy=default|force
// with the CSV as the multipart field "file" or as the body (text/csv).
// It answers the per-row report as CSV (an attachment), the counts in
// the headers X-Created, X-Updated and X-Rejected; with Accept:
// application/json, the report as JSON.
func (h *handler) bulk(c echo.Context, acc int64) error {
	var file io.Reader
	var ct string
	if h := c.Request().Header.Get(echo.HeaderContentType); h != "" {
		var err error
		if ct, _, err = mime.ParseMediaType(h); err != nil {
			return api.Invalid("Content-Type", "not a media type: send the CSV as multipart/form-data (field \"file\") or as text/csv")
		}
	}
	if ct == "multipart/form-data" {
		fh, err := c.FormFile("file")
		if err != nil {
			return api.Invalid("file", "the multipart body needs the CSV file in the field \"file\"")
		}
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("notifyapi: open upload: %w", err)
		}
		defer f.Close()
		file = f
	} else {
		file = c.Request().Body
	}
	mode, strategy := c.QueryParam("mode"), c.QueryParam("strategy")
	if mode == "" {
		mode = c.FormValue("mode")
	}
	if strategy == "" {
		strategy = c.FormValue("strategy")
	}
	res, err := h.d.Service.BulkAdd(c.Request().Context(), acc, mode, strategy, file)
	if err != nil {
		return err
	}
	if strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "application/json") {
		return c.JSON(http.StatusOK, res)
	}
	var b bytes.Buffer
	if err := notify.WriteBulkReport(&b, res); err != nil {
		return fmt.Errorf("notifyapi: bulk report: %w", err)
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, `attachment; filename="address-book-upload-report.csv"`)
	hd.Set("X-Created", strconv.Itoa(res.Created))
	hd.Set("X-Updated", strconv.Itoa(res.Updated))
	hd.Set("X-Rejected", strconv.Itoa(res.Rejected))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

func (h *handler) listLabels(c echo.Context, acc int64) error {
	ls, err := h.d.Service.ListLabels(c.Request().Context(), acc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"labels": ls})
}

func (h *handler) flows(c echo.Context, acc int64) error {
	fs, err := h.d.Service.NotificationFlows(c.Request().Context(), acc, h.d.Store.ListFlows)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"flows": fs})
}

func (h *handler) preview(c echo.Context, acc int64) error {
	var in notify.SendRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	p, err := h.d.Service.Preview(c.Request().Context(), acc, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h *handler) send(c echo.Context, acc int64) error {
	var in notify.SendRequest
	if err := decode(c, &in); err != nil {
		return err
	}
	n, err := h.d.Service.Send(c.Request().Context(), acc, in, h.who(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, n)
}

func (h *handler) listNotifications(c echo.Context, acc int64) error {
	ns, err := h.d.Service.ListNotifications(c.Request().Context(), acc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"notifications": ns})
}

func (h *handler) report(c echo.Context, acc int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	r, err := h.d.Service.Report(c.Request().Context(), acc, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *handler) deliveries(c echo.Context, acc int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	after, err := int64Param(c, "after")
	if err != nil {
		return err
	}
	limit, err := int64Param(c, "limit")
	if err != nil {
		return err
	}
	if limit > store.MaxListLimit {
		return api.Invalid("limit", "at most %d", store.MaxListLimit)
	}
	if limit == 0 {
		limit = 200
	}
	ds, err := h.d.Service.Deliveries(c.Request().Context(), acc, id, after, int(limit))
	if err != nil {
		return err
	}
	resp := map[string]any{"deliveries": ds}
	if len(ds) == int(limit) {
		resp["next_after"] = ds[len(ds)-1].ID
	}
	return c.JSON(http.StatusOK, resp)
}

// reportCSV streams every delivery: recipient, channel, destination,
// status, reason, time (of its last change, in the account's time zone,
// as the other reports); cells that a spreadsheet would run as a formula
// are neutralised. A failure after the first byte aborts the response, so
// a cut report never looks complete.
func (h *handler) reportCSV(c echo.Context, acc int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.d.Service.Report(ctx, acc, id); err != nil {
		return err
	}
	loc, err := h.d.Store.AccountLocation(ctx, acc)
	if err != nil {
		return fmt.Errorf("notification report: account %d: %w", acc, err)
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	resp.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="notification-%d-report.csv"`, id))
	resp.Header().Set("X-Content-Type-Options", "nosniff")
	w := csvout.NewWriter(resp)
	w.Flushed = resp.Flush
	err = w.WriteStrings("recipient", "channel", "destination", "status", "reason", "time")
	if err == nil {
		err = h.d.Service.EachDelivery(ctx, acc, id, func(d store.Delivery) error {
			return w.WriteStrings(d.ContactName, d.Channel, d.Destination, d.Status, d.Reason, d.UpdatedAt.In(loc).Format(store.ReportTimeLayout))
		})
	}
	if err == nil {
		return w.Close()
	}
	w.Discard()
	_ = w.Close()
	if !resp.Committed {
		return err
	}
	api.Logger(c).Error("notification report download failed after the first byte; aborting the response", "error", err)
	panic(http.ErrAbortHandler)
}

// who names the caller: the user's email, or the API key.
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

func int64Param(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, api.Invalid(name, "must be a non-negative integer, got %q", api.Clip(v))
	}
	return n, nil
}

// decode reads one JSON object (unknown fields refused).
func decode(c echo.Context, dst any) error { return api.DecodeJSON(c, dst, api.MaxJSONBody) }
