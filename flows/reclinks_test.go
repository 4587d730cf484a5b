package flows

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// fakeLinks makes links http://sy/recordings/<name>?signature=ok.
type fakeLinks struct{}

func (fakeLinks) URL(name string) string {
	return "http://sy/recordings/" + url.PathEscape(name) + "?signature=ok"
}
func (fakeLinks) Name(link string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("signature") != "ok" || !strings.HasPrefix(u.Path, "/recordings/") {
		return "", false
	}
	return strings.TrimPrefix(u.Path, "/recordings/"), true
}

// TestRecordingVariablesAreURLs: with recording links configured, every
// recording variable reads as its download URL (in webhooks, templates
// and assignments alike), other variables are unchanged, and a play
// widget given such a URL plays the recording itself.
func TestRecordingVariablesAreURLs(t *testing.T) {
	node := `{"id":"n","type":"play","params":{"media":["$call.ivr_recording.recordingUri"]},"exits":["ok","ok"]}`
	r, n := oneNode(t, &Engine{RecordingLinks: fakeLinks{}}, node, nil)
	r.callVars["ivr_recording.recordingUri"] = "recording:record_1_2_+4930111_+4930222_1700000000000"
	r.callVars["agent_dialer.recordingUri"] = "recording:record_agent_1_3_+4930111_+4930222_q_1700000000000"
	r.callVars["recordingUri"] = r.callVars["ivr_recording.recordingUri"]
	r.callVars["dnis"] = "recording:not-a-recording-variable"
	got, missing := r.subCtx(context.Background(), `{"u":"$call.recordingUri","a":"$call.agent_dialer.recordingUri","d":"$call.dnis"}`)
	if len(missing) > 0 {
		t.Fatal(missing)
	}
	want := `{"u":"http://sy/recordings/record_1_2_+4930111_+4930222_1700000000000?signature=ok","a":"http://sy/recordings/record_agent_1_3_+4930111_+4930222_q_1700000000000?signature=ok","d":"recording:not-a-recording-variable"}`
	if got != want {
		t.Errorf("webhook body\n got %s\nwant %s", got, want)
	}
	media, err := r.resolveMedia(context.Background(), n.cfg.(*playCfg).Media)
	if err != nil || len(media) != 1 || media[0] != "recording:record_1_2_+4930111_+4930222_1700000000000" {
		t.Errorf("play the recording's URL: %v %v", media, err)
	}
	// A URL that is not a recording link is not media.
	r.callVars["ivr_recording.recordingUri"] = "http://sy/recordings/x?signature=forged"
	r.e.RecordingLinks = fakeLinks{}
	if _, err := r.resolveMedia(context.Background(), n.cfg.(*playCfg).Media); err == nil {
		t.Error("a forged link played")
	}
}
