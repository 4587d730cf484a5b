package app

import "github.com/switchyard/switchyard/dialer/ariplacer"

// Test calls dial like the OTP call (dialer/ariplacer.OTPCaller): the same
// endpoint check and ring timeout.
var otpEndpoint = ariplacer.OTPEndpoint

const otpRingTimeout = ariplacer.OTPRingTimeout
