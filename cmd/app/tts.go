package app

import (
	"context"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/tts"
)

// ttsPublisher is how text-to-speech audio reaches Asterisk: the one spot
// to change when the media service (which stores the WAV and serves it
// as sound:http://…/media/<sig>/<hash>.wav to Asterisk's HTTP media
// cache) is wired in — return it here; it implements tts.Publisher.
func (a *App) ttsPublisher() tts.Publisher {
	return noMediaPublisher{}
}

// noMediaPublisher refuses to publish: without a media service Asterisk
// cannot fetch the audio, so a tts: item fails its play widget with this
// message (the API's preview, which returns the WAV itself, works).
type noMediaPublisher struct{}

func (noMediaPublisher) Publish(context.Context, int64, []byte) (string, error) {
	return "", switchyard.Unavailable("text-to-speech audio cannot be handed to Asterisk: this daemon has no media publisher")
}

// newTTS builds text-to-speech: espeak-ng locally, the accounts' cloud
// accounts (secrets sealed with the configured key, else one generated
// once and kept in the database, the same for every node).
func (a *App) newTTS(ctx context.Context, cfg Config) (*tts.Service, error) {
	key := []byte(cfg.TTSSecretKey)
	if len(key) == 0 {
		var err error
		if key, err = a.store.Secret(ctx, "cloud-accounts"); err != nil {
			return nil, err
		}
	}
	return tts.New(tts.Config{
		Store:        a.store,
		Publisher:    a.ttsPublisher(),
		Local:        &tts.Espeak{},
		SecretKey:    key,
		Cloud:        tts.Clouds{PollyURL: cfg.PollyURL, GoogleURL: cfg.GoogleTTSURL}.Engine,
		DefaultVoice: cfg.TTSVoice,
		Logger:       a.log.With("component", "tts"),
	})
}
