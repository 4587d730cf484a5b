package tts

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"github.com/switchyard/switchyard/tts/ttstest"
	"strings"
	"sync/atomic"
	"testing"
)

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
)

func awsAccount(region string) CloudAccount {
	return CloudAccount{AccountID: 1, Provider: ProviderAWS, Alias: "polly_main", Services: []string{"polly", "ses"},
		Region: region, AccessKeyID: testKeyID}
}

// TestPollyAdapter: against a server speaking Polly's API and checking
// SigV4, the adapter speaks text and SSML as 8 kHz WAV, lists voices, and
// turns the service's refusals into coded errors.
func TestPollyAdapter(t *testing.T) {
	fp := ttstest.StartPolly(t, "eu-west-1", map[string]string{testKeyID: testSecret})
	ctx := context.Background()
	clouds := Clouds{PollyURL: fp.URL}
	eng, err := clouds.Engine(awsAccount("eu-west-1"), testSecret)
	if err != nil {
		t.Fatal(err)
	}
	wav, err := eng.Synthesize(ctx, "Joanna", "Your payment is due tomorrow", false)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ParseWAV(wav)
	if err != nil || info.Rate != 8000 || info.Channels != 1 || info.Bits != 16 || len(info.Data) != len(ttstest.Sine(440, 0.5)) {
		t.Fatalf("audio %+v %v (%d bytes)", info.Rate, err, len(info.Data))
	}
	if fp.Last()["TextType"] != "text" || fp.Last()["VoiceId"] != "Joanna" || fp.Last()["Engine"] != nil {
		t.Errorf("request %v", fp.Last())
	}
	if _, err := eng.Synthesize(ctx, "Joanna:neural", "<speak>Hi <break time=\"1s\"/></speak>", true); err != nil {
		t.Fatal(err)
	}
	if fp.Last()["TextType"] != "ssml" || fp.Last()["Engine"] != "neural" {
		t.Errorf("SSML request %v", fp.Last())
	}
	vs, err := eng.Voices(ctx)
	if err != nil || len(vs) != 3 || vs[0].ID != "Joanna" || vs[0].Language != "en-US" || vs[0].Gender != "female" {
		t.Fatalf("voices %+v %v", vs, err)
	}
	for _, tc := range []struct {
		name, voice, text string
		ssml              bool
		acct              CloudAccount
		secret            string
		want              error
		says              string
	}{
		{"unknown voice", "Nobody", "Hi", false, awsAccount("eu-west-1"), testSecret, ErrUnknownVoice, "ValidationException"},
		{"unknown engine", "Joanna:turbo", "Hi", false, awsAccount("eu-west-1"), testSecret, ErrUnknownVoice, "turbo"},
		{"bad SSML", "Joanna", "<speak", true, awsAccount("eu-west-1"), testSecret, ErrInvalid, "InvalidSsml"},
		{"wrong secret", "Joanna", "Hi", false, awsAccount("eu-west-1"), "not-the-secret", ErrEngine, "InvalidSignatureException"},
		{"wrong region", "Joanna", "Hi", false, awsAccount("us-east-1"), testSecret, ErrEngine, "scoped"},
	} {
		e, err := clouds.Engine(tc.acct, tc.secret)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.Synthesize(ctx, tc.voice, tc.text, tc.ssml)
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v; want %v saying %q", tc.name, err, tc.want, tc.says)
		}
	}
	down := Clouds{PollyURL: "http://127.0.0.1:1"}
	e, _ := down.Engine(awsAccount("eu-west-1"), testSecret)
	if _, err := e.Synthesize(ctx, "Joanna", "Hi", false); !errors.Is(err, ErrEngine) {
		t.Errorf("unreachable: %v", err)
	}
}

// TestGoogleAdapter: against servers speaking Google's OAuth token
// exchange (checking the JWT's RS256 signature) and Text-to-Speech v1,
// the adapter speaks text and SSML as 8 kHz WAV, lists voices, reuses its
// token, and turns refusals into coded errors.
func TestGoogleAdapter(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	g := ttstest.StartGoogle(t, key)
	creds := g.Credentials(t, key)
	acct := CloudAccount{AccountID: 1, Provider: ProviderGoogle, Alias: "gcp", Services: []string{"text_to_speech"}, ProjectID: g.Project}
	ctx := context.Background()
	clouds := Clouds{GoogleURL: g.URL}
	eng, err := clouds.Engine(acct, creds)
	if err != nil {
		t.Fatal(err)
	}
	wav, err := eng.Synthesize(ctx, "en-US-Standard-C", "Your payment is due tomorrow", false)
	if err != nil {
		t.Fatal(err)
	}
	info, err := ParseWAV(wav)
	if err != nil || info.Rate != 8000 || len(info.Data) != len(ttstest.Sine(330, 0.5)) {
		t.Fatalf("audio %+v %v", info.Rate, err)
	}
	if g.Last()["lang"] != "en-US" || g.Last()["text"] != "Your payment is due tomorrow" {
		t.Errorf("request %v", g.Last())
	}
	if _, err := eng.Synthesize(ctx, "hi-IN-Standard-A", "<speak>Namaste</speak>", true); err != nil || g.Last()["ssml"] != "<speak>Namaste</speak>" {
		t.Fatalf("SSML: %v %v", err, g.Last())
	}
	vs, err := eng.Voices(ctx)
	if err != nil || len(vs) != 2 || vs[1].ID != "hi-IN-Standard-A" || vs[1].Language != "hi-IN" {
		t.Fatalf("voices %+v %v", vs, err)
	}
	if g.Tokens() != 1 {
		t.Errorf("%d tokens fetched for three requests; want 1", g.Tokens())
	}
	if _, err := eng.Synthesize(ctx, "en-US-Nobody-Z", "Hi", false); !errors.Is(err, ErrUnknownVoice) {
		t.Errorf("unknown voice: %v", err)
	}
	if _, err := eng.Synthesize(ctx, "joanna", "Hi", false); !errors.Is(err, ErrUnknownVoice) {
		t.Errorf("not a Google voice name: %v", err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := clouds.Engine(acct, g.Credentials(t, other))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := forged.Synthesize(ctx, "en-US-Standard-C", "Hi", false); !errors.Is(err, ErrEngine) || !strings.Contains(err.Error(), "Invalid JWT Signature") {
		t.Errorf("key not the service account's: %v", err)
	}
	wrongProject := acct
	wrongProject.ProjectID = "someone-else"
	e, err := clouds.Engine(wrongProject, creds)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Voices(ctx); !errors.Is(err, ErrEngine) || !strings.Contains(err.Error(), "PERMISSION_DENIED") {
		t.Errorf("wrong project: %v", err)
	}
}

// TestCheckNow: "Check now" asks the text-to-speech service of each
// provider whether the keys work, says so per service, and keeps the
// result with a saved account; the secrets are sealed and never returned.
func TestCheckNow(t *testing.T) {
	fp := ttstest.StartPolly(t, "eu-west-1", map[string]string{testKeyID: testSecret})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	g := ttstest.StartGoogle(t, key)
	st := newMemStore()
	var pubs atomic.Int64
	s, err := New(Config{Store: st, Publisher: hashPublisher(&pubs), Local: countingEngine(new(atomic.Int64)), SecretKey: testKey,
		Cloud: Clouds{PollyURL: fp.URL, GoogleURL: g.URL}.Engine})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	aws := CloudInput{Provider: "aws", Alias: "polly_main", Services: []string{"polly", "ses"}, Region: "eu-west-1",
		AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	checks, err := s.CheckCloudInput(ctx, 1, aws)
	if err != nil || len(checks) != 2 || checks[0].Status != "ok" || checks[0].Message != "3 voices available" || checks[1].Status != "not_checked" {
		t.Fatalf("aws check: %+v %v", checks, err)
	}
	bad := aws
	bad.SecretAccessKey = "wrong"
	if checks, err := s.CheckCloudInput(ctx, 1, bad); err != nil || checks[0].Status != "failed" || !strings.Contains(checks[0].Message, "InvalidSignatureException") {
		t.Fatalf("wrong secret: %+v %v", checks, err)
	}
	gin := CloudInput{Provider: "google", Alias: "gcp", Services: []string{"text_to_speech", "dialogflow"}, Credentials: g.Credentials(t, key)}
	saved, err := s.CreateCloudAccount(ctx, 1, gin)
	if err != nil {
		t.Fatal(err)
	}
	if saved.ProjectID != g.Project || strings.Contains(string(saved.Sealed), "PRIVATE KEY") {
		t.Fatalf("saved %+v", saved.ProjectID)
	}
	checked, err := s.CheckCloudAccount(ctx, 1, saved.ID)
	if err != nil || checked.CheckedAt == nil || len(checked.Checks) != 2 || checked.Checks[0].Status != "ok" || checked.Checks[1].Status != "not_checked" {
		t.Fatalf("google check: %+v %v", checked, err)
	}
	// Through the account's settings, the cloud engine speaks a flow's item.
	if _, err := s.SetSettings(ctx, 1, Settings{Engine: "gcp", Voice: "en-US-Standard-C"}); err != nil {
		t.Fatal(err)
	}
	u, err := s.Synthesize(ctx, 1, "Your payment is due tomorrow")
	if err != nil || len(u) != 1 || pubs.Load() != 1 {
		t.Fatalf("cloud synthesis: %v %v", u, err)
	}
	tokens := g.Tokens()
	if _, err := s.Synthesize(ctx, 1, "Thank you"); err != nil || g.Tokens() != tokens {
		t.Fatalf("a second sentence: %v; %d tokens fetched, want the first one reused (%d)", err, g.Tokens(), tokens)
	}
	// Another account's sealer context does not open the secret.
	stolen := checked
	stolen.AccountID = 2
	if _, err := s.sealer.Open(2, stolen.Sealed); err == nil {
		t.Fatal("a secret opened in another account")
	}
}

// TestCloudInput: each field of a cloud account is checked with a message
// naming it.
func TestCloudInput(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	g := ttstest.StartGoogle(t, key)
	creds := g.Credentials(t, key)
	aws := func(f func(*CloudInput)) CloudInput {
		in := CloudInput{Provider: "aws", Alias: "a_1", Services: []string{"polly"}, Region: "eu-west-1", AccessKeyID: testKeyID, SecretAccessKey: testSecret}
		f(&in)
		return in
	}
	gcp := func(f func(*CloudInput)) CloudInput {
		in := CloudInput{Provider: "google", Alias: "g", Services: []string{"text_to_speech"}, Credentials: creds}
		f(&in)
		return in
	}
	for _, tc := range []struct {
		name  string
		in    CloudInput
		field string
	}{
		{"ok aws", aws(func(*CloudInput) {}), ""},
		{"ok google", gcp(func(*CloudInput) {}), ""},
		{"provider", aws(func(i *CloudInput) { i.Provider = "azure" }), "provider"},
		{"alias chars", aws(func(i *CloudInput) { i.Alias = "my-alias" }), "alias"},
		{"alias local", aws(func(i *CloudInput) { i.Alias = "local" }), "alias"},
		{"alias long", aws(func(i *CloudInput) { i.Alias = strings.Repeat("a", 33) }), "alias"},
		{"no services", aws(func(i *CloudInput) { i.Services = nil }), "services"},
		{"other provider's service", aws(func(i *CloudInput) { i.Services = []string{"dialogflow"} }), "services"},
		{"region", aws(func(i *CloudInput) { i.Region = "Europe" }), "region"},
		{"key id", aws(func(i *CloudInput) { i.AccessKeyID = "short" }), "access_key_id"},
		{"no secret", aws(func(i *CloudInput) { i.SecretAccessKey = "" }), "secret_access_key"},
		{"aws with creds", aws(func(i *CloudInput) { i.Credentials = creds }), "project_id"},
		{"no creds", gcp(func(i *CloudInput) { i.Credentials = "" }), "credentials"},
		{"creds not JSON", gcp(func(i *CloudInput) { i.Credentials = "{" }), "credentials"},
		{"creds not service account", gcp(func(i *CloudInput) { i.Credentials = `{"type":"authorized_user"}` }), "credentials"},
		{"creds bad key", gcp(func(i *CloudInput) {
			i.Credentials = `{"type":"service_account","client_email":"a@b","private_key":"nope","token_uri":"https://x/token"}`
		}), "credentials"},
		{"project id", gcp(func(i *CloudInput) { i.ProjectID = "Bad_Project" }), "project_id"},
		{"google with keys", gcp(func(i *CloudInput) { i.AccessKeyID = testKeyID }), "region"},
	} {
		_, _, err := checkInput(tc.in, nil)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) || fieldOf(err) != tc.field {
			t.Errorf("%s: %v (field %q); want invalid %s", tc.name, err, fieldOf(err), tc.field)
		}
	}
}

// TestSealer: a sealed secret opens with its key and account only.
func TestSealer(t *testing.T) {
	s, err := NewSealer(testKey)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Seal(5, "top secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "top secret") {
		t.Fatal("plain text in the sealed form")
	}
	if got, err := s.Open(5, b); err != nil || got != "top secret" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := s.Open(6, b); err == nil {
		t.Error("opened for another account")
	}
	other, _ := NewSealer([]byte("another key of enough length"))
	if _, err := other.Open(5, b); err == nil {
		t.Error("opened with another key")
	}
	b[len(b)-1] ^= 1
	if _, err := s.Open(5, b); err == nil {
		t.Error("opened a tampered secret")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}
