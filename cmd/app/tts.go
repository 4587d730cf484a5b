package app

import (
	"context"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/tts"
)

// ttsPublisher is how text-to-speech audio reaches Asterisk: the media
// service keeps the WAV and serves it as sound:http://…/media/<sig>/<hash>.wav
// to Asterisk's HTTP media cache. It is built later in New than the TTS
// service, hence the indirection.
func (a *App) ttsPublisher() tts.Publisher { return lazyMedia{a} }

// lazyMedia is the media service once New has built it.
type lazyMedia struct{ a *App }

func (l lazyMedia) Publish(ctx context.Context, accountID int64, wav []byte) (string, error) {
	if l.a.media == nil {
		return "", switchyard.Unavailable("text-to-speech audio cannot be handed to Asterisk yet: the media service is starting")
	}
	return l.a.media.Publish(ctx, accountID, wav)
}

// URI is the media URI of audio the media service keeps (tts.MediaURIs).
func (l lazyMedia) URI(hash string) string { return l.a.media.URI(hash) }

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
