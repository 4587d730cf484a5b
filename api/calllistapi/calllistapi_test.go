package calllistapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/store"
)

// fakeFlows is a function-field fake of Flows.
type fakeFlows struct {
	flow func(ctx context.Context, accountID int64, id string) (intake.Flow, error)
}

func (f fakeFlows) Flow(ctx context.Context, accountID int64, id string) (intake.Flow, error) {
	return f.flow(ctx, accountID, id)
}

type env struct {
	t     *testing.T
	st    *store.Store
	srv   *api.Server
	acc   int64
	key   string
	other int64
}

const clientIP = "192.0.2.10"

func newEnv(t *testing.T, mutate ...func(*Deps, *intake.Config)) *env {
	t.Helper()
	fx := apistoretest.NewFixture(t, func(d *api.Deps) { d.BodyLimit = "30M" })
	st, srv, a := fx.Store, fx.Server, fx.Account
	flows := fakeFlows{flow: func(_ context.Context, acc int64, id string) (intake.Flow, error) {
		switch {
		case acc == a && id == "42":
			return intake.Flow{ID: "42", Name: "Reminders", Type: intake.FlowTypeOutbound, Variables: []string{"name", "amount"}}, nil
		case acc == a && id == "43":
			return intake.Flow{ID: "43", Name: "Sales", Type: intake.FlowTypeDialer, Variables: []string{"name"}}, nil
		case acc == a && id == "44":
			return intake.Flow{ID: "44", Name: "IVR", Type: "inbound"}, nil
		}
		return intake.Flow{}, fmt.Errorf("flow %s: %w", id, intake.ErrFlowNotFound)
	}}
	d := Deps{Store: st}
	c := intake.Config{Store: st, Flows: flows, Region: "IN"}
	for _, m := range mutate {
		m(&d, &c)
	}
	d.Intake = intake.New(c)
	Register(srv.API(), d)
	RegisterKairos(srv.Echo().Group(""), d)
	e := &env{t: t, st: st, srv: srv, acc: a, key: fx.Key, other: fx.Other}
	return e
}

func (e *env) whitelistIP(ip string) {
	e.t.Helper()
	if _, err := e.st.AddListEntry(context.Background(), e.acc, store.ListWhite, store.KindIPv4, ip, false); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) do(method, path string, body io.Reader, hdr map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = clientIP + ":40000"
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if _, ok := hdr["Authorization"]; !ok && strings.HasPrefix(path, "/api/v1/") {
		req.Header.Set("Authorization", "Bearer "+e.key)
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func (e *env) json(method, path string, body any, hdr map[string]string) *httptest.ResponseRecorder {
	b, _ := json.Marshal(body)
	if hdr == nil {
		hdr = map[string]string{}
	}
	hdr["Content-Type"] = "application/json"
	return e.do(method, path, bytes.NewReader(b), hdr)
}

func decodeTo[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body.String(), err)
	}
	return v
}

func errorOf(t *testing.T, rec *httptest.ResponseRecorder) api.ErrorDetail {
	return decodeTo[api.ErrorBody](t, rec).Error
}

func triggerBody(key, flow string, calls ...map[string]any) map[string]any {
	return map[string]any{"api-version": "1.0", "security-id": key, "flow-id": flow, "calls": calls}
}

func call(id string, numbers []string, keys ...[2]string) map[string]any {
	ks := []map[string]string{}
	for _, k := range keys {
		ks = append(ks, map[string]string{"name": k[0], "value": k[1]})
	}
	return map[string]any{"client-identifier": id, "start-time": "2030-01-01T10:00:00+05:30", "contact-numbers": numbers, "keys": ks}
}

func TestTriggerKairos(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.whitelistIP(clientIP)
	if _, err := e.st.AddListEntry(ctx, e.acc, store.ListBlack, store.KindPhone, "+919800000001", false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddDNCEntries(ctx, e.acc, "ndnc", []store.DNCEntry{{Value: "+91981", Prefix: true}}); err != nil {
		t.Fatal(err)
	}
	body := triggerBody(e.key, "42",
		call("c1", []string{"919876543210", "+14155550100"}, [2]string{"$flow.key.name", "Asha"}),
		call("c2", []string{"12ab"}),
		call("c3", []string{"+919876543210"}),
		call("c4", []string{"9800000001"}),
		call("c5", []string{"9812345678"}),
		call("c6", []string{"9876543211"}, [2]string{"$flow.key.unknown", "x"}),
		call("c7", []string{}),
	)
	rec := e.json(http.MethodPost, "/kairos-apis/outbound/create", body, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	resp := decodeTo[TriggerResponse](t, rec)
	if resp.RequestID == "" || resp.Accepted != 1 || resp.Rejected != 6 || len(resp.Calls) != 7 || resp.Status != store.RequestScheduled {
		t.Fatalf("%+v", resp)
	}
	want := []struct{ status, reason string }{
		{store.RecordPending, ""},
		{store.RecordInvalid, "invalid number 1"},
		{store.RecordInvalid, "duplicate: +919876543210 is already in row 1"},
		{store.RecordInvalid, "blacklisted number +919800000001"},
		{store.RecordScrubbed, "DNC/NDNC registered +919812345678"},
		{store.RecordInvalid, `no variable "unknown"`},
		{store.RecordInvalid, "contact-numbers is empty"},
	}
	for i, w := range want {
		c := resp.Calls[i]
		if c.Index != i || c.ClientIdentifier != fmt.Sprintf("c%d", i+1) || c.Status != w.status || !strings.Contains(c.Reason, w.reason) || c.Accepted != (w.status == store.RecordPending) {
			t.Errorf("call %d: %+v, want %s %q", i, c, w.status, w.reason)
		}
	}
	recs, err := e.st.ListCallListRecords(ctx, e.acc, resp.RequestID, 0, 10)
	if err != nil || len(recs) != 7 || recs[0].Variables["name"] != "Asha" || recs[0].Numbers[1] != "+14155550100" || recs[0].StartTime == nil || !recs[0].StartTime.Equal(time.Date(2030, 1, 1, 4, 30, 0, 0, time.UTC)) {
		t.Fatalf("stored records: %+v %v", recs, err)
	}

	for _, tc := range []struct {
		name, path string
		body       any
		code       int
		field, msg string
	}{
		{"dialer path for an outbound flow", "/kairos-apis/outbounddialer/create", triggerBody(e.key, "42", call("a", []string{"+919876543210"})), 422, "flow-id", "/kairos-apis/outbound/create"},
		{"dialer flow", "/kairos-apis/outbounddialer/create", triggerBody(e.key, "43", call("a", []string{"+919876543210"})), 200, "", ""},
		{"no security-id", "/kairos-apis/outbound/create", triggerBody("", "42", call("a", []string{"1"})), 401, "security-id", "required"},
		{"bad security-id", "/kairos-apis/outbound/create", triggerBody("sy_nope", "42", call("a", []string{"1"})), 401, "security-id", "invalid"},
		{"unknown flow", "/kairos-apis/outbound/create", triggerBody(e.key, "99", call("a", []string{"1"})), 404, "", `flow "99" not found`},
		{"inbound flow", "/kairos-apis/outbound/create", triggerBody(e.key, "44", call("a", []string{"1"})), 422, "flow-id", "outbound and dialer"},
		{"api version", "/kairos-apis/outbound/create", map[string]any{"api-version": "9", "security-id": e.key, "flow-id": "42", "calls": []any{call("a", []string{"1"})}}, 422, "api-version", "unsupported"},
		{"no calls", "/kairos-apis/outbound/create", triggerBody(e.key, "42"), 422, "calls", "at least one"},
	} {
		rec := e.json(http.MethodPost, tc.path, tc.body, nil)
		if rec.Code != tc.code {
			t.Errorf("%s: %d %s", tc.name, rec.Code, rec.Body)
			continue
		}
		if tc.code != 200 {
			d := errorOf(t, rec)
			if d.Field != tc.field || !strings.Contains(d.Message, tc.msg) {
				t.Errorf("%s: %+v", tc.name, d)
			}
		}
	}
	// Too many calls, too large, not JSON.
	var many []map[string]any
	for range 501 {
		many = append(many, call("x", []string{"+919876543210"}))
	}
	if rec := e.json(http.MethodPost, "/kairos-apis/outbound/create", triggerBody(e.key, "42", many...), nil); rec.Code != 422 || !strings.Contains(rec.Body.String(), "at most 500") {
		t.Errorf("501 calls: %d %s", rec.Code, rec.Body)
	}
	big := `{"api-version":"1.0","flow-id":"42","calls":[{"client-identifier":"` + strings.Repeat("x", MaxTriggerBody) + `"}]}`
	if rec := e.do(http.MethodPost, "/kairos-apis/outbound/create", strings.NewReader(big), map[string]string{"Content-Type": "application/json"}); rec.Code != 413 {
		t.Errorf("large body: %d %s", rec.Code, rec.Body)
	}
	if rec := e.do(http.MethodPost, "/kairos-apis/outbound/create", strings.NewReader("{nope"), nil); rec.Code != 400 {
		t.Errorf("bad JSON: %d %s", rec.Code, rec.Body)
	}
	// /api/v1 trigger: Bearer auth; a security-id of another account is refused.
	if rec := e.json(http.MethodPost, "/api/v1/calllists/trigger", triggerBody("", "43", call("a", []string{"+919876543219"})), nil); rec.Code != 200 {
		t.Errorf("v1 trigger: %d %s", rec.Code, rec.Body)
	}
	_, otherKey, _ := e.st.CreateAPIKey(ctx, e.other, "o")
	if rec := e.json(http.MethodPost, "/api/v1/calllists/trigger", triggerBody(otherKey, "43", call("a", []string{"+919876543219"})), nil); rec.Code != 401 {
		t.Errorf("v1 trigger with another account's security-id: %d %s", rec.Code, rec.Body)
	}
	if rec := e.json(http.MethodPost, "/api/v1/calllists/trigger", triggerBody("", "43", call("a", []string{"1"})), map[string]string{"Authorization": "Bearer sy_bad"}); rec.Code != 401 {
		t.Errorf("v1 trigger bad bearer: %d", rec.Code)
	}
}

func TestTriggerIPAndDomainWhitelist(t *testing.T) {
	e := newEnv(t)
	body := triggerBody(e.key, "42", call("a", []string{"+919876543210"}))
	post := func(hdr map[string]string) *httptest.ResponseRecorder {
		return e.json(http.MethodPost, "/kairos-apis/outbound/create", body, hdr)
	}
	if rec := post(nil); rec.Code != 403 || !strings.Contains(errorOf(t, rec).Message, "no IP address is whitelisted") {
		t.Fatalf("no whitelist: %d %s", rec.Code, rec.Body)
	}
	e.whitelistIP("198.51.100.7")
	if rec := post(nil); rec.Code != 403 || !strings.Contains(errorOf(t, rec).Message, "IP address "+clientIP+" is not whitelisted") {
		t.Fatalf("wrong IP: %d %s", rec.Code, rec.Body)
	}
	e.whitelistIP(clientIP)
	if rec := post(nil); rec.Code != 200 {
		t.Fatalf("whitelisted IP: %d %s", rec.Code, rec.Body)
	}
	if _, err := e.st.AddListEntry(context.Background(), e.acc, store.ListWhite, store.KindDomain, "example.com", false); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hdr  map[string]string
		code int
		msg  string
	}{
		{nil, 403, "no Origin or Referer"},
		{map[string]string{"Origin": "https://evil.test"}, 403, "domain evil.test is not whitelisted"},
		{map[string]string{"Origin": "https://notexample.com"}, 403, "not whitelisted"},
		{map[string]string{"Origin": "https://crm.example.com"}, 200, ""},
		{map[string]string{"Referer": "https://example.com/page"}, 200, ""},
	} {
		rec := post(tc.hdr)
		if rec.Code != tc.code || (tc.msg != "" && !strings.Contains(errorOf(t, rec).Message, tc.msg)) {
			t.Errorf("%v: %d %s", tc.hdr, rec.Code, rec.Body)
		}
	}
	// The opt-out for deployments that do not want the IP whitelist.
	e2 := newEnv(t, func(d *Deps, _ *intake.Config) { d.AllowWithoutIPWhitelist = true })
	if rec := e2.json(http.MethodPost, "/kairos-apis/outbound/create", triggerBody(e2.key, "42", call("a", []string{"+919876543210"})), nil); rec.Code != 200 {
		t.Errorf("AllowWithoutIPWhitelist: %d %s", rec.Code, rec.Body)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "calllists", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func multipartBody(t *testing.T, files map[string][]byte, order []string) (io.Reader, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, n := range order {
		fw, err := w.CreateFormFile("file", n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(files[n])
	}
	_ = w.Close()
	return &b, w.FormDataContentType()
}

func zipOf(t *testing.T, files map[string]string, order []string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range order {
		w, _ := zw.Create(n)
		_, _ = io.WriteString(w, files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestUploadAndRequestSummary(t *testing.T) {
	e := newEnv(t)
	z := zipOf(t, map[string]string{
		"upload_08022020211200.csv": "tel1,$flow.key.name\n+919876543220,A\n+919876543221,B\n",
		"bad.csv":                   "tel1,foo\n1,2\n",
		"readme.txt":                "x",
	}, []string{"upload_08022020211200.csv", "bad.csv", "readme.txt"})
	files := map[string][]byte{
		"mixed.csv": fixture(t, "mixed.csv"),
		"lists.zip": z,
		"ads.csv":   fixture(t, "ads.csv"),
		"photo.png": []byte("png"),
	}
	body, ct := multipartBody(t, files, []string{"mixed.csv", "lists.zip", "photo.png"})
	rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=42", body, map[string]string{"Content-Type": ct})
	if rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	up := decodeTo[UploadResponse](t, rec)
	if len(up.Files) != 5 {
		t.Fatalf("%+v", up)
	}
	mixed := up.Files[0]
	if mixed.File != "mixed.csv" || mixed.Request == nil || mixed.Request.Uploaded != 7 || mixed.Request.Added != 3 || mixed.Request.Invalid != 4 || mixed.Request.Source != store.SourceUpload {
		t.Fatalf("mixed.csv: %+v %+v", mixed, mixed.Request)
	}
	if f := up.Files[1]; f.File != "lists.zip/upload_08022020211200.csv" || f.Request == nil || f.Request.Added != 2 || !f.Request.StartTime.Equal(time.Date(2020, 2, 8, 21, 12, 0, 0, time.UTC)) {
		t.Errorf("zip good: %+v", f)
	}
	if f := up.Files[2]; f.Request != nil || !strings.Contains(f.Error, `"foo" is not tel1`) {
		t.Errorf("zip bad: %+v", f)
	}
	if f := up.Files[3]; !strings.Contains(f.Error, "not a .csv") {
		t.Errorf("zip txt: %+v", f)
	}
	if f := up.Files[4]; f.File != "photo.png" || !strings.Contains(f.Error, "unsupported file type") {
		t.Errorf("png: %+v", f)
	}
	// ADS upload to the dialer flow (ADS columns are not flow-key checked).
	body, ct = multipartBody(t, files, []string{"ads.csv"})
	rec = e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=43&format=ads", body, map[string]string{"Content-Type": ct})
	ads := decodeTo[UploadResponse](t, rec)
	if rec.Code != 200 || ads.Files[0].Request == nil || ads.Files[0].Request.Uploaded != 5 || ads.Files[0].Request.Invalid != 2 || ads.Files[0].Request.FlowType != intake.FlowTypeDialer {
		t.Fatalf("ads: %d %s", rec.Code, rec.Body)
	}
	for _, tc := range []struct {
		path string
		code int
	}{
		{"/api/v1/calllists/uploads?flow_id=99", 404},
		{"/api/v1/calllists/uploads", 422},
		{"/api/v1/calllists/uploads?flow_id=42&format=xls", 422},
	} {
		body, ct := multipartBody(t, files, []string{"mixed.csv"})
		if rec := e.do(http.MethodPost, tc.path, body, map[string]string{"Content-Type": ct}); rec.Code != tc.code {
			t.Errorf("%s: %d %s", tc.path, rec.Code, rec.Body)
		}
	}
	if rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=42", strings.NewReader("x"), map[string]string{"Content-Type": "text/plain"}); rec.Code != 400 {
		t.Errorf("not multipart: %d", rec.Code)
	}

	// Summary: list with filters, detail, report.
	type list struct {
		Requests []store.CallListRequest `json:"requests"`
	}
	all := decodeTo[list](t, e.do(http.MethodGet, "/api/v1/calllists/requests", nil, nil))
	if len(all.Requests) != 3 {
		t.Fatalf("requests: %+v", all)
	}
	if l := decodeTo[list](t, e.do(http.MethodGet, "/api/v1/calllists/requests?flow_type=dialer", nil, nil)); len(l.Requests) != 1 || l.Requests[0].FlowID != "43" || l.Requests[0].FlowName != "Sales" {
		t.Errorf("flow_type filter: %+v", l)
	}
	if l := decodeTo[list](t, e.do(http.MethodGet, "/api/v1/calllists/requests?flow_id=42&request_id="+mixed.Request.ID, nil, nil)); len(l.Requests) != 1 {
		t.Errorf("request_id filter: %+v", l)
	}
	if l := decodeTo[list](t, e.do(http.MethodGet, "/api/v1/calllists/requests?from=2099-01-01T00:00:00Z", nil, nil)); len(l.Requests) != 0 {
		t.Errorf("from filter: %+v", l)
	}
	for _, q := range []string{"from=yesterday", "limit=-1", "flow_type=fax", "limit=5000"} {
		if rec := e.do(http.MethodGet, "/api/v1/calllists/requests?"+q, nil, nil); rec.Code != 422 {
			t.Errorf("%s: %d", q, rec.Code)
		}
	}
	raw := e.do(http.MethodGet, "/api/v1/calllists/requests/"+mixed.Request.ID+"?limit=2", nil, nil)
	det := decodeTo[RequestDetail](t, raw)
	if raw.Code != 200 || det.ID != mixed.Request.ID || len(det.Records) != 2 || det.NextAfter != det.Records[1].Row || !strings.Contains(raw.Body.String(), `"completion_percent":0`) || !strings.Contains(raw.Body.String(), `"records_loaded":7`) {
		t.Fatalf("detail: %s", raw.Body)
	}
	if rec := e.do(http.MethodGet, "/api/v1/calllists/requests/nope", nil, nil); rec.Code != 404 {
		t.Errorf("unknown request: %d", rec.Code)
	}
	rep := e.do(http.MethodGet, "/api/v1/calllists/requests/"+mixed.Request.ID+"/report.csv", nil, nil)
	if rep.Code != 200 || !strings.HasPrefix(rep.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("report: %d %s", rep.Code, rep.Body)
	}
	lines, err := csv.NewReader(rep.Body).ReadAll()
	if err != nil || len(lines) != 8 || strings.Join(lines[0], ",") != strings.Join(ReportHeader, ",") {
		t.Fatalf("report CSV: %v %v", lines, err)
	}
	reasons := map[string]string{}
	for _, l := range lines[1:] {
		reasons[l[0]] = l[4] + " " + l[5]
	}
	for row, want := range map[string]string{"2": "PENDING", "5": "INVALID empty row", "6": "INVALID extra columns", "7": "INVALID missing columns", "8": "INVALID starttime"} {
		if !strings.HasPrefix(reasons[row], want) {
			t.Errorf("report row %s: %q, want %q", row, reasons[row], want)
		}
	}
	// Another account sees none of it.
	_, okey, _ := e.st.CreateAPIKey(context.Background(), e.other, "o")
	if rec := e.do(http.MethodGet, "/api/v1/calllists/requests/"+mixed.Request.ID+"/report.csv", nil, map[string]string{"Authorization": "Bearer " + okey}); rec.Code != 404 {
		t.Errorf("other account report: %d", rec.Code)
	}
}

func TestUploadTooLarge(t *testing.T) {
	e := newEnv(t)
	var big bytes.Buffer
	big.WriteString("tel1,$flow.key.name\n")
	filler := strings.Repeat("x", 4000)
	for big.Len() <= 10<<20 {
		big.WriteString("+919876543210," + filler + "\n")
	}
	body, ct := multipartBody(t, map[string][]byte{"big.csv": big.Bytes()}, []string{"big.csv"})
	rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=42", body, map[string]string{"Content-Type": ct})
	up := decodeTo[UploadResponse](t, rec)
	if rec.Code != 200 || len(up.Files) != 1 || up.Files[0].Request != nil || !strings.HasPrefix(up.Files[0].Error, "call list rejected: file too large") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	// Nothing of the rejected file was stored.
	rs, err := e.st.ListCallListRequests(context.Background(), store.RequestFilter{AccountID: e.acc})
	if err != nil || len(rs) != 0 {
		t.Fatalf("requests after a rejected file: %+v %v", rs, err)
	}
	// A body over the upload cap is refused before reading.
	req := httptest.NewRequest(http.MethodPost, "/api/v1/calllists/uploads?flow_id=42", strings.NewReader("x"))
	req.ContentLength = MaxUploadBody + 1
	req.Header.Set("Authorization", "Bearer "+e.key)
	req.Header.Set("Content-Type", ct)
	rr := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rr, req)
	if rr.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared oversize body: %d %s", rr.Code, rr.Body)
	}
}

func TestTemplate(t *testing.T) {
	e := newEnv(t)
	rec := e.do(http.MethodGet, "/api/v1/calllists/template?flow_id=42", nil, nil)
	if rec.Code != 200 || rec.Body.String() != "tel1,tel2,tel3,tel4,tel5,tel6,tel7,tel8,tel9,tel10,starttime,client-identifier,$flow.key.name,$flow.key.amount\n" ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), "calllist-template-42.csv") {
		t.Fatalf("%d %q %v", rec.Code, rec.Body, rec.Header())
	}
	if rec := e.do(http.MethodGet, "/api/v1/calllists/template?flow_id=99", nil, nil); rec.Code != 404 {
		t.Errorf("unknown flow: %d", rec.Code)
	}
}

func TestAccessListsAndDNC(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		in   EntryInput
		code int
	}{
		{EntryInput{"white", "ipv4", "203.0.113.5"}, 201},
		{EntryInput{"white", "ipv4", "203.0.113.5"}, 409},
		{EntryInput{"white", "ipv4", "2001:db8::1"}, 422},
		{EntryInput{"white", "domain", "Example.com"}, 201},
		{EntryInput{"white", "email", "ops@example.com"}, 201},
		{EntryInput{"black", "phone", "9800000001"}, 201},
		{EntryInput{"black", "phone", "12"}, 422},
		{EntryInput{"white", "phone", "9800000002"}, 422},
		{EntryInput{"black", "domain", "example.com"}, 422},
	} {
		rec := e.json(http.MethodPost, "/api/v1/calllists/access-lists", tc.in, nil)
		if rec.Code != tc.code {
			t.Errorf("%+v: %d %s", tc.in, rec.Code, rec.Body)
		}
	}
	type entries struct {
		Entries []store.ListEntry `json:"entries"`
	}
	black := decodeTo[entries](t, e.do(http.MethodGet, "/api/v1/calllists/access-lists?list=black", nil, nil))
	if len(black.Entries) != 1 || black.Entries[0].Value != "+919800000001" {
		t.Fatalf("%+v", black)
	}
	if rec := e.do(http.MethodDelete, fmt.Sprintf("/api/v1/calllists/access-lists/%d", black.Entries[0].ID), nil, nil); rec.Code != 204 {
		t.Errorf("delete: %d", rec.Code)
	}
	if rec := e.do(http.MethodDelete, fmt.Sprintf("/api/v1/calllists/access-lists/%d", black.Entries[0].ID), nil, nil); rec.Code != 404 {
		t.Errorf("delete again: %d", rec.Code)
	}
	if rec := e.do(http.MethodGet, "/api/v1/calllists/access-lists?list=grey", nil, nil); rec.Code != 422 {
		t.Errorf("bad list: %d", rec.Code)
	}
	body, ct := multipartBody(t, map[string][]byte{"ndnc.csv": []byte("number\n+919822222222\n9833333333,extra\n+9198*\nnot-a-number\n\n+9198*\n0*\n")}, []string{"ndnc.csv"})
	rec := e.do(http.MethodPost, "/api/v1/calllists/dnc", body, map[string]string{"Content-Type": ct})
	res := decodeTo[DNCResponse](t, rec)
	if rec.Code != 200 || res.Read != 6 || res.Added != 3 || len(res.Rejected) != 2 || res.Rejected[0].Line != 5 || res.Rejected[1].Line != 8 {
		t.Fatalf("dnc: %d %s", rec.Code, rec.Body)
	}
	scr, _ := e.st.LoadNumberScreen(context.Background(), e.acc)
	if _, ok := scr.DNC("+919833333333"); !ok {
		t.Error("national number not normalised into the DNC list")
	}
	if _, ok := scr.DNC("+919812345678"); !ok {
		t.Error("prefix not stored")
	}
}

// fakeOTP is a function-field fake of OTPCaller.
type fakeOTP struct {
	call func(ctx context.Context, acc int64, phone, code string) error
}

func (f fakeOTP) CallOTP(ctx context.Context, acc int64, phone, code string) error {
	return f.call(ctx, acc, phone, code)
}

func TestWhitelistPhoneByOTP(t *testing.T) {
	var got struct{ phone, code string }
	fail := false
	e := newEnv(t, func(_ *Deps, d *intake.Config) {
		d.OTP = fakeOTP{call: func(_ context.Context, _ int64, phone, code string) error {
			if fail {
				return errors.New("trunk down")
			}
			got.phone, got.code = phone, code
			return nil
		}}
	})
	rec := e.json(http.MethodPost, "/api/v1/calllists/access-lists/phone-otp", OTPInput{Value: "98111 11111"}, nil)
	if rec.Code != 202 || got.phone != "+919811111111" || len(got.code) != OTPDigits {
		t.Fatalf("%d %s %+v", rec.Code, rec.Body, got)
	}
	if rec := e.json(http.MethodPost, "/api/v1/calllists/access-lists/phone-otp", OTPInput{Value: "9811111111"}, nil); rec.Code != 409 {
		t.Errorf("resend at once: %d %s", rec.Code, rec.Body)
	}
	wrong := "000000"
	if got.code == wrong {
		wrong = "111111"
	}
	if rec := e.json(http.MethodPost, "/api/v1/calllists/access-lists/phone-verify", OTPInput{Value: "9811111111", OTP: wrong}, nil); rec.Code != 422 || !strings.Contains(errorOf(t, rec).Message, "wrong OTP") {
		t.Errorf("wrong code: %d %s", rec.Code, rec.Body)
	}
	rec = e.json(http.MethodPost, "/api/v1/calllists/access-lists/phone-verify", OTPInput{Value: "+919811111111", OTP: got.code}, nil)
	ent := decodeTo[store.ListEntry](t, rec)
	if rec.Code != 201 || ent.Value != "+919811111111" || ent.VerifiedAt == nil {
		t.Fatalf("verify: %d %s", rec.Code, rec.Body)
	}
	scr, _ := e.st.LoadNumberScreen(context.Background(), e.acc)
	if !scr.Whitelisted("+919811111111") {
		t.Error("verified number is not whitelisted")
	}
	fail = true
	if rec := e.json(http.MethodPost, "/api/v1/calllists/access-lists/phone-otp", OTPInput{Value: "9811111112"}, nil); rec.Code != 503 {
		t.Errorf("call failure: %d %s", rec.Code, rec.Body)
	}
	if rec := e.json(http.MethodPost, "/api/v1/calllists/access-lists/phone-otp", OTPInput{Value: "12"}, nil); rec.Code != 422 {
		t.Errorf("bad number: %d", rec.Code)
	}
	e2 := newEnv(t)
	if rec := e2.json(http.MethodPost, "/api/v1/calllists/access-lists/phone-otp", OTPInput{Value: "9811111111"}, nil); rec.Code != 503 {
		t.Errorf("no OTP caller: %d", rec.Code)
	}
}

// TestRoutesDocumented: every route Register and RegisterKairos add is a
// path in api/openapi.yaml (with echo's :param written {param}).
func TestRoutesDocumented(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(spec, api.OpenAPI) {
		t.Fatal("api/openapi.yaml differs from the embedded api.OpenAPI (rebuild)")
	}
	pathRe := regexp.MustCompile(`(?m)^  (/[^:]*):\s*$`)
	inSpec := map[string]bool{}
	for _, m := range pathRe.FindAllStringSubmatch(string(spec), -1) {
		inSpec[m[1]] = true
	}
	e := echo.New()
	g := e.Group("/api/v1")
	d := Deps{Store: &store.Store{}, Intake: intake.New(intake.Config{Store: &store.Store{}, Flows: fakeFlows{}})}
	Register(g, d)
	RegisterKairos(e.Group(""), d)
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	n := 0
	for _, r := range e.Routes() {
		if r.Method == "echo_route_not_found" || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		n++
		p := param.ReplaceAllString(r.Path, "{$1}")
		if !inSpec[p] {
			t.Errorf("route %s %s is not in api/openapi.yaml", r.Method, p)
		}
	}
	if n != len(Routes)+len(KairosRoutes) {
		t.Errorf("%d routes registered, Routes+KairosRoutes list %d", n, len(Routes)+len(KairosRoutes))
	}
}

// TestAccountTimeZone: a start time without an offset is read in the
// account's own time zone, not the server's.
func TestAccountTimeZone(t *testing.T) {
	e := newEnv(t, func(_ *Deps, d *intake.Config) { d.AccountLocation = d.Store.(*store.Store).AccountLocation })
	ctx := context.Background()
	e.whitelistIP(clientIP)
	if err := e.st.SetAccountTimezone(ctx, e.acc, "Asia/Kolkata"); err != nil {
		t.Fatal(err)
	}
	c := call("tz", []string{"+919876543210"})
	c["start-time"] = "2030-01-01 10:00:00"
	rec := e.json(http.MethodPost, "/kairos-apis/outbound/create", triggerBody(e.key, "42", c), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	resp := decodeTo[TriggerResponse](t, rec)
	recs, err := e.st.ListCallListRecords(ctx, e.acc, resp.RequestID, 0, 10)
	if err != nil || len(recs) != 1 || recs[0].StartTime == nil {
		t.Fatalf("records %+v %v", recs, err)
	}
	if want := time.Date(2030, 1, 1, 4, 30, 0, 0, time.UTC); !recs[0].StartTime.Equal(want) {
		t.Errorf("start time %v, want %v (10:00 in Asia/Kolkata)", recs[0].StartTime.UTC(), want)
	}
	// The per-request report shows times in the account's zone.
	rep := e.do(http.MethodGet, "/api/v1/calllists/requests/"+resp.RequestID+"/report.csv", nil, map[string]string{"Authorization": "Bearer " + e.key})
	if rep.Code != 200 || !strings.Contains(rep.Body.String(), "2030-01-01T10:00:00+05:30") {
		t.Errorf("report %d: %s", rep.Code, rep.Body)
	}
}

// TestReportCSVNeutralisesFormulas: the per-request status report (the
// download and the status mail's attachment are the same writer) writes
// client-supplied cells that a spreadsheet would run as formulas with a
// leading apostrophe; phone numbers ('+' and digits) stay as they are.
func TestReportCSVNeutralisesFormulas(t *testing.T) {
	e := newEnv(t)
	e.whitelistIP(clientIP)
	rec := e.json(http.MethodPost, "/kairos-apis/outbound/create", triggerBody(e.key, "42",
		call(`=HYPERLINK("http://evil.test","x")`, []string{"+919876543210"}),
		call("@SUM(1+1)", []string{"+919876543211"}),
		call("-2+3", []string{"+919876543212"}),
	), nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	resp := decodeTo[TriggerResponse](t, rec)
	rep := e.do(http.MethodGet, "/api/v1/calllists/requests/"+resp.RequestID+"/report.csv", nil, map[string]string{"Authorization": "Bearer " + e.key})
	if rep.Code != http.StatusOK {
		t.Fatalf("report %d: %s", rep.Code, rep.Body)
	}
	rows, err := csv.NewReader(strings.NewReader(rep.Body.String())).ReadAll()
	if err != nil || len(rows) != 4 {
		t.Fatalf("report rows %d %v:\n%s", len(rows), err, rep.Body)
	}
	want := map[string]bool{`'=HYPERLINK("http://evil.test","x")`: true, "'@SUM(1+1)": true, "'-2+3": true}
	for _, r := range rows[1:] {
		if !want[r[1]] {
			t.Errorf("client-identifier cell %q not neutralised", r[1])
		}
		if !strings.HasPrefix(r[2], "+91987654321") {
			t.Errorf("number cell %q: a phone number must stay as it is", r[2])
		}
		for i, c := range r {
			if csvout.IsFormulaString(c) {
				t.Errorf("cell %d %q is a formula", i, c)
			}
		}
	}
}

// TestUploadHeaderTypo: a CSV whose tel1 header is mistyped is rejected
// with code csv_header_typo (not stored as an ADS list); with format=ads
// the same file is taken as ADS.
func TestUploadHeaderTypo(t *testing.T) {
	e := newEnv(t)
	files := map[string][]byte{"list.csv": []byte("tell1,$flow.key.name\n+919876543210,A\n")}
	body, ct := multipartBody(t, files, []string{"list.csv"})
	rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=42", body, map[string]string{"Content-Type": ct})
	up := decodeTo[UploadResponse](t, rec)
	if rec.Code != 200 || len(up.Files) != 1 || up.Files[0].Request != nil || up.Files[0].Code != "csv_header_typo" ||
		!strings.Contains(up.Files[0].Error, `"tell1" looks like "tel1"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	rs, err := e.st.ListCallListRequests(context.Background(), store.RequestFilter{AccountID: e.acc})
	if err != nil || len(rs) != 0 {
		t.Fatalf("requests after the rejected file: %d %v", len(rs), err)
	}
	files = map[string][]byte{"list.csv": []byte("tell1,name\n+919876543210,A\n")}
	body, ct = multipartBody(t, files, []string{"list.csv"})
	rec = e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=43&format=ads", body, map[string]string{"Content-Type": ct})
	if up := decodeTo[UploadResponse](t, rec); rec.Code != 200 || up.Files[0].Request == nil || up.Files[0].Code != "" {
		t.Fatalf("explicit ADS: %d %s", rec.Code, rec.Body)
	}
}
