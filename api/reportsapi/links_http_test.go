package reportsapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/reports/callreport"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

type linkStore map[string]store.Recording

func (s linkStore) GetRecordingByName(_ context.Context, name string) (store.Recording, error) {
	if r, ok := s[name]; ok {
		return r, nil
	}
	return store.Recording{}, store.ErrNotFound
}

type audioSource map[string]string

func (s audioSource) Open(_ context.Context, name, format string) (io.ReadCloser, error) {
	if b, ok := s[name+"."+format]; ok {
		return io.NopCloser(strings.NewReader(b)), nil
	}
	return nil, recordings.ErrGone
}
func (audioSource) Delete(context.Context, string, string) error { return nil }

// TestSignedRecordingLinks: a recording URL as flows and the call report
// give it downloads the recording without an API key; a changed
// signature, name or expiry answers 403, an expired link 410, a recording
// whose call has not ended yet 404, one past the availability window 410.
func TestSignedRecordingLinks(t *testing.T) {
	now := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	links := &recordings.Links{Key: []byte("0123456789abcdef0123456789abcdef"), BaseURL: "http://sy.example:8080", TTL: time.Hour, Now: clock}
	name := "record_1_10_+4930111_+4930222_1773129600000"
	st := linkStore{
		name:  {ID: 1, AccountID: 1, Name: name, Format: "wav", FileName: name + ".wav", StartedAt: now.Add(-time.Minute)},
		"old": {ID: 2, AccountID: 1, Name: "old", Format: "wav", FileName: "old.wav", StartedAt: now.Add(-31 * 24 * time.Hour)},
	}
	e := api.New(api.Deps{}, nil).Echo()
	RegisterLinks(e, LinkDeps{Store: st, Recordings: audioSource{name + ".wav": "RIFF-audio"}, Links: links, Now: clock})
	get := func(link string) *httptest.ResponseRecorder {
		t.Helper()
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
		return rec
	}
	link := links.URL(name)
	if !strings.HasPrefix(link, "http://sy.example:8080/recordings/"+name+"?expires=") || !strings.Contains(link, "&signature=") {
		t.Fatalf("link %s", link)
	}
	if got, ok := links.Name(link); !ok || got != name {
		t.Fatalf("Name(%s) = %q %v", link, got, ok)
	}
	rec := get(link)
	if rec.Code != 200 || rec.Body.String() != "RIFF-audio" || rec.Header().Get("Content-Type") != "audio/wav" ||
		!strings.Contains(rec.Header().Get("Content-Disposition"), name+".wav") {
		t.Fatalf("signed link: %d %v %q", rec.Code, rec.Header(), rec.Body)
	}
	u, _ := url.Parse(link)
	q := u.Query()
	tamper := func(f func(u *url.URL, q url.Values)) string {
		u2, q2 := *u, url.Values{}
		for k, v := range q {
			q2[k] = append([]string(nil), v...)
		}
		f(&u2, q2)
		u2.RawQuery = q2.Encode()
		return u2.String()
	}
	for what, l := range map[string]string{
		"signature": tamper(func(_ *url.URL, q url.Values) {
			s := []byte(q.Get("signature"))
			s[0] ^= 1
			q.Set("signature", string(s))
		}),
		"expiry extended": tamper(func(_ *url.URL, q url.Values) { q.Set("expires", "9999999999") }),
		"other recording": tamper(func(u *url.URL, _ url.Values) { u.Path = "/recordings/old" }),
		"no signature":    tamper(func(_ *url.URL, q url.Values) { q.Del("signature") }),
	} {
		rec := get(l)
		if rec.Code != 403 || !strings.Contains(rec.Body.String(), "signature is not valid") {
			t.Errorf("%s: %d %s", what, rec.Code, rec.Body)
		}
	}
	if _, ok := links.Name(tamper(func(_ *url.URL, q url.Values) { q.Set("signature", "x") })); ok {
		t.Error("Name accepted a bad signature")
	}
	expired := links.URLUntil(name, now.Add(-time.Second))
	if rec := get(expired); rec.Code != 410 || !strings.Contains(rec.Body.String(), "link has expired") {
		t.Errorf("expired: %d %s", rec.Code, rec.Body)
	}
	if rec := get(links.URL("record_live")); rec.Code != 404 || !strings.Contains(rec.Body.String(), "once its call has ended") {
		t.Errorf("not indexed yet: %d %s", rec.Code, rec.Body)
	}
	if rec := get(links.URL("old")); rec.Code != 410 || !strings.Contains(rec.Body.String(), "no longer available") {
		t.Errorf("past the window: %d %s", rec.Code, rec.Body)
	}
	// Another key's link is refused.
	other := &recordings.Links{Key: []byte("another key, also 32 bytes long!"), TTL: time.Hour, Now: clock}
	if rec := get(other.URL(name)); rec.Code != 403 {
		t.Errorf("other key: %d %s", rec.Code, rec.Body)
	}
	if got := callreport.Link(links, "recording:"+name); !strings.HasPrefix(got, "http://sy.example:8080/recordings/") {
		t.Errorf("RecordingLink %s", got)
	}
	if got := callreport.Link(links, ""); got != "" {
		t.Errorf("RecordingLink of none: %q", got)
	}
}
