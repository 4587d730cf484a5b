// Package ttstest has local servers that speak the HTTP APIs of Amazon
// Polly and Google Cloud Text-to-Speech as far as Switchyard uses them.
// There is no internet here, so the cloud adapters are tested against
// these: like the real services they check the request's authentication
// (Polly: the AWS Signature Version 4 recomputed from the secret key;
// Google: the service account's RS256-signed JWT exchanged at token_uri
// for a bearer token) and its body, and answer with 8 kHz 16-bit audio or
// the services' error shapes. They are test doubles, not the services.
// Imported by tests only.
package ttstest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sine is 16-bit little-endian PCM: a tone of hz at 8 kHz for secs.
func Sine(hz float64, secs float64) []byte {
	n := int(secs * 8000)
	b := make([]byte, 2*n)
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/8000))
		b[2*i], b[2*i+1] = byte(v), byte(uint16(v)>>8)
	}
	return b
}

// GoogleScope is the OAuth scope the token must be asked for.
const GoogleScope = "https://www.googleapis.com/auth/cloud-platform"

// WAV wraps 16-bit little-endian mono PCM at rate in a WAV header.
func WAV(pcm []byte, rate int) []byte {
	h := make([]byte, 44, 44+len(pcm))
	copy(h, "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+len(pcm)))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(len(pcm)))
	return append(h, pcm...)
}

// ---- AWS Signature Version 4, as the service checks it ----

func hmacSHA256(key []byte, s string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(s))
	return h.Sum(nil)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sigv4Encode is the URI encoding of SigV4 (RFC 3986 unreserved kept).
func sigv4Encode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// SigV4Signature computes the signature of a request from its signed
// headers, the secret key, the date, region and service.
func SigV4Signature(r *http.Request, body []byte, signed []string, secret, amzDate, region, service string) string {
	segs := strings.Split(r.URL.EscapedPath(), "/")
	for i, s := range segs {
		u, err := url.PathUnescape(s)
		if err != nil {
			u = s
		}
		segs[i] = sigv4Encode(sigv4Encode(u)) // every service but S3 double-encodes
	}
	path := strings.Join(segs, "/")
	if path == "" {
		path = "/"
	}
	q := r.URL.Query()
	var qs []string
	for k, vs := range q {
		for _, v := range vs {
			qs = append(qs, sigv4Encode(k)+"="+sigv4Encode(v))
		}
	}
	sort.Strings(qs)
	var hdrs strings.Builder
	for _, h := range signed {
		v := r.Header.Get(h)
		if h == "host" {
			v = r.Host
		}
		hdrs.WriteString(h + ":" + strings.Join(strings.Fields(v), " ") + "\n")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = sha256Hex(body)
	}
	canon := strings.Join([]string{r.Method, path, strings.Join(qs, "&"), hdrs.String(), strings.Join(signed, ";"), payload}, "\n")
	day := amzDate[:8]
	scope := day + "/" + region + "/" + service + "/aws4_request"
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex([]byte(canon))
	k := hmacSHA256([]byte("AWS4"+secret), day)
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	k = hmacSHA256(k, "aws4_request")
	return hex.EncodeToString(hmacSHA256(k, toSign))
}

// CheckSigV4 verifies a request's Authorization header against the
// secrets of the access key IDs the server knows.
func CheckSigV4(r *http.Request, body []byte, keys map[string]string, region, service string) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return fmt.Errorf("not a SigV4 authorization: %q", auth)
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[k] = v
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 5 || cred[4] != "aws4_request" {
		return fmt.Errorf("bad credential scope %q", parts["Credential"])
	}
	secret, ok := keys[cred[0]]
	if !ok {
		return fmt.Errorf("UnrecognizedClientException: the security token included in the request is invalid")
	}
	amzDate := r.Header.Get("X-Amz-Date")
	t, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil || cred[1] != amzDate[:8] {
		return fmt.Errorf("bad X-Amz-Date %q", amzDate)
	}
	if d := time.Since(t); d > 15*time.Minute || d < -15*time.Minute {
		return fmt.Errorf("signature expired: %s", amzDate)
	}
	if cred[2] != region || cred[3] != service {
		return fmt.Errorf("credential should be scoped to %s/%s, not %s/%s", region, service, cred[2], cred[3])
	}
	signed := strings.Split(parts["SignedHeaders"], ";")
	if !slices.Contains(signed, "host") || !slices.Contains(signed, "x-amz-date") {
		return fmt.Errorf("host and x-amz-date must be signed: %v", signed)
	}
	if want := SigV4Signature(r, body, signed, secret, amzDate, region, service); !hmac.Equal([]byte(want), []byte(parts["Signature"])) {
		return fmt.Errorf("InvalidSignatureException: the request signature we calculated does not match the signature you provided")
	}
	return nil
}

// Polly speaks Amazon Polly's REST API (SynthesizeSpeech, DescribeVoices)
// for one region: voices Joanna, Matthew (en-US) and Celine (fr-FR).
type Polly struct {
	URL    string // the server's base URL (Clouds.PollyURL)
	region string
	keys   map[string]string // access key ID → secret
	mu     sync.Mutex
	last   map[string]any // the last SynthesizeSpeech body
	calls  int
}

// StartPolly starts a Polly server for region knowing the access keys
// (ID → secret); it stops when the test ends.
func StartPolly(t testing.TB, region string, keys map[string]string) *Polly {
	p := &Polly{region: region, keys: keys}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// Last is the body of the last SynthesizeSpeech request.
func (f *Polly) Last() map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last
}

// Calls counts the SynthesizeSpeech requests that passed authentication.
func (f *Polly) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

var pollyVoices = []map[string]any{
	{"Id": "Joanna", "LanguageCode": "en-US", "Name": "Joanna", "Gender": "Female", "SupportedEngines": []string{"standard", "neural"}},
	{"Id": "Matthew", "LanguageCode": "en-US", "Name": "Matthew", "Gender": "Male", "SupportedEngines": []string{"standard", "neural"}},
	{"Id": "Celine", "LanguageCode": "fr-FR", "Name": "Céline", "Gender": "Female", "SupportedEngines": []string{"standard"}},
}

// ServeHTTP answers like Polly.
func (f *Polly) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fail := func(code int, typ, msg string) {
		w.Header().Set("X-Amzn-ErrorType", typ)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
	}
	if err := CheckSigV4(r, body, f.keys, f.region, "polly"); err != nil {
		typ, msg, _ := strings.Cut(err.Error(), ": ")
		if msg == "" {
			typ, msg = "InvalidSignatureException", err.Error()
		}
		fail(http.StatusForbidden, typ, msg)
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/voices":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"Voices": pollyVoices})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/speech":
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			fail(http.StatusBadRequest, "SerializationException", err.Error())
			return
		}
		f.mu.Lock()
		f.last, f.calls = in, f.calls+1
		f.mu.Unlock()
		known := false
		for _, v := range pollyVoices {
			known = known || v["Id"] == in["VoiceId"]
		}
		text, _ := in["Text"].(string)
		switch {
		case !known:
			fail(http.StatusBadRequest, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%v' at 'voiceId' failed to satisfy constraint", in["VoiceId"]))
		case in["OutputFormat"] != "pcm" || in["SampleRate"] != "8000":
			fail(http.StatusBadRequest, "InvalidSampleRateException", "pcm at 8000 Hz expected by this test server")
		case in["TextType"] == "ssml" && !strings.HasPrefix(text, "<speak>"):
			fail(http.StatusBadRequest, "InvalidSsmlException", "Invalid SSML request")
		case text == "" || len(text) > 3000:
			fail(http.StatusBadRequest, "TextLengthExceededException", "text length")
		default:
			w.Header().Set("Content-Type", "audio/pcm")
			w.Header().Set("x-amzn-RequestCharacters", fmt.Sprint(len(text)))
			_, _ = w.Write(Sine(440, 0.1*float64(len(strings.Fields(text)))))
		}
	default:
		fail(http.StatusNotFound, "UnknownOperationException", r.Method+" "+r.URL.Path)
	}
}

// Google speaks Google's OAuth token endpoint (JWT bearer grant, at
// /token) and Cloud Text-to-Speech v1 (text:synthesize, voices) for one
// service account of project my-project-1: voices en-US-Standard-C and
// hi-IN-Standard-A.
type Google struct {
	URL     string // the server's base URL (Clouds.GoogleURL)
	Email   string // the service account
	Project string
	key     *rsa.PrivateKey
	mu      sync.Mutex
	tokens  map[string]bool
	last    map[string]any
	tokenN  int
}

// StartGoogle starts the server; the service account's key is key (its
// public half checks the JWTs). It stops when the test ends.
func StartGoogle(t testing.TB, key *rsa.PrivateKey) *Google {
	g := &Google{key: key, Email: "tts@my-project-1.iam.gserviceaccount.com", Project: "my-project-1", tokens: map[string]bool{}}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	g.URL = srv.URL
	return g
}

// Tokens counts the access tokens issued.
func (g *Google) Tokens() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.tokenN
}

// Last is the last text:synthesize request: text, ssml, voice, lang.
func (g *Google) Last() map[string]any {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.last
}

// Credentials is the service account's JSON key file with key as its
// private key (the server's own key, or another to test a forgery) and
// this server's /token as token_uri.
func (g *Google) Credentials(t testing.TB, key *rsa.PrivateKey) string {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(map[string]string{"type": "service_account", "project_id": g.Project, "private_key_id": "kid1",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), "client_email": g.Email,
		"client_id": "1", "token_uri": g.URL + "/token"})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ServeHTTP answers like Google.
func (g *Google) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, status, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
	}
	if r.URL.Path == "/token" {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":"unsupported_grant_type"}`)
			return
		}
		if err := g.checkJWT(r.PostForm.Get("assertion")); err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant", "error_description": err.Error()})
			return
		}
		g.mu.Lock()
		g.tokenN++
		tok := fmt.Sprintf("ya29.test-%d", g.tokenN)
		g.tokens[tok] = true
		g.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3599})
		return
	}
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	ok := g.tokens[tok]
	g.mu.Unlock()
	if !ok {
		fail(http.StatusUnauthorized, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
		return
	}
	if r.Header.Get("x-goog-user-project") != g.Project {
		fail(http.StatusForbidden, "PERMISSION_DENIED", "Cloud Text-to-Speech API has not been used in project "+r.Header.Get("x-goog-user-project"))
		return
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/voices":
		_ = json.NewEncoder(w).Encode(map[string]any{"voices": []map[string]any{
			{"languageCodes": []string{"en-US"}, "name": "en-US-Standard-C", "ssmlGender": "FEMALE", "naturalSampleRateHertz": 24000},
			{"languageCodes": []string{"hi-IN"}, "name": "hi-IN-Standard-A", "ssmlGender": "FEMALE", "naturalSampleRateHertz": 24000},
		}})
	case r.Method == http.MethodPost && r.URL.Path == "/v1/text:synthesize":
		var in struct {
			Input struct {
				Text string `json:"text"`
				SSML string `json:"ssml"`
			} `json:"input"`
			Voice struct {
				LanguageCode string `json:"languageCode"`
				Name         string `json:"name"`
			} `json:"voice"`
			AudioConfig struct {
				AudioEncoding   string `json:"audioEncoding"`
				SampleRateHertz int    `json:"sampleRateHertz"`
			} `json:"audioConfig"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			fail(http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid JSON payload received. "+err.Error())
			return
		}
		g.mu.Lock()
		g.last = map[string]any{"text": in.Input.Text, "ssml": in.Input.SSML, "voice": in.Voice.Name, "lang": in.Voice.LanguageCode}
		g.mu.Unlock()
		text := in.Input.Text + in.Input.SSML
		switch {
		case (in.Input.Text == "") == (in.Input.SSML == ""):
			fail(http.StatusBadRequest, "INVALID_ARGUMENT", "Exactly one of text or ssml must be set.")
		case in.Voice.Name != "en-US-Standard-C" && in.Voice.Name != "hi-IN-Standard-A" || !strings.HasPrefix(in.Voice.Name, in.Voice.LanguageCode):
			fail(http.StatusBadRequest, "INVALID_ARGUMENT", fmt.Sprintf("Voice '%s' does not exist. Is it misspelled?", in.Voice.Name))
		case in.AudioConfig.AudioEncoding != "LINEAR16" || in.AudioConfig.SampleRateHertz != 8000:
			fail(http.StatusBadRequest, "INVALID_ARGUMENT", "this test server answers LINEAR16 at 8000 Hz")
		case in.Input.SSML != "" && !strings.HasPrefix(in.Input.SSML, "<speak>"):
			fail(http.StatusBadRequest, "INVALID_ARGUMENT", "Invalid SSML.")
		default:
			// LINEAR16 audioContent carries a WAV header.
			wav := WAV(Sine(330, 0.1*float64(len(strings.Fields(text)))), 8000)
			_ = json.NewEncoder(w).Encode(map[string]string{"audioContent": base64.StdEncoding.EncodeToString(wav)})
		}
	default:
		fail(http.StatusNotFound, "NOT_FOUND", r.URL.Path)
	}
}

// grantError is an error_description as Google writes it.
type grantError string

func (e grantError) Error() string { return string(e) }

// checkJWT verifies the token request's RS256 assertion.
func (g *Google) checkJWT(assertion string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return fmt.Errorf("assertion is not a JWT")
	}
	var hdr struct{ Alg, Kid string }
	var claims struct {
		Iss, Scope, Aud string
		Exp, Iat        int64
	}
	for i, dst := range []any{&hdr, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, dst); err != nil {
			return err
		}
	}
	if hdr.Alg != "RS256" || hdr.Kid != "kid1" {
		return fmt.Errorf("alg %s kid %s", hdr.Alg, hdr.Kid)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&g.key.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		return grantError("Invalid JWT Signature.") // Google's words

	}
	now := time.Now().Unix()
	if claims.Iss != g.Email || claims.Aud != g.URL+"/token" || !strings.Contains(claims.Scope, GoogleScope) || claims.Exp < now || claims.Iat > now+60 {
		return fmt.Errorf("bad claims %+v", claims)
	}
	return nil
}
