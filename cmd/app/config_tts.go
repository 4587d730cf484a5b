package app

import (
	"errors"
	"net/url"
	"regexp"
)

// Text-to-speech settings: the key sealing cloud account secrets, the
// local engine's default voice, and the cloud services' endpoints.
const (
	EnvTTSSecretKey = "SWITCHYARD_TTS_SECRET_KEY"
	EnvTTSVoice     = "SWITCHYARD_TTS_VOICE"
	EnvPollyURL     = "SWITCHYARD_POLLY_URL"
	EnvGoogleTTSURL = "SWITCHYARD_GOOGLE_TTS_URL"

	// DefaultTTSVoice is espeak-ng's American English.
	DefaultTTSVoice = "en-us"
)

var ttsVoiceName = regexp.MustCompile(`^[A-Za-z0-9_.+:-]{1,64}$`)

var ttsSettings = []setting{
	{
		Setting: Setting{Env: EnvTTSSecretKey, Default: "(generated)",
			Description: "Key (at least 16 bytes) encrypting the cloud speech accounts' secrets (AWS secret keys, Google JSON credentials); changing it makes the saved secrets unreadable (enter them again). Environment only. Unset: a key generated once and kept in the database, shared by every node."},
		set: func(c *Config, v string) error { c.TTSSecretKey = v; return nil },
		get: func(c *Config) string { return "" },
	},
	stringSetting(EnvTTSVoice, "tts-voice", DefaultTTSVoice,
		"espeak-ng voice of the accounts that chose none (a language of `espeak-ng --voices`, optionally +variant).",
		func(c *Config) *string { return &c.TTSVoice }),
	stringSetting(EnvPollyURL, "polly-url", "(AWS's regional endpoint)",
		"Base URL of the Amazon Polly API instead of https://polly.REGION.amazonaws.com (a VPC endpoint or proxy).",
		func(c *Config) *string { return &c.PollyURL }),
	stringSetting(EnvGoogleTTSURL, "google-tts-url", "(https://texttospeech.googleapis.com)",
		"Base URL of the Google Cloud Text-to-Speech API (a private endpoint or proxy).",
		func(c *Config) *string { return &c.GoogleTTSURL }),
}

func init() { settings = append(settings, ttsSettings...) }

// ttsDefaults fills the text-to-speech settings of Default().
func ttsDefaults(c *Config) { c.TTSVoice = DefaultTTSVoice }

// validateTTS checks the text-to-speech settings.
func (c *Config) validateTTS() error {
	var errs []error
	if c.TTSSecretKey != "" {
		if err := validatePrintable(EnvTTSSecretKey, c.TTSSecretKey, true); err != nil {
			errs = append(errs, err)
		} else if len(c.TTSSecretKey) < minMailSecretLen {
			errs = append(errs, settingErr(EnvTTSSecretKey, "is %d bytes; at least %d are required", len(c.TTSSecretKey), minMailSecretLen))
		}
	}
	if !ttsVoiceName.MatchString(c.TTSVoice) {
		errs = append(errs, settingErr(EnvTTSVoice, "%q is not a voice name (letters, digits and - _ . + :)", truncate(c.TTSVoice, 80)))
	}
	for _, u := range []struct{ env, v string }{{EnvPollyURL, c.PollyURL}, {EnvGoogleTTSURL, c.GoogleTTSURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
			errs = append(errs, settingErr(u.env, "%q is not an http(s)://host[:port] URL", truncate(u.v, 80)))
		}
	}
	return errors.Join(errs...)
}
