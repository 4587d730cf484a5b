package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/accounts"
	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/mail/mailtest"
)

// TestAccessTableCoversRoutes: every route the daemon registers has an
// entry in the one access table (a missing one would be refused to
// everybody), and every /api/v1 entry is a served route.
func TestAccessTableCoversRoutes(t *testing.T) {
	a, _ := boot(t, noARI)
	table := api.AccessTable()
	served := map[string]bool{}
	for _, r := range a.HTTP().Echo().Routes() {
		k := r.Method + " " + r.Path
		served[k] = true
		if _, ok := table[k]; !ok {
			t.Errorf("route %s is missing from the access table in api/roles.go", k)
		}
	}
	for k := range table {
		if strings.Contains(k, " /api/v1/") && !served[k] {
			t.Errorf("access table entry %s names no served route", k)
		}
	}
}

// client is a browser-like caller: it keeps the session cookie and the
// CSRF token by hand (so the test sees both).
type client struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
	csrf   string
	key    string
}

func newClient(t *testing.T, a *app.App) *client { return &client{t: t, base: "http://" + a.Addr()} }

type resp struct {
	code   int
	body   []byte
	header http.Header
	ck     []*http.Cookie
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r resp) errCode(t *testing.T) string {
	t.Helper()
	var b api.ErrorBody
	r.json(t, &b)
	return b.Error.Code
}

// do sends a request; withCSRF adds the CSRF header when a token is held.
func (c *client) do(method, path string, body any, withCSRF bool) resp {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if c.cookie != nil {
		req.AddCookie(c.cookie)
	}
	if withCSRF && c.csrf != "" {
		req.Header.Set(api.CSRFHeader, c.csrf)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	out := resp{code: res.StatusCode, body: b, header: res.Header, ck: res.Cookies()}
	for _, ck := range out.ck {
		if ck.Name == api.SessionCookie {
			if ck.MaxAge < 0 || ck.Value == "" {
				c.cookie = nil
			} else {
				c.cookie = ck
			}
		}
	}
	return out
}

type meBody struct {
	User     accounts.User          `json:"user"`
	Account  *accounts.AccountBrief `json:"account"`
	CSRF     string                 `json:"csrf_token"`
	Operator bool                   `json:"operator"`
}

func (c *client) login(email, password string) resp {
	c.t.Helper()
	r := c.do("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, false)
	if r.code == 200 {
		var m meBody
		r.json(c.t, &m)
		c.csrf = m.CSRF
	}
	return r
}

func mustCode(t *testing.T, what string, r resp, want int) {
	t.Helper()
	if r.code != want {
		t.Fatalf("%s: %d %s, want %d", what, r.code, r.body, want)
	}
}

func newAccount(t *testing.T, a *app.App, name, email, password string) accounts.Created {
	t.Helper()
	c, err := a.Accounts().CreateAccount(context.Background(), accounts.NewAccount{Name: name, OwnerEmail: email, OwnerPassword: password})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConsoleLoginSession: login sets an HttpOnly SameSite=Strict cookie;
// /auth/me answers with the user and the CSRF token; a change without
// the CSRF header is refused (403 csrf), with it allowed; logout ends the
// session.
func TestConsoleLoginSession(t *testing.T) {
	a, _ := boot(t, noARI)
	newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	c := newClient(t, a)

	r := c.login("Boss@Acme.test", "correct horse")
	mustCode(t, "login", r, 200)
	var ck *http.Cookie
	for _, k := range r.ck {
		if k.Name == api.SessionCookie {
			ck = k
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Secure || len(ck.Value) < 40 {
		t.Fatalf("session cookie %+v", ck)
	}
	var m meBody
	r.json(t, &m)
	if m.User.Email != "boss@acme.test" || m.User.Role != "owner" || m.Account == nil || m.Account.Name != "acme" || m.CSRF == "" || m.Operator {
		t.Fatalf("login body %s", r.body)
	}

	r = c.do("GET", "/api/v1/auth/me", nil, false)
	mustCode(t, "me", r, 200)
	var me meBody
	r.json(t, &me)
	if me.User.ID != m.User.ID || me.CSRF != m.CSRF {
		t.Fatalf("me %s, login %s", r.body, m.CSRF)
	}
	// whoami shows the session's principal.
	r = c.do("GET", "/api/v1/whoami", nil, false)
	if r.code != 200 || !strings.Contains(string(r.body), `"role":"owner"`) {
		t.Fatalf("whoami %d %s", r.code, r.body)
	}

	newUser := map[string]any{"email": "ann@acme.test", "name": "Ann", "role": "scheduler", "password": "ann's password"}
	r = c.do("POST", "/api/v1/users", newUser, false)
	mustCode(t, "create user without CSRF", r, 403)
	if r.errCode(t) != api.CodeCSRF {
		t.Fatalf("code %s", r.body)
	}
	saved := c.csrf
	c.csrf = "wrong" + saved[5:]
	mustCode(t, "create user with a wrong CSRF token", c.do("POST", "/api/v1/users", newUser, true), 403)
	c.csrf = saved
	mustCode(t, "create user with CSRF", c.do("POST", "/api/v1/users", newUser, true), 201)
	r = c.do("GET", "/api/v1/users", nil, false)
	if r.code != 200 || !strings.Contains(string(r.body), "ann@acme.test") {
		t.Fatalf("users %d %s", r.code, r.body)
	}

	// Logout needs the CSRF token too; afterwards the old cookie is dead.
	old := c.cookie
	mustCode(t, "logout without CSRF", c.do("POST", "/api/v1/auth/logout", nil, false), 403)
	r = c.do("POST", "/api/v1/auth/logout", nil, true)
	mustCode(t, "logout", r, 204)
	if c.cookie != nil {
		t.Fatal("logout did not clear the cookie")
	}
	c.cookie = old
	mustCode(t, "me after logout", c.do("GET", "/api/v1/auth/me", nil, false), 401)

	// A login from a cross-site form (not JSON) is refused.
	req, err := http.NewRequest("POST", c.base+"/api/v1/auth/login", strings.NewReader(`{"email":"boss@acme.test","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType || len(res.Cookies()) != 0 {
		t.Fatalf("text/plain login: %d %v", res.StatusCode, res.Cookies())
	}

	// Wrong password and unknown email answer alike.
	r1, r2 := c.login("boss@acme.test", "wrong password"), c.login("nobody@acme.test", "wrong password")
	if r1.code != 401 || r2.code != 401 || !strings.Contains(string(r1.body), "wrong email or password") ||
		!strings.Contains(string(r2.body), "wrong email or password") {
		t.Fatalf("bad logins: %d %s / %d %s", r1.code, r1.body, r2.code, r2.body)
	}
}

// TestConsoleLockout: after 5 failed logins for an email, even the right
// password is refused (429 locked) for a while; other emails are not.
func TestConsoleLockout(t *testing.T) {
	a, _ := boot(t, noARI)
	newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	newAccount(t, a, "other", "eve@other.test", "eve's password")
	c := newClient(t, a)
	for i := range accounts.DefaultLockoutFailures {
		mustCode(t, "failure "+strconv.Itoa(i), c.login("boss@acme.test", "guess "+strconv.Itoa(i)), 401)
	}
	r := c.login("boss@acme.test", "correct horse")
	mustCode(t, "locked login", r, 429)
	if r.errCode(t) != "locked" {
		t.Fatalf("code %s", r.body)
	}
	mustCode(t, "another email", c.login("eve@other.test", "eve's password"), 200)
}

// TestConsoleRateLimitPerAddress: past the per-address burst of failures,
// logins from the address get 429 rate_limited whatever the email.
func TestConsoleRateLimitPerAddress(t *testing.T) {
	a, _ := boot(t, noARI)
	newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	c := newClient(t, a)
	// (The bucket refills one failure per 6 s; a slow machine may need a
	// few more failures than the burst to drain it.)
	limited := false
	for i := 0; i < 2*api.AuthFailBurst && !limited; i++ {
		r := c.login("u"+strconv.Itoa(i)+"@acme.test", "nope nope")
		switch {
		case r.code == 429:
			limited = true
		case r.code != 401:
			t.Fatalf("failure %d: %d %s", i, r.code, r.body)
		case i >= 2*api.AuthFailBurst-1:
			t.Fatal("never rate limited")
		}
	}
	r := c.login("boss@acme.test", "correct horse")
	if r.code != 429 || r.errCode(t) != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Fatalf("%d %s", r.code, r.body)
	}
}

var linkRE = regexp.MustCompile(`#/(reset|invite)\?token=([A-Za-z0-9_-]+)`)

// tokenIn finds the token of a mailed link (quoted-printable decoded).
func tokenIn(t *testing.T, msg []byte) string {
	t.Helper()
	body := strings.ReplaceAll(strings.ReplaceAll(string(msg), "=\r\n", ""), "=3D", "=")
	m := linkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in mail:\n%s", msg)
	}
	return strings.TrimSpace(m[2])
}

// TestConsolePasswordResetAndInvite: a reset mail goes through the relay
// to the user, its link works once and ends the old sessions; an unknown
// email gets the same 202 and no mail; an invited user sets a password
// and is logged in; a changed password ends the other sessions.
func TestConsolePasswordResetAndInvite(t *testing.T) {
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPRelay = sink.Addr
		c.MailFrom = "Switchyard <noreply@switchyard.test>"
		c.PublicURL = "http://console.switchyard.test"
	})
	newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	c, other := newClient(t, a), newClient(t, a)
	mustCode(t, "login", c.login("boss@acme.test", "correct horse"), 200)

	mustCode(t, "reset unknown", c.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": "nobody@acme.test"}, true), 202)
	mustCode(t, "reset", other.do("POST", "/api/v1/auth/password-reset", map[string]string{"email": "boss@acme.test"}, false), 202)
	msgs := sink.Wait(t, 1)
	if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "boss@acme.test" ||
		!strings.Contains(string(msgs[0].Data), "http://console.switchyard.test/#/reset?token=") {
		t.Fatalf("mails %+v", msgs)
	}
	tok := tokenIn(t, msgs[0].Data)
	mustCode(t, "confirm short password", other.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": tok, "password": "short"}, false), 422)
	mustCode(t, "confirm", other.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": tok, "password": "brand new pass"}, false), 204)
	r := other.do("POST", "/api/v1/auth/password-reset/confirm", map[string]string{"token": tok, "password": "another pass"}, false)
	mustCode(t, "confirm twice", r, 422)
	mustCode(t, "old session after reset", c.do("GET", "/api/v1/auth/me", nil, false), 401)
	mustCode(t, "old password", other.login("boss@acme.test", "correct horse"), 401)
	mustCode(t, "new password", c.login("boss@acme.test", "brand new pass"), 200)

	// Invite a user: the link is returned and mailed.
	r = c.do("POST", "/api/v1/users", map[string]any{"email": "sam@acme.test", "role": "supervisor", "invite": true}, true)
	mustCode(t, "invite", r, 201)
	var created struct {
		User      accounts.User `json:"user"`
		InviteURL string        `json:"invite_url"`
	}
	r.json(t, &created)
	if !created.User.Invited || !strings.HasPrefix(created.InviteURL, "http://console.switchyard.test/#/invite?token=") {
		t.Fatalf("invite %s", r.body)
	}
	msgs = sink.Wait(t, 2)
	if tokenIn(t, msgs[1].Data) != strings.SplitN(created.InviteURL, "token=", 2)[1] || msgs[1].To[0] != "sam@acme.test" {
		t.Fatalf("invite mail %+v", msgs[1])
	}
	sam := newClient(t, a)
	r = sam.do("POST", "/api/v1/auth/invite/accept", map[string]string{"token": strings.SplitN(created.InviteURL, "token=", 2)[1],
		"name": "Sam", "password": "sam's password"}, false)
	mustCode(t, "accept", r, 200)
	var m meBody
	r.json(t, &m)
	sam.csrf = m.CSRF
	if m.User.Name != "Sam" || m.User.Role != "supervisor" || sam.cookie == nil {
		t.Fatalf("accept %s", r.body)
	}
	mustCode(t, "accept twice", newClient(t, a).do("POST", "/api/v1/auth/invite/accept",
		map[string]string{"token": strings.SplitN(created.InviteURL, "token=", 2)[1], "password": "x password"}, false), 422)

	// Changing the password ends the other sessions, keeps this one.
	sam2 := newClient(t, a)
	mustCode(t, "second login", sam2.login("sam@acme.test", "sam's password"), 200)
	mustCode(t, "wrong current", sam.do("POST", "/api/v1/auth/password", map[string]string{"current_password": "nope nope", "new_password": "sam's new one"}, true), 422)
	r = sam.do("POST", "/api/v1/auth/password", map[string]string{"current_password": "sam's password", "new_password": "short"}, true)
	mustCode(t, "new password too short", r, 422)
	if !strings.Contains(string(r.body), `"field":"new_password"`) {
		t.Errorf("a too short new password is not refused on new_password: %s", r.body)
	}
	mustCode(t, "change", sam.do("POST", "/api/v1/auth/password", map[string]string{"current_password": "sam's password", "new_password": "sam's new one"}, true), 204)
	mustCode(t, "this session", sam.do("GET", "/api/v1/auth/me", nil, false), 200)
	mustCode(t, "other session", sam2.do("GET", "/api/v1/auth/me", nil, false), 401)
}

// TestConsoleRolesAndKeys: an agent gets 403 on admin and scheduler
// routes; API keys are created with a role, listed, rotated (the old key
// is refused) and revoked; a key cannot outrank its maker; an admin
// cannot touch owners and nobody removes the last owner.
func TestConsoleRolesAndKeys(t *testing.T) {
	a, _ := boot(t, noARI)
	acme := newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	owner := newClient(t, a)
	mustCode(t, "login", owner.login("boss@acme.test", "correct horse"), 200)
	for _, u := range []map[string]any{
		{"email": "agent@acme.test", "role": "agent", "password": "agent password"},
		{"email": "admin@acme.test", "role": "admin", "password": "admin password"},
	} {
		mustCode(t, "create "+u["email"].(string), owner.do("POST", "/api/v1/users", u, true), 201)
	}
	agent := newClient(t, a)
	mustCode(t, "agent login", agent.login("agent@acme.test", "agent password"), 200)
	for _, p := range []string{"/api/v1/users", "/api/v1/api-keys", "/api/v1/flows", "/api/v1/reports/calls", "/api/v1/operator/accounts"} {
		r := agent.do("GET", p, nil, false)
		if r.code != 403 || r.errCode(t) != api.CodeForbidden {
			t.Errorf("agent GET %s: %d %s", p, r.code, r.body)
		}
	}
	mustCode(t, "agent me", agent.do("GET", "/api/v1/auth/me", nil, false), 200)
	mustCode(t, "agent ui", agent.do("GET", "/api/v1/agent-ui", nil, false), 200)

	admin := newClient(t, a)
	mustCode(t, "admin login", admin.login("admin@acme.test", "admin password"), 200)
	r := admin.do("PATCH", "/api/v1/users/"+strconv.FormatInt(acme.Owner.ID, 10), map[string]any{"role": "agent"}, true)
	mustCode(t, "admin demotes owner", r, 403)
	mustCode(t, "admin makes owner", admin.do("POST", "/api/v1/users", map[string]any{"email": "o2@acme.test", "role": "owner", "password": "owner two pw"}, true), 403)
	mustCode(t, "admin owner key", admin.do("POST", "/api/v1/api-keys", map[string]any{"name": "x", "role": "owner"}, true), 403)
	r = owner.do("PATCH", "/api/v1/users/"+strconv.FormatInt(acme.Owner.ID, 10), map[string]any{"role": "admin"}, true)
	mustCode(t, "last owner demotes self", r, 409)
	mustCode(t, "last owner deleted", owner.do("DELETE", "/api/v1/users/"+strconv.FormatInt(acme.Owner.ID, 10), nil, true), 409)

	// API keys.
	r = admin.do("POST", "/api/v1/api-keys", map[string]any{"name": "crm", "role": "scheduler"}, true)
	mustCode(t, "create key", r, 201)
	var k struct {
		Key    accounts.APIKey `json:"key"`
		APIKey string          `json:"api_key"`
	}
	r.json(t, &k)
	if k.Key.Role != "scheduler" || k.Key.UserID != nil || !strings.HasPrefix(k.APIKey, "sy_"+k.Key.Prefix) {
		t.Fatalf("key %s", r.body)
	}
	crm := &client{t: t, base: "http://" + a.Addr(), key: k.APIKey}
	mustCode(t, "key reads flows", crm.do("GET", "/api/v1/flows", nil, false), 200)
	mustCode(t, "key creates no flows", crm.do("POST", "/api/v1/flows", map[string]any{}, false), 403)
	mustCode(t, "key lists no users", crm.do("GET", "/api/v1/users", nil, false), 403)
	r = admin.do("GET", "/api/v1/api-keys", nil, false)
	if r.code != 200 || !strings.Contains(string(r.body), `"crm"`) || strings.Contains(string(r.body), k.APIKey) {
		t.Fatalf("list keys %d %s", r.code, r.body)
	}
	r = admin.do("POST", "/api/v1/api-keys/"+strconv.FormatInt(k.Key.ID, 10)+"/rotate", nil, true)
	mustCode(t, "rotate", r, 200)
	var k2 struct {
		Key    accounts.APIKey `json:"key"`
		APIKey string          `json:"api_key"`
	}
	r.json(t, &k2)
	mustCode(t, "old key", crm.do("GET", "/api/v1/flows", nil, false), 401)
	crm.key = k2.APIKey
	mustCode(t, "new key", crm.do("GET", "/api/v1/flows", nil, false), 200)
	if k2.Key.Role != "scheduler" || k2.Key.Name != "crm" {
		t.Fatalf("rotated %+v", k2.Key)
	}
	mustCode(t, "revoke", admin.do("DELETE", "/api/v1/api-keys/"+strconv.FormatInt(k2.Key.ID, 10), nil, true), 204)
	mustCode(t, "revoked key", crm.do("GET", "/api/v1/flows", nil, false), 401)

	// A key bound to the agent does no more than the agent.
	agentID := userID(t, owner, "agent@acme.test")
	r = owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "desk", "role": "admin", "user_id": agentID}, true)
	mustCode(t, "user key", r, 201)
	r.json(t, &k)
	desk := &client{t: t, base: "http://" + a.Addr(), key: k.APIKey}
	mustCode(t, "user key limited to its user", desk.do("GET", "/api/v1/users", nil, false), 403)
	// Disabling the agent ends their session and their key.
	mustCode(t, "disable", admin.do("PATCH", "/api/v1/users/"+strconv.FormatInt(agentID, 10), map[string]any{"disabled": true}, true), 200)
	mustCode(t, "disabled session", agent.do("GET", "/api/v1/auth/me", nil, false), 401)
	mustCode(t, "disabled key", desk.do("GET", "/api/v1/agent-ui", nil, false), 401)
}

func userID(t *testing.T, c *client, email string) int64 {
	t.Helper()
	r := c.do("GET", "/api/v1/users", nil, false)
	var us struct {
		Users []accounts.User `json:"users"`
	}
	r.json(t, &us)
	for _, u := range us.Users {
		if u.Email == email {
			return u.ID
		}
	}
	t.Fatalf("no user %s in %s", email, r.body)
	return 0
}

// TestConsoleOperator: an operator creates an account with its owner,
// who logs in; the operator grants reports, the webhook HTTP policy, time
// zone and country, and disabling the account ends its owner's session.
// Account users cannot reach the operator routes, nor the operator the
// account's.
func TestConsoleOperator(t *testing.T) {
	a, _ := boot(t, noARI)
	if _, _, err := a.Accounts().CreateOperator(context.Background(), "ops@switchyard.test", "Ops", "operator password"); err != nil {
		t.Fatal(err)
	}
	op := newClient(t, a)
	r := op.login("ops@switchyard.test", "operator password")
	mustCode(t, "operator login", r, 200)
	var m meBody
	r.json(t, &m)
	if !m.Operator || m.Account != nil || m.User.Role != "operator" {
		t.Fatalf("operator me %s", r.body)
	}
	r = op.do("POST", "/api/v1/operator/accounts", map[string]any{"name": "acme", "owner_email": "boss@acme.test", "owner_password": "correct horse"}, true)
	mustCode(t, "create account", r, 201)
	var created struct {
		Account accounts.Account `json:"account"`
		Owner   accounts.User    `json:"owner"`
	}
	r.json(t, &created)
	if created.Owner.Role != "owner" || created.Account.Name != "acme" {
		t.Fatalf("created %s", r.body)
	}
	r = op.do("POST", "/api/v1/operator/accounts", map[string]any{"name": "beta", "owner_email": "new@beta.test"}, true)
	mustCode(t, "create invited", r, 201)
	if !strings.Contains(string(r.body), `"invite_url"`) {
		t.Fatalf("no invite: %s", r.body)
	}
	mustCode(t, "operator is in no account", op.do("GET", "/api/v1/flows", nil, false), 403)

	owner := newClient(t, a)
	mustCode(t, "owner login", owner.login("boss@acme.test", "correct horse"), 200)
	mustCode(t, "owner on operator route", owner.do("GET", "/api/v1/operator/accounts", nil, false), 403)

	id := strconv.FormatInt(created.Account.ID, 10)
	r = op.do("PATCH", "/api/v1/operator/accounts/"+id, map[string]any{"reports": map[string]bool{"calls": true},
		"http_policy": map[string]any{"allow_http": true, "networks": []string{"10.1.0.0/16"}}, "time_zone": "Asia/Kolkata", "country": "in"}, true)
	mustCode(t, "patch", r, 200)
	var acc accounts.Account
	r.json(t, &acc)
	if acc.TimeZone != "Asia/Kolkata" || acc.Country != "IN" || len(acc.Reports) != 1 || acc.HTTP == nil || !acc.HTTP.AllowHTTP ||
		len(acc.HTTP.Networks) != 1 || len(acc.Owners) != 1 || acc.Owners[0] != "boss@acme.test" {
		t.Fatalf("patched %s", r.body)
	}
	r = op.do("PATCH", "/api/v1/operator/accounts/"+id, map[string]any{"time_zone": "Mars/Base"}, true)
	if r.code != 422 || !strings.Contains(string(r.body), `"field":"time_zone"`) {
		t.Fatalf("bad zone %d %s", r.code, r.body)
	}
	mustCode(t, "list", op.do("GET", "/api/v1/operator/accounts", nil, false), 200)
	mustCode(t, "disable", op.do("PATCH", "/api/v1/operator/accounts/"+id, map[string]any{"disabled": true}, true), 200)
	mustCode(t, "owner of disabled account", owner.do("GET", "/api/v1/auth/me", nil, false), 401)
	mustCode(t, "owner login refused", owner.login("boss@acme.test", "correct horse"), 403)
	mustCode(t, "enable", op.do("PATCH", "/api/v1/operator/accounts/"+id, map[string]any{"disabled": false}, true), 200)
	mustCode(t, "owner login again", owner.login("boss@acme.test", "correct horse"), 200)
}
