package ariplacer

import (
	"strings"
	"testing"
)

func TestOTPEndpoint(t *testing.T) {
	for _, tc := range []struct{ tmpl, number, want, err string }{
		{"PJSIP/{number}@trunk", "+919811111111", "PJSIP/+919811111111@trunk", ""},
		{"PJSIP/trunk/sip:{number}@carrier.example.com", "+14155550100", "PJSIP/trunk/sip:+14155550100@carrier.example.com", ""},
		{"Local/answer-silent@customers", "+14155550100", "Local/answer-silent@customers", ""},
		{"PJSIP/{number}@trunk", "9811111111", "", "not an E.164 number"},
		{"PJSIP/{number}@trunk", "+91981&PJSIP/x", "", "not an E.164 number"},
		{"PJSIP/{number}@trunk", "", "", "not an E.164 number"},
	} {
		got, err := OTPEndpoint(tc.tmpl, tc.number)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q: %v, want error %q", tc.tmpl, tc.number, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %q = %q %v, want %q", tc.tmpl, tc.number, got, err, tc.want)
		}
	}
}
