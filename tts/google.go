package tts

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"
)

// googleEngine speaks through Google Cloud Text-to-Speech v1
// (text:synthesize, LINEAR16 at 8 kHz), authenticated with an OAuth token
// the service account's key obtains from its token_uri. A voice is a
// Google voice name ("en-US-Standard-C"); its language is the name's
// first two parts.
type googleEngine struct {
	base, project, alias string
	hc                   *http.Client
	ts                   oauth2.TokenSource
}

const googleScope = "https://www.googleapis.com/auth/cloud-platform"

func newGoogle(c Clouds, a CloudAccount, secret string) (*googleEngine, error) {
	cred, _, err := ParseGoogleCredentials(secret)
	if err != nil {
		return nil, err
	}
	base := strings.TrimRight(c.GoogleURL, "/")
	if base == "" {
		base = "https://texttospeech.googleapis.com"
	}
	cfg := &jwt.Config{Email: cred.ClientEmail, PrivateKey: []byte(cred.PrivateKey), PrivateKeyID: cred.PrivateKeyID,
		Scopes: []string{googleScope}, TokenURL: cred.TokenURI}
	hc := c.client()
	ts := cfg.TokenSource(context.WithValue(context.Background(), oauth2.HTTPClient, hc))
	return &googleEngine{base: base, project: a.ProjectID, alias: a.Alias, hc: hc, ts: ts}, nil
}

type googleSynthRequest struct {
	Input struct {
		Text string `json:"text,omitempty"`
		SSML string `json:"ssml,omitempty"`
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

// googleLanguage is a voice name's language ("en-US-Standard-C" → "en-US").
func googleLanguage(voice string) (string, bool) {
	parts := strings.SplitN(voice, "-", 3)
	if len(parts) < 3 || len(parts[0]) < 2 || len(parts[1]) < 2 {
		return "", false
	}
	return parts[0] + "-" + parts[1], true
}

func (g *googleEngine) Synthesize(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
	lang, ok := googleLanguage(voice)
	if !ok {
		return nil, ErrUnknownVoice.New("voice", "%q is not a Google voice name (e.g. en-US-Standard-C)", voice)
	}
	var req googleSynthRequest
	if ssml {
		req.Input.SSML = text
	} else {
		req.Input.Text = text
	}
	req.Voice.LanguageCode, req.Voice.Name = lang, voice
	req.AudioConfig.AudioEncoding, req.AudioConfig.SampleRateHertz = "LINEAR16", SampleRate
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	var out struct {
		AudioContent string `json:"audioContent"`
	}
	if err := g.call(ctx, http.MethodPost, "/v1/text:synthesize", body, &out); err != nil {
		return nil, err
	}
	audio, err := base64.StdEncoding.DecodeString(out.AudioContent)
	if err != nil || len(audio) == 0 {
		return nil, ErrEngine.New("", "Google Text-to-Speech (cloud account %s) returned no audio", g.alias)
	}
	if bytes.HasPrefix(audio, []byte("RIFF")) {
		info, err := ParseWAV(audio)
		if err != nil {
			return nil, ErrEngine.New("", "Google Text-to-Speech's audio: %v", err)
		}
		if info.Rate != SampleRate || info.Channels != 1 || info.Bits != 16 {
			return nil, ErrEngine.New("", "Google Text-to-Speech returned %d Hz %d-channel %d-bit audio, not 8000 Hz mono 16-bit", info.Rate, info.Channels, info.Bits)
		}
		audio = info.Data
	}
	if len(audio)%2 == 1 {
		audio = audio[:len(audio)-1]
	}
	return wavPCM16(audio, SampleRate), nil
}

func (g *googleEngine) Voices(ctx context.Context) ([]Voice, error) {
	var out struct {
		Voices []struct {
			LanguageCodes []string `json:"languageCodes"`
			Name          string   `json:"name"`
			SSMLGender    string   `json:"ssmlGender"`
		} `json:"voices"`
	}
	if err := g.call(ctx, http.MethodGet, "/v1/voices", nil, &out); err != nil {
		return nil, err
	}
	vs := make([]Voice, 0, len(out.Voices))
	for _, v := range out.Voices {
		lang := ""
		if len(v.LanguageCodes) > 0 {
			lang = v.LanguageCodes[0]
		}
		vs = append(vs, Voice{ID: v.Name, Language: lang, Name: v.Name, Gender: strings.ToLower(v.SSMLGender)})
	}
	return vs, nil
}

// call makes an authenticated request and decodes the JSON answer.
func (g *googleEngine) call(ctx context.Context, method, path string, body []byte, out any) error {
	tok, err := g.ts.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return ErrEngine.New("", "Google refused the service account's credentials (cloud account %s): %s %s",
				g.alias, re.Response.Status, clip(firstNonEmpty(re.ErrorDescription, re.ErrorCode, string(re.Body)), 200))
		}
		return ErrEngine.New("", "no Google token for cloud account %s: %v", g.alias, err)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("x-goog-user-project", g.project)
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := g.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrEngine, ctx.Err())
		}
		return ErrEngine.New("", "Google Text-to-Speech (cloud account %s) could not be reached: %v", g.alias, redactURL(err))
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAudioBytes*2))
	if err != nil {
		return ErrEngine.New("", "reading Google Text-to-Speech's answer: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error struct {
				Message string `json:"message"`
				Status  string `json:"status"`
			} `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		msg := fmt.Sprintf("Google Text-to-Speech (cloud account %s) refused: %d %s: %s", g.alias, resp.StatusCode, e.Error.Status, clip(e.Error.Message, 300))
		if resp.StatusCode == http.StatusBadRequest {
			if strings.Contains(strings.ToLower(e.Error.Message), "voice") {
				return ErrUnknownVoice.New("voice", "%s", msg)
			}
			return ErrInvalid.New("text", "%s", msg)
		}
		return ErrEngine.New("", "%s", msg)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return ErrEngine.New("", "Google Text-to-Speech's answer is not JSON: %v", err)
	}
	return nil
}

// redactURL drops the query of a URL error (no secret travels there, but
// the message stays short).
func redactURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
