package calllistapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/mail/smtpin"
	"github.com/switchyard/switchyard/store"
)

// TestAccountCountryADSIntake: with no server default, the shipped ADS
// sample (national numbers) is rejected until the account sets its
// default country; then its valid rows are accepted.
func TestAccountCountryADSIntake(t *testing.T) {
	e := newEnv(t, func(_ *Deps, d *intake.Config) { d.Region = "" })
	files := map[string][]byte{"ads.csv": fixture(t, "ads.csv")}
	upload := func() *store.CallListRequest {
		t.Helper()
		body, ct := multipartBody(t, files, []string{"ads.csv"})
		rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=43&format=ads", body, map[string]string{"Content-Type": ct})
		up := decodeTo[UploadResponse](t, rec)
		if rec.Code != 200 || len(up.Files) != 1 || up.Files[0].Request == nil {
			t.Fatalf("ads upload: %d %s", rec.Code, rec.Body)
		}
		return up.Files[0].Request
	}
	if r := upload(); r.Added != 0 || r.Invalid != 5 {
		t.Fatalf("without a country: added %d invalid %d, want 0/5", r.Added, r.Invalid)
	}
	if got := decodeTo[Country](t, e.do(http.MethodGet, "/api/v1/account/country", nil, nil)); got.Country != "" {
		t.Fatalf("new account country %q", got.Country)
	}
	for _, tc := range []struct {
		body any
		code int
		want string
	}{
		{map[string]string{"country": "XX"}, 422, ""},
		{map[string]string{"country": "india"}, 422, ""},
		{map[string]string{"country": "in"}, 200, "IN"},
	} {
		rec := e.json(http.MethodPut, "/api/v1/account/country", tc.body, nil)
		if rec.Code != tc.code {
			t.Fatalf("PUT %v: %d %s", tc.body, rec.Code, rec.Body)
		}
		if tc.code == 200 && decodeTo[Country](t, rec).Country != tc.want {
			t.Fatalf("PUT %v: %s", tc.body, rec.Body)
		}
	}
	if got := decodeTo[Country](t, e.do(http.MethodGet, "/api/v1/account/country", nil, nil)); got.Country != "IN" {
		t.Fatalf("country after PUT %q", got.Country)
	}
	if r := upload(); r.Added != 3 || r.Invalid != 2 {
		t.Fatalf("with country IN: added %d invalid %d, want 3/2", r.Added, r.Invalid)
	}
}

// TestAccessListNeedsJSON: an access-list entry sent as a form or without a
// content type is refused with 415 and says how to send it.
func TestAccessListNeedsJSON(t *testing.T) {
	e := newEnv(t)
	body := `{"list":"black","kind":"email","value":"a@example.com"}`
	for _, ct := range []string{"", "application/x-www-form-urlencoded", "text/plain"} {
		hdr := map[string]string{}
		if ct != "" {
			hdr["Content-Type"] = ct
		}
		rec := e.do(http.MethodPost, "/api/v1/calllists/access-lists", strings.NewReader(body), hdr)
		if rec.Code != http.StatusUnsupportedMediaType || !strings.Contains(rec.Body.String(), "application/json") {
			t.Errorf("content type %q: %d %s", ct, rec.Code, rec.Body)
		}
	}
	rec := e.do(http.MethodPost, "/api/v1/calllists/access-lists", strings.NewReader(body), map[string]string{"Content-Type": "application/json; charset=utf-8"})
	if rec.Code != http.StatusOK && rec.Code != http.StatusCreated {
		t.Errorf("JSON: %d %s", rec.Code, rec.Body)
	}
}

// TestRejectedRowKeepsClientIdentifierInReport: the status report of an
// upload shows a rejected row with its client-identifier.
func TestRejectedRowKeepsClientIdentifierInReport(t *testing.T) {
	e := newEnv(t)
	files := map[string][]byte{"l.csv": []byte("tel1,client-identifier,starttime\n+919876543210,c-1,not-a-date\n+919876543211,c-3,\n")}
	body, ct := multipartBody(t, files, []string{"l.csv"})
	rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=42", body, map[string]string{"Content-Type": ct})
	up := decodeTo[UploadResponse](t, rec)
	if rec.Code != 200 || len(up.Files) != 1 || up.Files[0].Request == nil || up.Files[0].Request.Invalid != 1 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	rep := e.do(http.MethodGet, "/api/v1/calllists/requests/"+up.Files[0].Request.ID+"/report.csv", nil, nil)
	if rep.Code != 200 || !strings.Contains(rep.Body.String(), "\n2,c-1,") {
		t.Fatalf("report: %d %s", rep.Code, rep.Body)
	}
}

// TestEmailAddressAPI: the account sees a flow's email-upload address
// through the API (not only the operator CLI).
func TestEmailAddressAPI(t *testing.T) {
	cfg := smtpin.Config{Domain: "lists.example.com", Secret: []byte("0123456789abcdef0123")}
	e := newEnv(t, func(d *Deps, _ *intake.Config) {
		d.MailAddress = func(acc int64, flow string) string { return smtpin.Address(cfg, acc, flow) }
	})
	rec := e.do(http.MethodGet, "/api/v1/calllists/email-address?flow_id=42", nil, nil)
	got := decodeTo[EmailAddress](t, rec)
	if rec.Code != 200 || got.FlowID != "42" || got.Address != smtpin.Address(cfg, e.acc, "42") || !strings.HasSuffix(got.Address, "@lists.example.com") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if rec := e.do(http.MethodGet, "/api/v1/calllists/email-address?flow_id=99", nil, nil); rec.Code != 404 {
		t.Errorf("unknown flow: %d", rec.Code)
	}
	off := newEnv(t)
	if rec := off.do(http.MethodGet, "/api/v1/calllists/email-address?flow_id=42", nil, nil); rec.Code != 503 || !strings.Contains(rec.Body.String(), "not enabled") {
		t.Errorf("mail off: %d %s", rec.Code, rec.Body)
	}
}
