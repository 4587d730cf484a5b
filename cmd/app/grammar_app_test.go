package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/internal/testkit"
)

// TestSayDateOnAsterisk: a published inbound flow's say widget says the
// date 2026-03-15 (from a flow variable) with the Sample English Grammar
// ("March fifteenth twenty twenty six": Asterisk's digits/mon-2, h-15,
// 20, 20, 6) to a caller who records what it hears; the recording has
// speech as long as those five sounds (±30%) with real energy, and the
// journey shows the items said. The grammars API previews the same items.
func TestSayDateOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	if info.Root == "" {
		t.Fatal("reading what the caller heard needs the local dev Asterisk's root (asterisk-conf/local/up.sh)")
	}
	if _, err := exec.LookPath("sox"); err != nil {
		t.Fatal("sox is needed to measure what the caller heard (.ci/ensure-media-tools.sh installs it)")
	}
	a, _ := boot(t, nil)
	ctx := context.Background()
	st := a.Store()
	acc, key := apiAccount(t, a)
	want := []string{"sound:digits/mon-2", "sound:digits/h-15", "sound:digits/20", "sound:digits/20", "sound:digits/6"}

	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/grammars/sample_english/say", map[string]string{"type": "date", "value": "2026-03-15"})
	var preview struct {
		Items []string `json:"items"`
	}
	if err := json.Unmarshal(body, &preview); err != nil || code != http.StatusOK || !slices.Equal(preview.Items, want) {
		t.Fatalf("preview: %d %s", code, body)
	}

	flow := createFlow(t, a, key, `{"format":1,"name":"Due date","type":"inbound","start":"answer","variables":["due"],
	  "nodes":[
	    {"id":"answer","type":"answer","exits":["set","end"]},
	    {"id":"set","type":"set_variable","params":{"assign":[{"name":"$flow.key.due","value":"2026-03-15"}]},"exits":["say"]},
	    {"id":"say","type":"say","params":{"type":"date","value":"$flow.key.due"},"exits":["end","end"]},
	    {"id":"end","type":"hangup","params":{"cause":16}}]}`)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish: %d %s", code, body)
	}
	did := "+4930557" + strconv.Itoa(int(time.Now().UnixNano()%10000))
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/dids/"+url.PathEscape(did), map[string]any{"flow_id": json.Number(flow)}); code/100 != 2 {
		t.Fatalf("map DID: %d %s", code, body)
	}
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	heard := "/tmp/sy-say-heard-" + strconv.FormatInt(time.Now().UnixNano(), 10)
	heardFile := filepath.Join(info.Root, heard+".wav")
	t.Cleanup(func() { _ = os.Remove(heardFile); _ = os.Remove(filepath.Join(info.Root, heard+"-both.wav")) })
	if _, err := a.Calls().Client().Originate(ctx, ari.OriginateRequest{
		Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "answer-listen", Priority: 1,
		Variables: map[string]string{"SWITCHYARD_APP": a.Config().ARIApp, "HEARD": heard},
	}); err != nil {
		t.Fatal(err)
	}
	at := finishedAttempt(t, st, acc.ID, did)
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/calls/"+at.ID+"/journey", nil)
	var journey struct {
		Steps struct {
			Steps []struct {
				Node   string         `json:"node"`
				Exit   *int           `json:"exit"`
				Inputs map[string]any `json:"inputs"`
				Error  string         `json:"error"`
			} `json:"steps"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(body, &journey); err != nil || code != http.StatusOK {
		t.Fatalf("journey: %d %s", code, body)
	}
	var said []string
	for _, s := range journey.Steps.Steps {
		if s.Node != "say" {
			continue
		}
		if s.Exit == nil || *s.Exit != 0 || s.Error != "" || s.Inputs["value"] != "2026-03-15" || s.Inputs["grammar"] != "sample_english" {
			t.Fatalf("say step: %s", body)
		}
		for _, it := range s.Inputs["items"].([]any) {
			said = append(said, it.(string))
		}
	}
	if !slices.Equal(said, want) {
		t.Fatalf("the say widget said %v, want %v (journey %s)", said, want, body)
	}

	// What the segments last, and what the caller heard.
	var expected float64
	for _, it := range said {
		name := strings.TrimPrefix(it, "sound:")
		expected += soxStat(t, soundFile(info.Root, "en", name), "Length (seconds)")
	}
	var size int64 = -1
	testkit.Eventually(t, 20*time.Second, func() bool {
		fi, err := os.Stat(heardFile)
		if err != nil || fi.Size() <= 44 {
			return false
		}
		if fi.Size() == size {
			return true
		}
		size = fi.Size()
		return false
	}, "the caller's recording of what it heard, written completely")
	// The speech: the recording without its leading and trailing silence.
	speech := filepath.Join(t.TempDir(), "speech.wav")
	if out, err := exec.Command("sox", heardFile, speech, "silence", "1", "0.05", "1%", "reverse", "silence", "1", "0.05", "1%", "reverse").CombinedOutput(); err != nil {
		t.Fatalf("sox trim: %v: %s", err, out)
	}
	got := soxStat(t, speech, "Length (seconds)")
	rms := soxStat(t, speech, "RMS     amplitude")
	t.Logf("heard %.2f s of speech (RMS %.3f); the five segments last %.2f s", got, rms, expected)
	if got < expected*0.7 || got > expected*1.3 {
		t.Errorf("the caller heard %.2f s of speech; the segments last %.2f s (±30%%)", got, expected)
	}
	if rms < 0.02 {
		t.Errorf("the caller heard RMS amplitude %.3f: no real speech", rms)
	}
}

// soxStat reads one value of `sox FILE -n stat`.
func soxStat(t *testing.T, file, field string) float64 {
	t.Helper()
	out, err := exec.Command("sox", file, "-n", "stat").CombinedOutput()
	if err != nil {
		t.Fatalf("sox stat %s: %v: %s", file, err, out)
	}
	m := regexp.MustCompile(regexp.QuoteMeta(field) + `:\s+(-?[0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("sox stat %s: no %q in %s", file, field, out)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// soundFile is the GSM file of one of Asterisk's sounds inside the local
// Asterisk's root (whose language directories are links within it).
func soundFile(root, lang, name string) string {
	dir := filepath.Join(root, "usr/share/asterisk/sounds", lang)
	for i := 0; i < 5; i++ {
		l, err := os.Readlink(dir)
		if err != nil {
			break
		}
		if filepath.IsAbs(l) {
			dir = filepath.Join(root, l)
		} else {
			dir = filepath.Join(filepath.Dir(dir), l)
		}
	}
	return filepath.Join(dir, name+".gsm")
}
