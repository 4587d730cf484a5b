package ttstest

import (
	"net/http/httptest"
	"testing"
)

// TestSigV4Vector: the verifier gives the signature of AWS's published
// SigV4 test suite example (get-vanilla).
func TestSigV4Vector(t *testing.T) {
	r := httptest.NewRequest("GET", "https://example.amazonaws.com/", nil)
	r.Host = "example.amazonaws.com"
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	got := SigV4Signature(r, nil, []string{"host", "x-amz-date"}, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830T123600Z", "us-east-1", "service")
	if want := "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"; got != want {
		t.Fatalf("get-vanilla signature %s, want %s", got, want)
	}
}
