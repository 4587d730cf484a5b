package calllistapi

import (
	"context"
	"net/http"
	"testing"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// TestUploadKeepsRecipientLine: an uploaded ADS recipients file's lines
// reach the Detailed Report's "Record" exactly as uploaded (spaces,
// quoting, column order), invalid lines excluded.
func TestUploadKeepsRecipientLine(t *testing.T) {
	e := newEnv(t)
	lines := []string{
		`+919811111111|+919822222222 ,  "Henry ""Hank"" Case"`,
		`9833333333,Ann`,
	}
	file := "numbers,name\r\n" + lines[0] + "\r\nnot-a-number,Bad\r\n" + lines[1] + "\r\n"
	body, ct := multipartBody(t, map[string][]byte{"list.csv": []byte(file)}, []string{"list.csv"})
	rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=43&format=ads", body, map[string]string{"Content-Type": ct})
	up := decodeTo[UploadResponse](t, rec)
	if rec.Code != 200 || len(up.Files) != 1 || up.Files[0].Request == nil || up.Files[0].Request.Added != 2 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	ctx := context.Background()
	if _, err := e.st.CreateCampaign(ctx, store.Campaign{Campaign: dialer.Campaign{AccountID: e.acc, Type: "call", Mode: "predictive", Name: "March", Status: "Created",
		Recipients: []string{up.Files[0].Request.ID}, SimultaneousCalls: 1, DialAttempts: 1}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := e.st.EachADSDetail(ctx, store.ADSFilter{AccountID: e.acc}, func(d *store.ADSDetail) error { got = append(got, d.Record); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != lines[0] || got[1] != lines[1] {
		t.Fatalf("records %q, want %q", got, lines)
	}
}
