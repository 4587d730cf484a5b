package calllistapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/store"
)

// UploadResponse lists the results in upload order.
type UploadResponse struct {
	Files []FileResult `json:"files"`
}

// upload is POST /api/v1/calllists/uploads?flow_id=&format=: a multipart
// body with one or more "file" parts (.csv or .zip). Each CSV becomes a
// request; a file-level problem rejects that file only. Files stream from
// the body (a zip is spooled to a temp file: its directory is at the end).
func (h *handler) upload(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	format, err := calllist.ParseFormat(c.QueryParam("format"))
	if err != nil {
		return api.Invalid("format", "%v", err)
	}
	f, err := h.d.Intake.Flow(ctx, acc, c.QueryParam("flow_id"))
	if err != nil {
		return err
	}
	if err := intake.CheckListMeta(c.QueryParam("name"), c.QueryParam("accountcode")); err != nil {
		return err
	}
	if err := tooLarge(c, MaxUploadBody, "the upload"); err != nil {
		return err
	}
	capBody(c, MaxUploadBody)
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: "expected a multipart/form-data body with one or more \"file\" parts: " + err.Error()}
	}
	up, err := h.d.Intake.Begin(ctx, acc, f, format, store.SourceUpload)
	if err != nil {
		return err
	}
	var resp UploadResponse
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if isMaxBytes(err) {
				return &api.Error{Code: "payload_too_large", Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("the upload exceeds %d MB", MaxUploadBody>>20)}
			}
			return &api.Error{Code: api.CodeBadRequest, Message: "malformed multipart body: " + err.Error()}
		}
		if part.FormName() != "file" || part.FileName() == "" {
			_ = part.Close()
			continue
		}
		name := path.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
		res, err := h.d.Intake.Import(ctx, up, name, part)
		if err != nil {
			var ae *api.Error
			if errors.As(err, &ae) {
				return err
			}
			return &api.Error{Code: api.CodeBadRequest, Message: "reading the upload: " + err.Error()}
		}
		resp.Files = append(resp.Files, res...)
		_ = part.Close()
	}
	if len(resp.Files) == 0 {
		return api.Invalid("file", "no file in the upload: send one or more multipart parts named \"file\"")
	}
	if err := h.d.Intake.ApplyListMeta(ctx, acc, resp.Files, c.QueryParam("name"), c.QueryParam("accountcode")); err != nil {
		return err
	}
	if h.d.UploadStatus != nil {
		// Email Status for direct uploads too, off the request.
		go h.d.UploadStatus(context.WithoutCancel(ctx), acc, f, "a direct upload (API)", resp.Files)
	}
	return c.JSON(http.StatusOK, resp)
}

// template is GET /api/v1/calllists/template?flow_id=: the flow's CSV
// template (headers from its declared variables).
func (h *handler) template(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	f, err := h.d.Intake.Flow(c.Request().Context(), acc, c.QueryParam("flow_id"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="calllist-template-%s.csv"`, safeName(f.ID)))
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", calllist.Template(f.Variables))
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

func parseTimeParam(c echo.Context, name string, loc *time.Location) (*time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return nil, nil
	}
	t, err := calllist.ParseISOTime(v, loc)
	if err != nil {
		return nil, api.Invalid(name, "%v", err)
	}
	return &t, nil
}

func intParam(c echo.Context, name string, def int) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, api.Invalid(name, "must be a non-negative integer")
	}
	return n, nil
}

// listRequests is the request summary dashboard: GET
// /api/v1/calllists/requests?from=&to=&request_id=&flow_type=&flow_id=&limit=&offset=
func (h *handler) listRequests(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	f := store.RequestFilter{AccountID: acc, RequestID: c.QueryParam("request_id"), FlowType: c.QueryParam("flow_type"), FlowID: c.QueryParam("flow_id")}
	loc := time.UTC
	if c.QueryParam("from") != "" || c.QueryParam("to") != "" {
		// The account's zone, for times written without an offset (read
		// only when the filter has times: polling a request's summary
		// costs one query less).
		loc = h.d.Intake.Location(c.Request().Context(), acc)
	}
	if f.From, err = parseTimeParam(c, "from", loc); err != nil {
		return err
	}
	if f.To, err = parseTimeParam(c, "to", loc); err != nil {
		return err
	}
	if f.Limit, err = intParam(c, "limit", 50); err != nil {
		return err
	}
	if f.Limit > store.MaxListLimit {
		return api.Invalid("limit", "at most %d", store.MaxListLimit)
	}
	if f.Offset, err = intParam(c, "offset", 0); err != nil {
		return err
	}
	if f.FlowType != "" && f.FlowType != intake.FlowTypeOutbound && f.FlowType != intake.FlowTypeDialer {
		return api.Invalid("flow_type", "must be %s or %s", intake.FlowTypeOutbound, intake.FlowTypeDialer)
	}
	rs, err := h.d.Store.ListCallListRequests(c.Request().Context(), f)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []store.CallListRequest{}
	}
	return c.JSON(http.StatusOK, map[string]any{"requests": rs})
}

// RequestDetail is a request with a page of its records.
type RequestDetail struct {
	store.CallListRequest
	Records []store.CallListRecord `json:"records"`
	// NextAfter continues the records: ?after=<NextAfter>; 0 at the end.
	NextAfter int64 `json:"next_after,omitempty"`
}

// getRequest is GET /api/v1/calllists/requests/:id?after=&limit=
func (h *handler) getRequest(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	req, err := h.request(ctx, acc, c.Param("id"))
	if err != nil {
		return err
	}
	after, err := intParam(c, "after", 0)
	if err != nil {
		return err
	}
	limit, err := intParam(c, "limit", 100)
	if err != nil {
		return err
	}
	if limit == 0 || limit > store.MaxListLimit {
		return api.Invalid("limit", "between 1 and %d", store.MaxListLimit)
	}
	recs, err := h.d.Store.ListCallListRecords(ctx, acc, req.ID, int64(after), limit)
	if err != nil {
		return err
	}
	d := RequestDetail{CallListRequest: req, Records: recs}
	if d.Records == nil {
		d.Records = []store.CallListRecord{}
	}
	if len(recs) == limit {
		d.NextAfter = recs[len(recs)-1].Row
	}
	return c.JSON(http.StatusOK, d)
}

// report is GET /api/v1/calllists/requests/:id/report.csv: one line per
// uploaded row with its status and reason, streamed.
func (h *handler) report(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	req, err := h.request(ctx, acc, c.Param("id"))
	if err != nil {
		return err
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	w.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="request-%s.csv"`, req.ID))
	w.WriteHeader(http.StatusOK)
	if err := h.d.Intake.WriteReport(ctx, w, acc, req.ID); err != nil {
		// The status line is out; all we can do is log and cut the body.
		api.Logger(c).Error("status report interrupted", "request_id", req.ID, "err", err)
	}
	return nil
}

// ---- white/blacklists and DNC ----

// EntryInput is the body of POST /api/v1/calllists/access-lists.
type EntryInput struct {
	List  string `json:"list"`  // white | black
	Kind  string `json:"kind"`  // phone | email | ipv4 | domain
	Value string `json:"value"` // a phone number is normalised with the default country
}

func (h *handler) listEntries(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	list := c.QueryParam("list")
	if list != store.ListWhite && list != store.ListBlack {
		return api.Invalid("list", "must be white or black")
	}
	es, err := h.d.Store.ListListEntries(c.Request().Context(), acc, list, c.QueryParam("kind"))
	if err != nil {
		return err
	}
	if es == nil {
		es = []store.ListEntry{}
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": es})
}

func (h *handler) addEntry(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	if !isJSON(c) {
		return &api.Error{Code: "unsupported_media_type", Status: http.StatusUnsupportedMediaType,
			Message: `send the entry as JSON {"list","kind","value"} with Content-Type: application/json`}
	}
	var in EntryInput
	if err := c.Bind(&in); err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: "body must be JSON {list, kind, value}", Err: err}
	}
	if in.List == store.ListWhite && in.Kind == store.KindPhone {
		return api.Invalid("kind", "a phone number is whitelisted after OTP verification: POST /api/v1/calllists/access-lists/phone-otp, then phone-verify")
	}
	v := in.Value
	if in.Kind == store.KindPhone {
		e, err := calllist.Normalize(v, h.d.Intake.Region(c.Request().Context(), acc))
		if err != nil {
			return api.Invalid("value", "%v", err)
		}
		v = e
	}
	e, err := h.d.Store.AddListEntry(c.Request().Context(), acc, in.List, in.Kind, v, false)
	if err != nil {
		// The store's ErrInvalid names its field (list, kind or value) and
		// its ErrConflict says what is already there: they map as they are.
		return err
	}
	return c.JSON(http.StatusCreated, e)
}

func (h *handler) deleteEntry(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return api.Invalid("id", "must be an integer")
	}
	if err := h.d.Store.DeleteListEntry(c.Request().Context(), acc, id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return api.NotFound("list entry %d not found", id)
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// uploadDNC is POST /api/v1/calllists/dnc: a multipart "file" (or a plain
// text body) with one DNC/NDNC entry per line: a number, or a prefix
// ending in "*" ("+9114*"). The first CSV column is used; a header line
// without digits is skipped.
func (h *handler) uploadDNC(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	if err := tooLarge(c, MaxDNCBody, "the DNC list"); err != nil {
		return err
	}
	capBody(c, MaxDNCBody)
	var r io.Reader = c.Request().Body
	name := "dnc"
	if strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEMultipartForm) {
		mr, err := c.Request().MultipartReader()
		if err != nil {
			return &api.Error{Code: api.CodeBadRequest, Message: "malformed multipart body: " + err.Error()}
		}
		var part *multipart.Part
		for {
			p, err := mr.NextPart()
			if err != nil {
				return api.Invalid("file", "no \"file\" part in the upload")
			}
			if p.FormName() == "file" {
				part = p
				break
			}
		}
		r, name = part, path.Base(part.FileName())
	}
	resp, err := h.d.Intake.ImportDNC(c.Request().Context(), acc, name, r)
	if err != nil {
		if isMaxBytes(err) {
			return &api.Error{Code: "payload_too_large", Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("the DNC list exceeds %d MB", MaxDNCBody>>20)}
		}
		return err
	}
	return c.JSON(http.StatusOK, resp)
}

// OTPInput is the body of phone-otp ({value}) and phone-verify ({value, otp}).
type OTPInput struct {
	Value string `json:"value"`
	OTP   string `json:"otp,omitempty"`
}

// sendOTP is POST /api/v1/calllists/access-lists/phone-otp: a voice call
// reads a one-time code to the number (a phone number is whitelisted only
// once verified through OTP; at most 10 per account).
func (h *handler) sendOTP(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	var in OTPInput
	if err := c.Bind(&in); err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: "body must be JSON {value}", Err: err}
	}
	phone, err := h.d.Intake.SendOTP(c.Request().Context(), acc, in.Value)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"phone": phone, "expires_in_seconds": int(store.OTPTTL.Seconds())})
}

// verifyOTP is POST /api/v1/calllists/access-lists/phone-verify.
func (h *handler) verifyOTP(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	var in OTPInput
	if err := c.Bind(&in); err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: "body must be JSON {value, otp}", Err: err}
	}
	e, err := h.d.Intake.VerifyOTP(c.Request().Context(), acc, in.Value, in.OTP)
	if err != nil {
		return err // coded: the store says what is wrong with the OTP
	}
	return c.JSON(http.StatusCreated, e)
}

// request loads one of the account's call-list requests; unknown → 404.
func (h *handler) request(ctx context.Context, acc int64, id string) (store.CallListRequest, error) {
	req, err := h.d.Store.GetCallListRequest(ctx, acc, id)
	if errors.Is(err, store.ErrNotFound) {
		return req, api.NotFound("request %q not found", id)
	}
	return req, err
}

// isJSON reports whether the request says its body is JSON.
func isJSON(c echo.Context) bool {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == echo.MIMEApplicationJSON || strings.HasSuffix(mt, "+json"))
}
