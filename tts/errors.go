package tts

import (
	"net/http"

	"github.com/switchyard/switchyard"
)

// Errors of text-to-speech. Each is a coded error: the HTTP layer maps it
// by its code and a flow's play widget reports its message.
var (
	// ErrInvalid: the text, voice choice, settings or cloud account input
	// were refused (empty text, text too long, bad alias…).
	ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, http.StatusUnprocessableEntity, "invalid text-to-speech input")
	// ErrUnknownVoice: the engine has no such voice.
	ErrUnknownVoice = switchyard.Sentinel("unknown_voice", http.StatusUnprocessableEntity, "unknown voice")
	// ErrNotFound: no such cloud account in the account.
	ErrNotFound = switchyard.Sentinel(switchyard.CodeNotFound, http.StatusNotFound, "cloud account not found")
	// ErrConflict: the alias is taken in the account.
	ErrConflict = switchyard.Sentinel(switchyard.CodeConflict, http.StatusConflict, "alias already used")
	// ErrEngine: the engine failed to make the audio (espeak-ng or sox
	// failed, the cloud service refused or could not be reached).
	ErrEngine = switchyard.Sentinel("tts_engine_failed", http.StatusServiceUnavailable, "the text-to-speech engine failed")
)
