package intake

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

// OTPDigits is the length of the verification code.
const OTPDigits = 6

// SendOTP starts whitelisting a phone number (at most 10 per account): a
// voice call reads a one-time code to it, valid for store.OTPTTL. It
// returns the number in E.164.
func (im *Importer) SendOTP(ctx context.Context, acc int64, value string) (string, error) {
	if im.c.OTP == nil {
		return "", &switchyard.Error{Code: switchyard.CodeUnavailable, Message: "OTP verification calls are not configured on this server"}
	}
	phone, err := calllist.Normalize(value, im.Region(ctx, acc))
	if err != nil {
		return "", switchyard.Invalid("value", "%v", err)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%0*d", OTPDigits, n.Int64())
	if err := im.c.Store.SaveOTP(ctx, acc, phone, code); err != nil {
		return "", err // coded: the store says what is wrong
	}
	if err := im.c.OTP.CallOTP(ctx, acc, phone, code); err != nil {
		im.log.Warn("OTP call failed", "phone", phone, "err", err)
		return "", &switchyard.Error{Code: switchyard.CodeUnavailable, Message: "the verification call could not be placed; try again later", Err: err}
	}
	return phone, nil
}

// VerifyOTP checks the code read to the number and, when it matches,
// whitelists the number.
func (im *Importer) VerifyOTP(ctx context.Context, acc int64, value, otp string) (store.ListEntry, error) {
	phone, err := calllist.Normalize(value, im.Region(ctx, acc))
	if err != nil {
		return store.ListEntry{}, switchyard.Invalid("value", "%v", err)
	}
	if otp == "" {
		return store.ListEntry{}, switchyard.Invalid("otp", "required")
	}
	return im.c.Store.VerifyOTP(ctx, acc, phone, strings.TrimSpace(otp)) // coded: the store says what is wrong with the OTP
}
