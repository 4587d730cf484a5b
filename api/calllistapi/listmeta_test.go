package calllistapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/store"
)

// TestRecipientsListMeta: an upload names its list and accountcode; the
// list can be renamed and disabled (status active|disabled).
func TestRecipientsListMeta(t *testing.T) {
	e := newEnv(t)
	files := map[string][]byte{"ads.csv": fixture(t, "ads.csv")}
	body, ct := multipartBody(t, files, []string{"ads.csv"})
	rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=43&format=ads&name=March%20leads&accountcode=ACC-7", body, map[string]string{"Content-Type": ct})
	up := decodeTo[UploadResponse](t, rec)
	if rec.Code != 200 || up.Files[0].Request == nil {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	r := up.Files[0].Request
	if r.Name != "March leads" || r.Accountcode != "ACC-7" || r.ListStatus != store.ListActive {
		t.Fatalf("uploaded list %+v", r)
	}
	rec = e.json(http.MethodPatch, "/api/v1/calllists/requests/"+r.ID, map[string]string{"list_status": "disabled", "name": "Old leads"}, nil)
	got := decodeTo[store.CallListRequest](t, rec)
	if rec.Code != 200 || got.ListStatus != store.ListDisabled || got.Name != "Old leads" || got.Accountcode != "ACC-7" {
		t.Fatalf("patch: %d %s", rec.Code, rec.Body)
	}
	if rec := e.json(http.MethodPatch, "/api/v1/calllists/requests/"+r.ID, map[string]string{"list_status": "paused"}, nil); rec.Code != 422 || !strings.Contains(rec.Body.String(), "list_status") {
		t.Errorf("bad status: %d %s", rec.Code, rec.Body)
	}
	if rec := e.json(http.MethodPatch, "/api/v1/calllists/requests/nope", map[string]string{"name": "x"}, nil); rec.Code != 404 {
		t.Errorf("unknown request: %d", rec.Code)
	}
	body, ct = multipartBody(t, files, []string{"ads.csv"})
	if rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=43&format=ads&accountcode=has%20space", body, map[string]string{"Content-Type": ct}); rec.Code != 422 {
		t.Errorf("bad accountcode: %d %s", rec.Code, rec.Body)
	}
}
