package ariplacer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
)

// OTPCaller delivers the one-time codes that whitelist a phone number by
// voice (the call-list intake's intake.OTPCaller): it calls the number
// through the endpoint template, and once answered reads the digits twice
// and hangs up. The calls are not recorded as attempts (they belong to no
// flow and cost the customer nothing).
type OTPCaller struct {
	Calls    *ari.Manager
	Endpoint string // template; {number} becomes the E.164 number
	Log      *slog.Logger
}

// OTP call timings.
const (
	// OTPRingTimeout is how long the number may ring.
	OTPRingTimeout = 45 * time.Second
	// otpLeadIn lets the callee bring the phone to the ear.
	otpLeadIn = time.Second
	// otpGap separates the two readings.
	otpGap = time.Second
	// otpPlayTimeout bounds one reading (six digits take about 4 s).
	otpPlayTimeout = 30 * time.Second
)

var (
	e164RE    = regexp.MustCompile(`^\+[1-9][0-9]{5,14}$`)
	otpCodeRE = regexp.MustCompile(`^[0-9]{4,10}$`)
)

// OTPEndpoint fills an endpoint template with the number (E.164, checked
// so the dial string cannot be altered through it).
func OTPEndpoint(template, number string) (string, error) {
	if !e164RE.MatchString(number) {
		return "", fmt.Errorf("OTP call: %q is not an E.164 number", number)
	}
	return strings.ReplaceAll(template, "{number}", number), nil
}

// CallOTP places the call and returns once Asterisk accepted it; the
// reading happens on the call's own goroutine.
func (o OTPCaller) CallOTP(ctx context.Context, accountID int64, phone, code string) error {
	if !otpCodeRE.MatchString(code) {
		return errors.New("OTP call: the code must be 4-10 digits")
	}
	ep, err := OTPEndpoint(o.Endpoint, phone)
	if err != nil {
		return err
	}
	log := o.logger().With("account_id", accountID, "phone", phone)
	c, err := o.Calls.Originate(ctx, ari.OriginateParams{
		Endpoint: ep,
		Timeout:  OTPRingTimeout,
		Handler: func(ctx context.Context, c *ari.Call) error {
			if err := c.Answer(ctx); err != nil {
				return err
			}
			if err := c.Wait(ctx, otpLeadIn); err != nil {
				return err
			}
			for i := range 2 {
				if i > 0 {
					if err := c.Wait(ctx, otpGap); err != nil {
						return err
					}
				}
				if _, err := c.Play(ctx, ari.PlayOptions{Timeout: otpPlayTimeout}, "digits:"+code); err != nil {
					if errors.Is(err, ari.ErrHangup) {
						log.Info("OTP call: callee hung up during the reading", "reading", i+1)
					}
					return err
				}
			}
			log.Info("OTP call: code read twice")
			return c.Hangup(ctx, "normal")
		},
		Failed: func(c *ari.Call) {
			cause, text := c.Cause()
			log.Warn("OTP call not answered", "endpoint", ep, "cause", cause, "cause_text", text)
		},
	})
	if err != nil {
		return fmt.Errorf("OTP call to %s: %w", phone, err)
	}
	log.Info("OTP call placed", "channel", c.ID, "endpoint", ep)
	return nil
}

func (o OTPCaller) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}
