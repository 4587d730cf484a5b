package app

import (
	"slices"
	"testing"
)

// TestMessagingSettings: the Kannel and SMS settings are read, checked
// with every problem named by its setting, and SMS is off by default.
func TestMessagingSettings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		env    map[string]string
		valErr []string
		check  func(t *testing.T, c Config)
	}{
		{name: "default: SMS off", env: map[string]string{}, check: func(t *testing.T, c Config) {
			if c.KannelURL != "" || c.KannelUser != "" || c.KannelPassword != "" || c.SMSFrom != "" || c.SMSReportURL != "" {
				t.Errorf("defaults %+v", c)
			}
		}},
		{name: "set", env: map[string]string{EnvKannelURL: "http://127.0.0.1:13013/cgi-bin/sendsms", EnvKannelUser: "switchyard",
			EnvKannelPassword: "s3cret pass", EnvSMSFrom: "ACME Corp", EnvSMSReportURL: "https://sy.example.com/sms/dlr"},
			check: func(t *testing.T, c Config) {
				if c.KannelURL != "http://127.0.0.1:13013/cgi-bin/sendsms" || c.KannelUser != "switchyard" || c.KannelPassword != "s3cret pass" ||
					c.SMSFrom != "ACME Corp" || c.SMSReportURL != "https://sy.example.com/sms/dlr" {
					t.Errorf("config %+v", c)
				}
			}},
		{name: "number sender", env: map[string]string{EnvSMSFrom: "+12025550100"}},
		{name: "url not http", env: map[string]string{EnvKannelURL: "smpp://carrier:2775", EnvKannelUser: "u"}, valErr: []string{EnvKannelURL}},
		{name: "url with credentials", env: map[string]string{EnvKannelURL: "http://u:p@127.0.0.1:13013/", EnvKannelUser: "u"}, valErr: []string{EnvKannelURL}},
		{name: "no user", env: map[string]string{EnvKannelURL: "http://127.0.0.1:13013/cgi-bin/sendsms"}, valErr: []string{EnvKannelUser}},
		{name: "password with a newline", env: map[string]string{EnvKannelPassword: "a\nb"}, valErr: []string{EnvKannelPassword}},
		{name: "sender too long", env: map[string]string{EnvSMSFrom: "ACME Corporation"}, valErr: []string{EnvSMSFrom}},
		{name: "sender with symbols", env: map[string]string{EnvSMSFrom: "ACME<script>"}, valErr: []string{EnvSMSFrom}},
		{name: "report url bad", env: map[string]string{EnvSMSReportURL: "not a url"}, valErr: []string{EnvSMSReportURL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.DataDir = t.TempDir()
			if err := c.LoadEnv(envFunc(tc.env)); err != nil {
				t.Fatal(err)
			}
			verr := c.Validate()
			if got, want := errEnvs(verr), sorted(tc.valErr); !slices.Equal(got, want) {
				t.Fatalf("Validate errors = %v (%v), want %v", got, verr, want)
			}
			if verr == nil && tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}
