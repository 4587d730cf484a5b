package tts

import (
	"context"
	"time"
)

// Publisher makes audio playable by Asterisk: it keeps the WAV and
// returns an ARI media URI for it (e.g. sound:http://…/<hash>.wav served
// to Asterisk's HTTP media cache). The same bytes give the same URI.
type Publisher interface {
	Publish(ctx context.Context, accountID int64, wav []byte) (uri string, err error)
}

// MediaURIs is a Publisher that can say the URI of audio it already keeps,
// by the audio's SHA-256 (hex). A sentence found in the database then
// plays at the URI the daemon gives today (its media address may have
// moved since the sentence was made), not the one kept with it.
type MediaURIs interface {
	URI(hash string) string
}

// Store keeps the cache, the settings and the cloud accounts
// (*store.Store implements it).
type Store interface {
	TTSCacheGet(ctx context.Context, accountID int64, key string) (CacheEntry, bool, error)
	TTSCachePut(ctx context.Context, e CacheEntry) error
	TTSCachePurge(ctx context.Context, accountID int64, engine string) error
	TTSSettings(ctx context.Context, accountID int64) (Settings, bool, error)
	SetTTSSettings(ctx context.Context, s Settings) error

	CloudAccounts(ctx context.Context, accountID int64) ([]CloudAccount, error)
	CloudAccount(ctx context.Context, accountID, id int64) (CloudAccount, error)
	CloudAccountByAlias(ctx context.Context, accountID int64, alias string) (CloudAccount, error)
	CreateCloudAccount(ctx context.Context, a CloudAccount) (CloudAccount, error)
	UpdateCloudAccount(ctx context.Context, a CloudAccount) (CloudAccount, error)
	DeleteCloudAccount(ctx context.Context, accountID, id int64) error
}

// CacheEntry maps a sentence (engine, voice, text) of an account to the
// media published for it.
type CacheEntry struct {
	AccountID int64
	Key       string // hex SHA-256 of engine, voice, SSML flag and text
	Engine    string // LocalEngine or "cloud:<alias>"
	Voice     string
	MediaHash string // hex SHA-256 of the WAV
	URI       string // what the publisher returned
	Bytes     int
	CreatedAt time.Time
}

// Settings is an account's text-to-speech choice: the engine (LocalEngine
// or a cloud account's alias) and its voice.
type Settings struct {
	AccountID int64     `json:"-"`
	Engine    string    `json:"engine"`
	Voice     string    `json:"voice"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Providers of cloud accounts.
const (
	ProviderAWS    = "aws"    // amazon web service
	ProviderGoogle = "google" // google cloud service
)

// Services a cloud account may have, by provider. Only Polly and Google
// Text-to-Speech are used (and checked) by Switchyard today.
var Services = map[string][]string{
	ProviderAWS:    {"polly", "ses", "s3"},
	ProviderGoogle: {"text_to_speech", "dialogflow", "speech_to_text", "verified_calls", "verified_sms"},
}

// ttsService is the provider's text-to-speech service.
var ttsService = map[string]string{ProviderAWS: "polly", ProviderGoogle: "text_to_speech"}

// CloudAccount is a cloud speech account as kept: its secret (the AWS
// secret access key or the Google JSON credentials) is sealed.
type CloudAccount struct {
	ID          int64          `json:"id"`
	AccountID   int64          `json:"-"`
	Provider    string         `json:"provider"`
	Alias       string         `json:"alias"`
	Services    []string       `json:"services"`
	Region      string         `json:"region,omitempty"`        // AWS
	AccessKeyID string         `json:"access_key_id,omitempty"` // AWS
	ProjectID   string         `json:"project_id,omitempty"`    // Google
	Sealed      []byte         `json:"-"`                       // the sealed secret, never shown
	Checks      []ServiceCheck `json:"checks"`
	CheckedAt   *time.Time     `json:"checked_at,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

// ServiceCheck is what "Check now" found for one service.
type ServiceCheck struct {
	Service string `json:"service"`
	// Status is "ok", "failed" or "not_checked" (a service Switchyard
	// does not use, which it cannot vouch for).
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}
