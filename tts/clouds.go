package tts

import (
	"fmt"
	"net/http"
	"time"
)

// Clouds builds the cloud engines. Zero values talk to the real services;
// the URLs point the adapters at other servers speaking the same HTTP
// APIs (a regional endpoint, a proxy, a test server).
type Clouds struct {
	// PollyURL replaces Amazon Polly's regional endpoint
	// (https://polly.<region>.amazonaws.com).
	PollyURL string
	// GoogleURL replaces https://texttospeech.googleapis.com. The OAuth
	// token URL is the credentials' token_uri.
	GoogleURL string
	// HTTPClient makes the requests (default: a 30 s timeout).
	HTTPClient *http.Client
}

// maxAudioBytes caps the audio a cloud service may return (16 MiB, over
// eight minutes at 8 kHz 16-bit).
const maxAudioBytes = 16 << 20

func (c Clouds) client() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// Engine builds the text-to-speech engine of a cloud account.
func (c Clouds) Engine(a CloudAccount, secret string) (Engine, error) {
	switch a.Provider {
	case ProviderAWS:
		return newPolly(c, a, secret), nil
	case ProviderGoogle:
		return newGoogle(c, a, secret)
	}
	return nil, fmt.Errorf("tts: cloud account %q has unknown provider %q", a.Alias, a.Provider)
}
