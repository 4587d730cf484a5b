// Package accountsapi serves login, sessions, users, API keys and the
// operator's account administration under /api/v1 (handlers only: the
// rules are the accounts service's; who may call which route is the
// access table in package api).
package accountsapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/accounts"
	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/store"
)

// Service is the accounts service as the handlers use it
// (*accounts.Service implements it).
type Service interface {
	Login(ctx context.Context, email, password string, accountID int64) (accounts.Session, error)
	SessionFor(ctx context.Context, token string) (accounts.Me, error)
	Logout(ctx context.Context, token string) error
	ChangePassword(ctx context.Context, me accounts.Me, current, next string) error
	RequestReset(ctx context.Context, email string)
	ConfirmReset(ctx context.Context, token, password string) error
	AcceptInvite(ctx context.Context, token, name, password string) (accounts.Session, error)

	ListUsers(ctx context.Context, actor accounts.Actor) ([]accounts.User, error)
	GetUser(ctx context.Context, actor accounts.Actor, id int64) (accounts.User, error)
	CreateUser(ctx context.Context, actor accounts.Actor, in accounts.NewUser) (accounts.User, string, error)
	UpdateUser(ctx context.Context, actor accounts.Actor, id int64, p accounts.UserPatch) (accounts.User, error)
	DeleteUser(ctx context.Context, actor accounts.Actor, id int64) error

	ListAPIKeys(ctx context.Context, actor accounts.Actor) ([]accounts.APIKey, error)
	CreateAPIKey(ctx context.Context, actor accounts.Actor, in accounts.NewAPIKey) (accounts.APIKey, string, error)
	RotateAPIKey(ctx context.Context, actor accounts.Actor, id int64) (accounts.APIKey, string, error)
	RevokeAPIKey(ctx context.Context, actor accounts.Actor, id int64) error

	ListAccounts(ctx context.Context) ([]accounts.Account, error)
	GetAccount(ctx context.Context, id int64) (accounts.Account, error)
	CreateAccount(ctx context.Context, in accounts.NewAccount) (accounts.Created, error)
	UpdateAccount(ctx context.Context, id int64, p accounts.AccountPatch) (accounts.Account, error)

	TransactionalMessaging(ctx context.Context, actor accounts.Actor) (accounts.Transactional, error)
	RequestTransactionalMessaging(ctx context.Context, actor accounts.Actor) (accounts.Transactional, error)
	PendingApprovals(ctx context.Context) ([]store.PendingFlowVersion, error)
	ReviewApproval(ctx context.Context, flowID int64, version int) (accounts.ApprovalReview, error)
	DecideApproval(ctx context.Context, actor accounts.Actor, flowID int64, version int, approve bool, reason string) (store.FlowVersion, error)

	AccountTimeZone(ctx context.Context, actor accounts.Actor) (string, error)
	SetAccountTimeZone(ctx context.Context, actor accounts.Actor, tz string) (string, error)
}

// Deps configures the handlers.
type Deps struct {
	Service Service
	// SecureCookie marks the session cookie Secure even on plain-HTTP
	// requests (the public URL is https: a TLS proxy is in front).
	SecureCookie bool
}

// Register adds the routes to the /api/v1 group.
func Register(g *echo.Group, d Deps) {
	h := &handler{d: d}
	g.POST("/auth/login", h.login)
	g.POST("/auth/logout", h.logout)
	g.GET("/auth/me", h.me)
	g.POST("/auth/password", h.changePassword)
	g.POST("/auth/password-reset", h.requestReset)
	g.POST("/auth/password-reset/confirm", h.confirmReset)
	g.POST("/auth/invite/accept", h.acceptInvite)

	g.GET("/users", h.listUsers)
	g.POST("/users", h.createUser)
	g.GET("/users/:id", h.getUser)
	g.PATCH("/users/:id", h.updateUser)
	g.DELETE("/users/:id", h.deleteUser)

	g.GET("/api-keys", h.listKeys)
	g.POST("/api-keys", h.createKey)
	g.POST("/api-keys/:id/rotate", h.rotateKey)
	g.DELETE("/api-keys/:id", h.revokeKey)

	g.GET("/operator/accounts", h.listAccounts)
	g.POST("/operator/accounts", h.createAccount)
	g.GET("/operator/accounts/:id", h.getAccount)
	g.PATCH("/operator/accounts/:id", h.updateAccount)

	g.GET("/operator/flow-approvals", h.listApprovals)
	g.GET("/operator/flow-approvals/:flow_id/:version", h.reviewApproval)
	g.POST("/operator/flow-approvals/:flow_id/:version/approve", h.approve)
	g.POST("/operator/flow-approvals/:flow_id/:version/reject", h.reject)

	g.GET("/account/transactional-messaging", h.getTransactional)
	g.POST("/account/transactional-messaging/request", h.requestTransactional)

	g.GET("/account/time-zone", h.getTimeZone)
	g.PUT("/account/time-zone", h.putTimeZone)
}

// Session adapts the service's session lookup to api.Deps.Session.
func Session(s Service) func(ctx context.Context, token string) (api.Principal, error) {
	return func(ctx context.Context, token string) (api.Principal, error) {
		me, err := s.SessionFor(ctx, token)
		if err != nil {
			if errors.Is(err, accounts.ErrNoSession) {
				return api.Principal{}, fmt.Errorf("%w: %w", api.ErrUnauthorized, err)
			}
			return api.Principal{}, err
		}
		return api.Principal{AccountID: me.Actor.AccountID, UserID: me.Actor.UserID, OperatorID: me.Actor.OperatorID,
			Role: me.Actor.Role, CSRF: me.CSRF}, nil
	}
}

type handler struct{ d Deps }

func actor(c echo.Context) (accounts.Actor, error) {
	p, ok := api.PrincipalFrom(c)
	if !ok {
		return accounts.Actor{}, api.ErrUnauthorized
	}
	return accounts.Actor{AccountID: p.AccountID, UserID: p.UserID, OperatorID: p.OperatorID, Role: p.Role}, nil
}

// ---- auth ----

type loginIn struct {
	Email     string `json:"email"`
	Password  string `json:"password"`
	AccountID int64  `json:"account_id"`
}

// meOut is the body of login, invite acceptance and /auth/me.
type meOut struct {
	User     accounts.User          `json:"user"`
	Account  *accounts.AccountBrief `json:"account"`
	CSRF     string                 `json:"csrf_token"`
	Operator bool                   `json:"operator"`
}

func meBody(m accounts.Me) meOut {
	return meOut{User: m.User, Account: m.Account, CSRF: m.CSRF, Operator: m.Operator}
}

func (h *handler) login(c echo.Context) error {
	if err := api.AuthAllowed(c); err != nil {
		return err
	}
	var in loginIn
	if err := decode(c, &in); err != nil {
		return err
	}
	sess, err := h.d.Service.Login(c.Request().Context(), in.Email, in.Password, in.AccountID)
	if err != nil {
		if errors.Is(err, accounts.ErrBadLogin) {
			api.AuthFailed(c)
		}
		return err
	}
	h.setCookie(c, sess.Token, sess.ExpiresAt)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, meBody(sess.Me))
}

func (h *handler) secure(c echo.Context) bool { return h.d.SecureCookie || c.Request().TLS != nil }

func (h *handler) setCookie(c echo.Context, token string, expires time.Time) {
	c.SetCookie(&http.Cookie{Name: api.SessionCookie, Value: token, Path: "/", Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: h.secure(c), SameSite: http.SameSiteStrictMode})
}

func (h *handler) clearCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: api.SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: h.secure(c), SameSite: http.SameSiteStrictMode})
}

func sessionToken(c echo.Context) string {
	if ck, err := c.Cookie(api.SessionCookie); err == nil {
		return ck.Value
	}
	return ""
}

func (h *handler) logout(c echo.Context) error {
	// With an API key there is no session to end.
	if p, _ := api.PrincipalFrom(c); p.KeyID == 0 {
		if err := h.d.Service.Logout(c.Request().Context(), sessionToken(c)); err != nil {
			return err
		}
		h.clearCookie(c)
	}
	return c.NoContent(http.StatusNoContent)
}

// session returns the caller's login session (API keys have none).
func (h *handler) session(c echo.Context) (accounts.Me, error) {
	if p, _ := api.PrincipalFrom(c); p.KeyID != 0 {
		return accounts.Me{}, &api.Error{Code: api.CodeUnauthorized, Message: "this endpoint needs a login session, not an API key"}
	}
	me, err := h.d.Service.SessionFor(c.Request().Context(), sessionToken(c))
	if err != nil {
		if errors.Is(err, accounts.ErrNoSession) {
			h.clearCookie(c)
		}
		return accounts.Me{}, err
	}
	return me, nil
}

func (h *handler) me(c echo.Context) error {
	me, err := h.session(c)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, meBody(me))
}

func (h *handler) changePassword(c echo.Context) error {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	me, err := h.session(c)
	if err != nil {
		return err
	}
	if err := h.d.Service.ChangePassword(c.Request().Context(), me, in.Current, in.New); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handler) requestReset(c echo.Context) error {
	var in struct {
		Email string `json:"email"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	h.d.Service.RequestReset(c.Request().Context(), in.Email)
	return c.NoContent(http.StatusAccepted)
}

func (h *handler) confirmReset(c echo.Context) error {
	if err := api.AuthAllowed(c); err != nil {
		return err
	}
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if err := h.d.Service.ConfirmReset(c.Request().Context(), in.Token, in.Password); err != nil {
		if errors.Is(err, accounts.ErrBadToken) {
			api.AuthFailed(c)
		}
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handler) acceptInvite(c echo.Context) error {
	if err := api.AuthAllowed(c); err != nil {
		return err
	}
	var in struct {
		Token    string `json:"token"`
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	sess, err := h.d.Service.AcceptInvite(c.Request().Context(), in.Token, in.Name, in.Password)
	if err != nil {
		if errors.Is(err, accounts.ErrBadToken) {
			api.AuthFailed(c)
		}
		return err
	}
	h.setCookie(c, sess.Token, sess.ExpiresAt)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, meBody(sess.Me))
}

// ---- users ----

func (h *handler) listUsers(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	us, err := h.d.Service.ListUsers(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"users": us})
}

func (h *handler) getUser(c echo.Context) error {
	a, id, err := actorAndID(c)
	if err != nil {
		return err
	}
	u, err := h.d.Service.GetUser(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (h *handler) createUser(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	var in struct {
		Email    string `json:"email"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
		Invite   bool   `json:"invite"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	u, link, err := h.d.Service.CreateUser(c.Request().Context(), a, accounts.NewUser{Email: in.Email, Name: in.Name, Role: in.Role,
		Password: in.Password, Invite: in.Invite})
	if err != nil {
		return err
	}
	out := map[string]any{"user": u}
	if link != "" {
		out["invite_url"] = link
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *handler) updateUser(c echo.Context) error {
	a, id, err := actorAndID(c)
	if err != nil {
		return err
	}
	var in struct {
		Name     *string `json:"name"`
		Role     *string `json:"role"`
		Disabled *bool   `json:"disabled"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	u, err := h.d.Service.UpdateUser(c.Request().Context(), a, id, accounts.UserPatch{Name: in.Name, Role: in.Role, Disabled: in.Disabled})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u)
}

func (h *handler) deleteUser(c echo.Context) error {
	a, id, err := actorAndID(c)
	if err != nil {
		return err
	}
	if err := h.d.Service.DeleteUser(c.Request().Context(), a, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- API keys ----

func (h *handler) listKeys(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	ks, err := h.d.Service.ListAPIKeys(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"api_keys": ks})
}

type keyOut struct {
	Key    accounts.APIKey `json:"key"`
	APIKey string          `json:"api_key"`
}

func (h *handler) createKey(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	var in struct {
		Name   string `json:"name"`
		Role   string `json:"role"`
		UserID int64  `json:"user_id"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	k, plain, err := h.d.Service.CreateAPIKey(c.Request().Context(), a, accounts.NewAPIKey{Name: in.Name, Role: in.Role, UserID: in.UserID})
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, keyOut{Key: k, APIKey: plain})
}

func (h *handler) rotateKey(c echo.Context) error {
	a, id, err := actorAndID(c)
	if err != nil {
		return err
	}
	k, plain, err := h.d.Service.RotateAPIKey(c.Request().Context(), a, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, keyOut{Key: k, APIKey: plain})
}

func (h *handler) revokeKey(c echo.Context) error {
	a, id, err := actorAndID(c)
	if err != nil {
		return err
	}
	if err := h.d.Service.RevokeAPIKey(c.Request().Context(), a, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- operator ----

func (h *handler) listAccounts(c echo.Context) error {
	as, err := h.d.Service.ListAccounts(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"accounts": as})
}

func (h *handler) getAccount(c echo.Context) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	a, err := h.d.Service.GetAccount(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *handler) createAccount(c echo.Context) error {
	var in struct {
		Name          string `json:"name"`
		OwnerEmail    string `json:"owner_email"`
		OwnerPassword string `json:"owner_password"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	cr, err := h.d.Service.CreateAccount(c.Request().Context(), accounts.NewAccount{Name: in.Name, OwnerEmail: in.OwnerEmail, OwnerPassword: in.OwnerPassword})
	if err != nil {
		return err
	}
	out := map[string]any{"account": cr.Account, "owner": cr.Owner}
	if cr.InviteURL != "" {
		out["invite_url"] = cr.InviteURL
	}
	return c.JSON(http.StatusCreated, out)
}

func (h *handler) updateAccount(c echo.Context) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Disabled   *bool               `json:"disabled"`
		Reports    map[string]bool     `json:"reports"`
		HTTPPolicy *accounts.HTTPGrant `json:"http_policy"`
		TimeZone   *string             `json:"time_zone"`
		Country    *string             `json:"country"`
		// Transactional: the operator's switch (the extended contract).
		Transactional *bool `json:"transactional_messaging"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := h.d.Service.UpdateAccount(c.Request().Context(), id, accounts.AccountPatch{Disabled: in.Disabled, Reports: in.Reports,
		HTTP: in.HTTPPolicy, TimeZone: in.TimeZone, Country: in.Country, TransactionalMessaging: in.Transactional})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

// ---- flow approvals (operator) ----

func (h *handler) listApprovals(c echo.Context) error {
	ps, err := h.d.Service.PendingApprovals(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"approvals": ps})
}

// flowVersionPath is the {flow_id} and {version} of an approval path.
func flowVersionPath(c echo.Context) (int64, int, error) {
	id, err := strconv.ParseInt(c.Param("flow_id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, 0, api.Invalid("flow_id", "must be a positive integer, got %q", api.Clip(c.Param("flow_id")))
	}
	v, err := strconv.Atoi(c.Param("version"))
	if err != nil || v <= 0 {
		return 0, 0, api.Invalid("version", "must be a positive integer, got %q", api.Clip(c.Param("version")))
	}
	return id, v, nil
}

func (h *handler) reviewApproval(c echo.Context) error {
	id, v, err := flowVersionPath(c)
	if err != nil {
		return err
	}
	r, err := h.d.Service.ReviewApproval(c.Request().Context(), id, v)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}

func (h *handler) approve(c echo.Context) error {
	return h.decide(c, true, "")
}

func (h *handler) reject(c echo.Context) error {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	return h.decide(c, false, in.Reason)
}

func (h *handler) decide(c echo.Context, approve bool, reason string) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	id, ver, err := flowVersionPath(c)
	if err != nil {
		return err
	}
	v, err := h.d.Service.DecideApproval(c.Request().Context(), a, id, ver, approve, reason)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, v)
}

// ---- account settings ----

func (h *handler) getTransactional(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	t, err := h.d.Service.TransactionalMessaging(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

func (h *handler) requestTransactional(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	t, err := h.d.Service.RequestTransactionalMessaging(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, t)
}

// timeZoneBody is the body of the account time-zone routes.
type timeZoneBody struct {
	TimeZone string `json:"time_zone"`
}

func (h *handler) getTimeZone(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	tz, err := h.d.Service.AccountTimeZone(c.Request().Context(), a)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, timeZoneBody{TimeZone: tz})
}

func (h *handler) putTimeZone(c echo.Context) error {
	a, err := actor(c)
	if err != nil {
		return err
	}
	var in timeZoneBody
	if err := decode(c, &in); err != nil {
		return err
	}
	tz, err := h.d.Service.SetAccountTimeZone(c.Request().Context(), a, in.TimeZone)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, timeZoneBody{TimeZone: tz})
}

// ---- helpers ----

// actorAndID is the caller and the {id} of the path.
func actorAndID(c echo.Context) (accounts.Actor, int64, error) {
	a, err := actor(c)
	if err != nil {
		return accounts.Actor{}, 0, err
	}
	id, err := api.PathID(c, "id")
	return a, id, err
}

const maxBody = 16 << 10

// decode reads one JSON object into v; unknown fields are refused. The
// body must be declared application/json: an HTML form on another site
// cannot send that (without a CORS preflight this server never answers),
// so a cross-site form cannot log a browser in or spend its tokens.
func decode(c echo.Context, v any) error {
	if ct, _, _ := strings.Cut(c.Request().Header.Get(echo.HeaderContentType), ";"); !strings.EqualFold(strings.TrimSpace(ct), echo.MIMEApplicationJSON) {
		return &api.Error{Code: "unsupported_media_type", Status: http.StatusUnsupportedMediaType, Message: "send the body as Content-Type: application/json"}
	}
	return api.DecodeJSON(c, v, maxBody)
}
