package tts

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
)

// CloudInput is a cloud account as the account enters it. On an update an
// empty SecretAccessKey or Credentials keeps the saved one.
type CloudInput struct {
	Provider        string   `json:"provider"` // "aws" or "google"
	Alias           string   `json:"alias"`
	Services        []string `json:"services"`
	Region          string   `json:"region,omitempty"`
	AccessKeyID     string   `json:"access_key_id,omitempty"`
	SecretAccessKey string   `json:"secret_access_key,omitempty"`
	ProjectID       string   `json:"project_id,omitempty"`
	// Credentials is the Google service account's JSON key file.
	Credentials string `json:"credentials,omitempty"`
}

var (
	awsRegion   = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	awsKeyID    = regexp.MustCompile(`^[A-Z0-9]{16,128}$`)
	gcpProject  = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	maxCredSize = 16 << 10
)

// GoogleCredentials is what a Google service account's JSON key holds
// that Switchyard uses.
type GoogleCredentials struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// ParseGoogleCredentials reads and checks a service account's JSON key.
func ParseGoogleCredentials(s string) (GoogleCredentials, *rsa.PrivateKey, error) {
	var c GoogleCredentials
	if len(s) > maxCredSize {
		return c, nil, ErrInvalid.New("credentials", "the JSON credentials are over %d KiB", maxCredSize>>10)
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return c, nil, ErrInvalid.New("credentials", "the JSON credentials are not JSON: %v", err)
	}
	if c.Type != "service_account" {
		return c, nil, ErrInvalid.New("credentials", "the JSON credentials are of type %q; a service account key (\"service_account\") is needed", c.Type)
	}
	if c.ClientEmail == "" || c.PrivateKey == "" {
		return c, nil, ErrInvalid.New("credentials", "the JSON credentials lack client_email or private_key")
	}
	if c.TokenURI == "" {
		c.TokenURI = "https://oauth2.googleapis.com/token"
	}
	if u, err := url.Parse(c.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return c, nil, ErrInvalid.New("credentials", "the JSON credentials' token_uri %q is not an http(s) URL", c.TokenURI)
	}
	block, _ := pem.Decode([]byte(c.PrivateKey))
	if block == nil {
		return c, nil, ErrInvalid.New("credentials", "the private_key of the JSON credentials is not PEM")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return c, nil, ErrInvalid.New("credentials", "the private_key of the JSON credentials is not an RSA key")
		}
		key = rk
	} else if rk, err2 := x509.ParsePKCS1PrivateKey(block.Bytes); err2 == nil {
		key = rk
	} else {
		return c, nil, ErrInvalid.New("credentials", "the private_key of the JSON credentials does not parse: %v", err)
	}
	return c, key, nil
}

// checkInput validates in against the saved account (nil when new) and
// returns the row to keep (without its sealed secret) and the secret
// ("" when the saved one stays).
func checkInput(in CloudInput, saved *CloudAccount) (CloudAccount, string, error) {
	in.Provider = strings.ToLower(strings.TrimSpace(in.Provider))
	in.Alias = strings.TrimSpace(in.Alias)
	var a CloudAccount
	allowed, ok := Services[in.Provider]
	if !ok {
		return a, "", ErrInvalid.New("provider", "the account type must be %q (amazon web service) or %q (google cloud service)", ProviderAWS, ProviderGoogle)
	}
	if saved != nil && saved.Provider != in.Provider {
		return a, "", ErrInvalid.New("provider", "the account type of a saved cloud account cannot change; add another")
	}
	if !ValidAlias(in.Alias) {
		return a, "", ErrInvalid.New("alias", "the alias must be 1–32 letters, digits and underscores (and not %q)", LocalEngine)
	}
	var svcs []string
	for _, sv := range in.Services {
		sv = strings.TrimSpace(sv)
		if !slices.Contains(allowed, sv) {
			return a, "", ErrInvalid.New("services", "%q is not a service of %s (one of %s)", sv, in.Provider, strings.Join(allowed, ", "))
		}
		if !slices.Contains(svcs, sv) {
			svcs = append(svcs, sv)
		}
	}
	if len(svcs) == 0 {
		return a, "", ErrInvalid.New("services", "select at least one service")
	}
	a = CloudAccount{Provider: in.Provider, Alias: in.Alias, Services: svcs}
	var secret string
	switch in.Provider {
	case ProviderAWS:
		a.Region = strings.TrimSpace(in.Region)
		a.AccessKeyID = strings.TrimSpace(in.AccessKeyID)
		secret = strings.TrimSpace(in.SecretAccessKey)
		if !awsRegion.MatchString(a.Region) {
			return a, "", ErrInvalid.New("region", "%q is not an AWS region (e.g. us-east-1)", a.Region)
		}
		if !awsKeyID.MatchString(a.AccessKeyID) {
			return a, "", ErrInvalid.New("access_key_id", "the access key ID is 16–128 capital letters and digits")
		}
		if len(secret) > 128 || strings.ContainsAny(secret, " \t\r\n") {
			return a, "", ErrInvalid.New("secret_access_key", "the secret access key is at most 128 characters without spaces")
		}
		if secret == "" && saved == nil {
			return a, "", ErrInvalid.New("secret_access_key", "enter the secret access key")
		}
		if in.ProjectID != "" || in.Credentials != "" {
			return a, "", ErrInvalid.New("project_id", "an amazon web service account has no project ID or JSON credentials")
		}
	case ProviderGoogle:
		secret = strings.TrimSpace(in.Credentials)
		a.ProjectID = strings.TrimSpace(in.ProjectID)
		if secret == "" && saved == nil {
			return a, "", ErrInvalid.New("credentials", "paste the JSON credentials of a service account")
		}
		if secret != "" {
			c, _, err := ParseGoogleCredentials(secret)
			if err != nil {
				return a, "", err
			}
			if a.ProjectID == "" {
				a.ProjectID = c.ProjectID
			}
		}
		if !gcpProject.MatchString(a.ProjectID) {
			return a, "", ErrInvalid.New("project_id", "%q is not a Google Cloud project ID (6–30 lowercase letters, digits and hyphens)", a.ProjectID)
		}
		if in.Region != "" || in.AccessKeyID != "" || in.SecretAccessKey != "" {
			return a, "", ErrInvalid.New("region", "a google cloud service account has no region or access keys")
		}
	}
	return a, secret, nil
}

// CloudAccounts lists the account's cloud accounts.
func (s *Service) CloudAccounts(ctx context.Context, acct int64) ([]CloudAccount, error) {
	return s.store.CloudAccounts(ctx, acct)
}

// CloudAccount returns one.
func (s *Service) CloudAccount(ctx context.Context, acct, id int64) (CloudAccount, error) {
	return s.store.CloudAccount(ctx, acct, id)
}

// CreateCloudAccount saves a new cloud account, its secret sealed.
func (s *Service) CreateCloudAccount(ctx context.Context, acct int64, in CloudInput) (CloudAccount, error) {
	a, secret, err := checkInput(in, nil)
	if err != nil {
		return CloudAccount{}, err
	}
	a.AccountID = acct
	if a.Sealed, err = s.sealer.Seal(acct, secret); err != nil {
		return CloudAccount{}, err
	}
	return s.store.CreateCloudAccount(ctx, a)
}

// UpdateCloudAccount changes a cloud account; an empty secret keeps the
// saved one. Its earlier sentences are forgotten (the new keys may be
// another account of the provider's).
func (s *Service) UpdateCloudAccount(ctx context.Context, acct, id int64, in CloudInput) (CloudAccount, error) {
	saved, err := s.store.CloudAccount(ctx, acct, id)
	if err != nil {
		return CloudAccount{}, err
	}
	a, secret, err := checkInput(in, &saved)
	if err != nil {
		return CloudAccount{}, err
	}
	if a.Alias != saved.Alias {
		if err := s.notInUse(ctx, acct, saved.Alias, "renamed"); err != nil {
			return CloudAccount{}, err
		}
	}
	a.ID, a.AccountID, a.Sealed, a.CreatedAt = saved.ID, acct, saved.Sealed, saved.CreatedAt
	if secret != "" {
		if a.Sealed, err = s.sealer.Seal(acct, secret); err != nil {
			return CloudAccount{}, err
		}
	} else {
		// Keep the check result only if nothing it depended on changed.
		a.Checks, a.CheckedAt = saved.Checks, saved.CheckedAt
		if a.Region != saved.Region || a.AccessKeyID != saved.AccessKeyID || a.ProjectID != saved.ProjectID || !slices.Equal(a.Services, saved.Services) {
			a.Checks, a.CheckedAt = nil, nil
		}
	}
	out, err := s.store.UpdateCloudAccount(ctx, a)
	if err != nil {
		return CloudAccount{}, err
	}
	if err := s.forgetEngine(ctx, acct, saved.Alias); err != nil {
		return CloudAccount{}, err
	}
	return out, nil
}

// DeleteCloudAccount removes a cloud account the account's text-to-speech
// settings do not use.
func (s *Service) DeleteCloudAccount(ctx context.Context, acct, id int64) error {
	saved, err := s.store.CloudAccount(ctx, acct, id)
	if err != nil {
		return err
	}
	if err := s.notInUse(ctx, acct, saved.Alias, "deleted"); err != nil {
		return err
	}
	if err := s.store.DeleteCloudAccount(ctx, acct, id); err != nil {
		return err
	}
	return s.forgetEngine(ctx, acct, saved.Alias)
}

func (s *Service) notInUse(ctx context.Context, acct int64, alias, what string) error {
	st, err := s.Settings(ctx, acct)
	if err != nil {
		return err
	}
	if st.Engine == alias {
		return ErrConflict.New("alias", "the account's text-to-speech uses the cloud account %q; choose another engine before it is %s", alias, what)
	}
	return nil
}

// CheckCloudInput is "Check now" before saving: it asks each selected
// service whether the entered keys work.
func (s *Service) CheckCloudInput(ctx context.Context, acct int64, in CloudInput) ([]ServiceCheck, error) {
	a, secret, err := checkInput(in, nil)
	if err != nil {
		return nil, err
	}
	a.AccountID = acct
	return s.check(ctx, a, secret), nil
}

// CheckCloudAccount is "Check now" on a saved account; the result is kept
// with it.
func (s *Service) CheckCloudAccount(ctx context.Context, acct, id int64) (CloudAccount, error) {
	a, err := s.store.CloudAccount(ctx, acct, id)
	if err != nil {
		return CloudAccount{}, err
	}
	secret, err := s.sealer.Open(acct, a.Sealed)
	if err != nil {
		return CloudAccount{}, fmt.Errorf("tts: cloud account %q: %w", a.Alias, err)
	}
	a.Checks = s.check(ctx, a, secret)
	now := time.Now().UTC()
	a.CheckedAt = &now
	return s.store.UpdateCloudAccount(ctx, a)
}

// checkTimeout bounds one service's check.
const checkTimeout = 15 * time.Second

func (s *Service) check(ctx context.Context, a CloudAccount, secret string) []ServiceCheck {
	out := make([]ServiceCheck, 0, len(a.Services))
	for _, sv := range a.Services {
		if sv != ttsService[a.Provider] {
			out = append(out, ServiceCheck{Service: sv, Status: "not_checked",
				Message: "Switchyard does not use this service, so it does not check it"})
			continue
		}
		eng, err := s.cloud(a, secret)
		if err == nil {
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			var vs []Voice
			vs, err = eng.Voices(cctx)
			cancel()
			if err == nil {
				out = append(out, ServiceCheck{Service: sv, Status: "ok", Message: strconv.Itoa(len(vs)) + " voices available"})
				continue
			}
		}
		msg := switchyard.ClientMessage(err)
		if msg == "" {
			msg = err.Error()
		}
		out = append(out, ServiceCheck{Service: sv, Status: "failed", Message: msg})
	}
	return out
}
