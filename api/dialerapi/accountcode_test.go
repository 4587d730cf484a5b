package dialerapi

import (
	"fmt"
	"strings"
	"testing"
)

// TestTrunksList: the account sees the operator's trunk names, which is
// the default and their technology, never a dial string; a campaign names
// one of them.
func TestTrunksList(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "GET", "/api/v1/trunks", "")
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	got := fmt.Sprint(out["trunks"])
	if want := "[map[default:false name:carrier technology:PJSIP] map[default:true name:test technology:Local]]"; got != want {
		t.Errorf("trunks %s, want %s", got, want)
	}
	for _, secret := range []string{"{number}", "@carrier", "test-trunk"} {
		if strings.Contains(got, secret) {
			t.Errorf("the trunk list shows the dial string (%q): %s", secret, got)
		}
	}
	if code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["trunk"] = "nope" })); code != 422 {
		t.Errorf("unknown trunk: %d %v", code, out)
	} else if f, _ := errField(out); f != "trunk" {
		t.Errorf("unknown trunk names field %q", f)
	}
}

// TestCampaignAccountcodeAPI: a campaign's accountcode is created, read,
// listed, searched for and edited through the API; a bad one is refused
// naming the field.
func TestCampaignAccountcodeAPI(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["accountcode"] = " ACME-7 " }))
	if code != 201 || out["accountcode"] != "ACME-7" {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	if code, out = e.do(e.key, "GET", fmt.Sprintf("/api/v1/campaigns/%d", id), ""); code != 200 || out["accountcode"] != "ACME-7" {
		t.Fatalf("get: %d %v", code, out)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{{"?accountcode=ACME-7", 1}, {"?accountcode=OTHER", 0}, {"", 1}} {
		code, out := e.do(e.key, "GET", "/api/v1/campaigns"+tc.q, "")
		if code != 200 || len(out["campaigns"].([]any)) != tc.want {
			t.Errorf("list %s: %d %v, want %d", tc.q, code, out, tc.want)
		}
	}
	if code, out := e.do(e.key, "GET", "/api/v1/campaigns?accountcode=a%20b", ""); code != 422 {
		t.Errorf("search with a bad accountcode: %d %v", code, out)
	}
	if code, out = e.do(e.key, "PUT", fmt.Sprintf("/api/v1/campaigns/%d", id), e.body(func(m map[string]any) { m["accountcode"] = "ACME-8" })); code != 200 || out["accountcode"] != "ACME-8" {
		t.Fatalf("update: %d %v", code, out)
	}
	for _, bad := range []string{"two words", strings.Repeat("x", 65), "naïve"} {
		code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["accountcode"] = bad }))
		if f, _ := errField(out); code != 422 || f != "accountcode" {
			t.Errorf("accountcode %q: %d %v", bad, code, out)
		}
	}
	// Another account does not see it by its accountcode.
	if code, out := e.do(e.other, "GET", "/api/v1/campaigns?accountcode=ACME-8", ""); code != 200 || len(out["campaigns"].([]any)) != 0 {
		t.Errorf("other account: %d %v", code, out)
	}
}
