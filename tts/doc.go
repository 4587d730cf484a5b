// Package tts is text-to-speech: it turns the text of a flow's
// "tts:<text>" media item into audio Asterisk plays, with the local
// espeak-ng engine by default or an account's cloud speech account
// (Amazon Polly, Google Cloud Text-to-Speech) when the account chose one.
//
// # Media items
//
// The text after "tts:" may start with a voice choice in brackets:
//
//	tts:Hello                      the account's engine and voice
//	tts:[en-gb] Hello              the account's engine, voice en-gb
//	tts:[local/fr] Bonjour         the local engine, voice fr
//	tts:[polly_main/Joanna] Hi     the cloud account with alias polly_main, voice Joanna
//	tts:[] [not a voice] text      empty brackets: defaults; the rest is all text
//	tts:<speak>Hi <break time="1s"/> there</speak>   SSML (text starting with <speak)
//
// Local voices are espeak-ng's languages ("en-us", "en-gb-x-rp", "fr", …,
// as GET /api/v1/tts/voices lists them), optionally with a variant
// ("en-us+Alicia"). A cloud account's voices are its service's voice names.
//
// # Cache
//
// Audio is made once per account, engine, voice and text: concurrent
// requests for the same sentence wait for one synthesis, and the mapping
// from that key to the published media is kept in the database, so a
// campaign playing the same sentence on every call, even across restarts,
// synthesises it once.
//
// # Cloud accounts
//
// An account's cloud accounts (aliases of letters, digits and
// underscores) keep their keys sealed with AES-256-GCM; "Check now" asks
// each selected service whether the keys work.
package tts
