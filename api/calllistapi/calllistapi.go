// Package calllistapi serves call lists over HTTP: the outbound-flow trigger
// webservice (under /api/v1 and at its original /kairos-apis paths, so
// existing clients only change the host), multipart upload of CSV / zip /
// ADS files, the Request Summary Dashboard with its detail view and
// per-request status report CSV, the flow's CSV template, and the account's
// white/blacklists and DNC entries.
//
// The handlers decode the request, call the call-list intake service
// (dialer/calllist/intake: importing, validation, DNC lists, OTP, status
// reports — the same service the email upload uses) and encode its answer.
package calllistapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/store"
)

// Store is the persistence the handlers use beside the intake service
// (*store.Store implements it).
type Store interface {
	AuthenticateAPIKey(ctx context.Context, key string) (store.Principal, error)
	ListCallListRequests(ctx context.Context, f store.RequestFilter) ([]store.CallListRequest, error)
	GetCallListRequest(ctx context.Context, accountID int64, id string) (store.CallListRequest, error)
	ListCallListRecords(ctx context.Context, accountID int64, requestID string, afterRow int64, limit int) ([]store.CallListRecord, error)
	AddListEntry(ctx context.Context, accountID int64, list, kind, value string, verified bool) (store.ListEntry, error)
	ListListEntries(ctx context.Context, accountID int64, list, kind string) ([]store.ListEntry, error)
	DeleteListEntry(ctx context.Context, accountID, id int64) error
	AccountCountry(ctx context.Context, accountID int64) (string, error)
	SetCallListMeta(ctx context.Context, accountID int64, requestID string, m store.CallListMeta) (store.CallListRequest, error)
	SetAccountCountry(ctx context.Context, accountID int64, country string) error
}

// Deps configures the handlers.
type Deps struct {
	Store Store
	// Intake imports, validates and reports call lists (the same service
	// the email upload uses).
	Intake *intake.Importer
	// ClientIP returns the caller's address for the IP whitelist. Nil uses
	// the TCP peer address (set it to echo's RealIP only behind a trusted
	// proxy that sets X-Forwarded-For).
	ClientIP func(c echo.Context) string
	// AllowWithoutIPWhitelist lets the trigger API through for an account
	// that whitelisted no IP address. The trigger API is only for callers
	// whose IP address the account whitelisted, so the default is to refuse.
	AllowWithoutIPWhitelist bool
	Logger                  *slog.Logger
	// MailAddress gives a flow's email-upload address ("" when email
	// upload is off); nil: off.
	MailAddress func(accountID int64, flowID string) string
	// UploadStatus sends the flow's Email Status for a direct upload
	// (MailServer.UploadStatus when email is on; nil: none).
	UploadStatus func(ctx context.Context, accountID int64, f intake.Flow, who string, results []FileResult)
}

// The response bodies are the intake service's results.
type (
	// FileResult is the outcome of one uploaded file.
	FileResult = intake.FileResult
	// TriggerResponse answers a trigger request.
	TriggerResponse = intake.TriggerResult
	// CallOutcome is the status of one call of a trigger request.
	CallOutcome = intake.CallOutcome
	// DNCResponse reports a DNC list import.
	DNCResponse = intake.DNCResult
	// RowReason is a rejected line of a DNC list.
	RowReason = intake.RowReason
)

// ReportHeader is the status report's CSV header.
var ReportHeader = intake.ReportHeader

// OTPDigits is the length of the verification code.
const OTPDigits = intake.OTPDigits

// Caps.
const (
	// MaxTriggerBody caps a trigger request body (500 calls fit easily).
	MaxTriggerBody = 1 << 20
	// MaxUploadBody caps a multipart upload (a 25 MB zip plus form overhead).
	MaxUploadBody = intake.MaxUploadBytes
	// MaxDNCBody caps a DNC list upload.
	MaxDNCBody = 50 << 20
)

// BodyLimits are the routes that take more than the server's default
// (JSON) body limit, for api.Deps.RouteBodyLimits.
func BodyLimits() map[string]int64 {
	return map[string]int64{
		http.MethodPost + " /api/v1/calllists/uploads": MaxUploadBody,
		http.MethodPost + " /api/v1/calllists/dnc":     MaxDNCBody,
	}
}

type handler struct {
	d   Deps
	log *slog.Logger
}

func newHandler(d Deps) *handler {
	if d.Store == nil || d.Intake == nil {
		panic("calllistapi: Deps.Store and Deps.Intake are required")
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{d: d, log: log.With("component", "calllistapi")}
}

// Routes lists the routes Register adds (method, path under the group).
var Routes = []struct{ Method, Path string }{
	{http.MethodPost, "/calllists/trigger"},
	{http.MethodPost, "/calllists/uploads"},
	{http.MethodGet, "/calllists/template"},
	{http.MethodGet, "/calllists/requests"},
	{http.MethodGet, "/calllists/requests/:id"},
	{http.MethodPatch, "/calllists/requests/:id"},
	{http.MethodGet, "/calllists/requests/:id/report.csv"},
	{http.MethodGet, "/calllists/access-lists"},
	{http.MethodPost, "/calllists/access-lists"},
	{http.MethodDelete, "/calllists/access-lists/:id"},
	{http.MethodPost, "/calllists/access-lists/phone-otp"},
	{http.MethodPost, "/calllists/access-lists/phone-verify"},
	{http.MethodPost, "/calllists/dnc"},
	{http.MethodGet, "/calllists/email-address"},
	{http.MethodGet, "/account/country"},
	{http.MethodPut, "/account/country"},
}

// KairosRoutes are the trigger webservice's original paths (RegisterKairos).
var KairosRoutes = []string{"/kairos-apis/outbound/create", "/kairos-apis/outbounddialer/create"}

// Register adds the authenticated routes to g (the /api/v1 group, whose
// middleware sets api.PrincipalFrom).
func Register(g *echo.Group, d Deps) {
	h := newHandler(d)
	g.POST("/calllists/trigger", h.triggerV1)
	g.POST("/calllists/uploads", h.upload)
	g.GET("/calllists/template", h.template)
	g.GET("/calllists/requests", h.listRequests)
	g.GET("/calllists/requests/:id", h.getRequest)
	g.PATCH("/calllists/requests/:id", h.patchRequest)
	g.GET("/calllists/requests/:id/report.csv", h.report)
	g.GET("/calllists/access-lists", h.listEntries)
	g.POST("/calllists/access-lists", h.addEntry)
	g.DELETE("/calllists/access-lists/:id", h.deleteEntry)
	g.POST("/calllists/access-lists/phone-otp", h.sendOTP)
	g.POST("/calllists/access-lists/phone-verify", h.verifyOTP)
	g.POST("/calllists/dnc", h.uploadDNC)
	g.GET("/calllists/email-address", h.emailAddress)
	g.GET("/account/country", h.getCountry)
	g.PUT("/account/country", h.putCountry)
}

// RegisterKairos adds the original trigger paths to an UNauthenticated group
// (e.g. srv.Echo().Group("")): there the body's security-id (an account API
// key) is the authentication.
func RegisterKairos(g *echo.Group, d Deps) {
	h := newHandler(d)
	g.POST("/kairos-apis/outbound/create", func(c echo.Context) error { return h.triggerKairos(c, intake.FlowTypeOutbound) })
	g.POST("/kairos-apis/outbounddialer/create", func(c echo.Context) error { return h.triggerKairos(c, intake.FlowTypeDialer) })
}

func principal(c echo.Context) (int64, error) {
	p, ok := api.PrincipalFrom(c)
	if !ok || p.AccountID <= 0 {
		return 0, api.ErrUnauthorized
	}
	return p.AccountID, nil
}

// ---- IP and domain whitelists (Whitelist → IP Address / Domain) ----

func (h *handler) clientIP(c echo.Context) string {
	if h.d.ClientIP != nil {
		return h.d.ClientIP(c)
	}
	host, _, err := net.SplitHostPort(c.Request().RemoteAddr)
	if err != nil {
		return c.Request().RemoteAddr
	}
	return host
}

// requestDomain is the host of the Origin header, else of the Referer.
func requestDomain(r *http.Request) string {
	for _, h := range []string{"Origin", "Referer"} {
		v := strings.TrimSpace(r.Header.Get(h))
		if v == "" || v == "null" {
			continue
		}
		if u, err := url.Parse(v); err == nil && u.Hostname() != "" {
			return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		}
	}
	return ""
}

// checkAccess enforces the account's IP whitelist (IPv4) and domain
// whitelist for the trigger webservice: a caller from elsewhere gets 403.
func (h *handler) checkAccess(c echo.Context, accountID int64) error {
	ctx := c.Request().Context()
	ips, err := h.d.Store.ListListEntries(ctx, accountID, store.ListWhite, store.KindIPv4)
	if err != nil {
		return err
	}
	ip := h.clientIP(c)
	if len(ips) == 0 {
		if !h.d.AllowWithoutIPWhitelist {
			return api.Forbidden("no IP address is whitelisted for this account: whitelist %s (Whitelist → IP Address) before calling the API", ip)
		}
	} else {
		parsed := net.ParseIP(ip)
		ok := false
		for _, e := range ips {
			if parsed != nil && parsed.To4() != nil && parsed.To4().String() == e.Value {
				ok = true
				break
			}
		}
		if !ok {
			return api.Forbidden("IP address %s is not whitelisted for this account (only whitelisted IPv4 addresses may call the API)", ip)
		}
	}
	domains, err := h.d.Store.ListListEntries(ctx, accountID, store.ListWhite, store.KindDomain)
	if err != nil {
		return err
	}
	if len(domains) > 0 {
		d := requestDomain(c.Request())
		if d == "" {
			return api.Forbidden("this account accepts API requests only from whitelisted domains: the request has no Origin or Referer header naming its domain")
		}
		for _, e := range domains {
			if d == e.Value || strings.HasSuffix(d, "."+e.Value) {
				return nil
			}
		}
		return api.Forbidden("domain %s is not whitelisted for this account (requests from other domains are refused)", d)
	}
	return nil
}

// capBody limits the request body; reading past it fails with a 413.
func capBody(c echo.Context, n int64) {
	r := c.Request()
	if r.ContentLength > n {
		return // checked by the caller via tooLarge
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, n)
}

func tooLarge(c echo.Context, n int64, what string) error {
	if c.Request().ContentLength > n {
		return &api.Error{Code: "payload_too_large", Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("%s is %d bytes, limit %d", what, c.Request().ContentLength, n)}
	}
	return nil
}

func isMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
