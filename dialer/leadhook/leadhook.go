// Package leadhook implements dialer.LeadSource on the account's
// configured webhooks (the API-driven progressive dialer): the campaign's
// lead_webhook is asked for each next customer of an agent and its
// log_webhook gets the call log after each customer call. Both go through
// webhooks.Invoke — the webhook widget's interpolation, HTTP client and the
// account's webhooks.Policy (HTTPS only unless allowed, no loopback/private
// targets) — with the Passthru parameters as the query string of a GET
// (when the configured webhook has no method; a POST webhook gets them as
// a form body).
package leadhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// Source is the webhook LeadSource. Webhooks is required.
type Source struct {
	Webhooks webhooks.Source
	// Policy gives an account's outbound HTTP policy (default: HTTPS
	// only, no loopback/private/link-local targets).
	Policy func(ctx context.Context, accountID int64) webhooks.Policy
	// Timeout bounds one request (default 10 s).
	Timeout time.Duration
	// UserAgent (default "Switchyard").
	UserAgent string
}

var _ dialer.LeadSource = (*Source)(nil)

// ErrWebhook wraps every failed webhook call (the detail names the reason in
// the webhook widget's terms: SERVER_ERROR, TIMEOUT, BLOCKED_TARGET, ...).
var ErrWebhook = errors.New("leadhook: webhook failed")

// NextLead asks the campaign's lead webhook for the agent's next number.
func (s *Source) NextLead(ctx context.Context, c *dialer.Campaign, params map[string]string) (string, error) {
	if c.LeadWebhook == "" {
		return "", errors.New("leadhook: the campaign has no lead_webhook")
	}
	res, err := s.invoke(ctx, c.AccountID, c.LeadWebhook, params, true)
	if err != nil {
		return "", err
	}
	n, err := dialer.ParseLeadAnswer(res.StatusCode, res.Raw, c.LeadNumberPath)
	if err != nil {
		return "", fmt.Errorf("lead webhook %q: %w", c.LeadWebhook, err)
	}
	return n, nil
}

// CallLog sends one call log to the campaign's log webhook.
func (s *Source) CallLog(ctx context.Context, c *dialer.Campaign, params map[string]string) error {
	if c.LogWebhook == "" {
		return nil
	}
	_, err := s.invoke(ctx, c.AccountID, c.LogWebhook, params, false)
	return err
}

func (s *Source) invoke(ctx context.Context, accountID int64, name string, params map[string]string, lead bool) (webhooks.Result, error) {
	if s.Webhooks == nil {
		return webhooks.Result{}, errors.New("leadhook: no webhook source")
	}
	w, err := s.Webhooks.Webhook(ctx, accountID, name)
	if err != nil {
		return webhooks.Result{}, fmt.Errorf("webhook %q: %w", name, err)
	}
	pol := webhooks.Policy{}
	if s.Policy != nil {
		pol = s.Policy(ctx, accountID)
	}
	res := webhooks.Invoke(ctx, pol, webhooks.Invocation{Webhook: w, Params: params, Timeout: s.Timeout, UserAgent: s.UserAgent})
	if !res.OK {
		if lead && res.StatusCode == 204 {
			return res, nil
		}
		detail := res.Detail
		if res.StatusCode != 0 {
			detail = fmt.Sprintf("HTTP %d %s", res.StatusCode, detail)
		}
		return res, fmt.Errorf("%w: %q: %s (%s)", ErrWebhook, name, res.Reason, detail)
	}
	return res, nil
}
