package asterisktest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWSURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:8088/ari", "ws://127.0.0.1:8088/ari/events"},
		{"https://pbx.example:8089/ari", "wss://pbx.example:8089/ari/events"},
	} {
		if got := wsURL(tc.in); got != tc.want {
			t.Errorf("wsURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseFacts(t *testing.T) {
	out := "SWITCHYARD_ARI_URL=http://127.0.0.1:8088/ari\n" +
		"noise\n" +
		"SWITCHYARD_ARI_USER=switchyard\r\n" +
		"SWITCHYARD_ARI_PASSWORD_FILE=/c/ari=password\n" +
		"OTHER=x\n"
	got := parseFacts(strings.NewReader(out))
	want := map[string]string{
		"SWITCHYARD_ARI_URL":           "http://127.0.0.1:8088/ari",
		"SWITCHYARD_ARI_USER":          "switchyard",
		"SWITCHYARD_ARI_PASSWORD_FILE": "/c/ari=password",
	}
	if len(got) != len(want) {
		t.Fatalf("parseFacts = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func FuzzParseFacts(f *testing.F) {
	f.Add("SWITCHYARD_ARI_URL=http://x/ari\nSWITCHYARD_ARI_USER=u\n")
	f.Add("=\n\n==\nSWITCHYARD_=\n")
	f.Fuzz(func(t *testing.T, s string) {
		for k := range parseFacts(strings.NewReader(s)) {
			if !strings.HasPrefix(k, "SWITCHYARD_") || strings.ContainsAny(k, "= \t\n") {
				t.Fatalf("bad key %q from %q", k, s)
			}
		}
	})
}

func TestReadPasswordFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
		wantErr             bool
	}{
		{"plain", "s3cret\n", "s3cret", false},
		{"no newline", "s3cret", "s3cret", false},
		{"crlf and spaces", "  s3cret \r\nsecond line\n", "s3cret", false},
		{"empty", "", "", true},
		{"blank first line", "\nsecond\n", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readPasswordFile(p)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("readPasswordFile(%q) = %q, %v; want %q, error %v", tc.content, got, err, tc.want, tc.wantErr)
			}
		})
	}
	if _, err := readPasswordFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file: no error")
	}
}

func TestLoadSettings(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		check   func(settings) bool
		wantErr string
	}{
		{
			name:  "defaults",
			env:   map[string]string{},
			check: func(s settings) bool { return s.url == DefaultURL && s.user == DefaultUser && s.isLocalDefault() },
		},
		{
			name: "trailing slash, password env wins",
			env:  map[string]string{"SWITCHYARD_ARI_URL": "http://10.0.0.5:8088/ari/", "SWITCHYARD_ARI_PASSWORD": "p", "SWITCHYARD_ARI_PASSWORD_FILE": pwFile},
			check: func(s settings) bool {
				return s.url == "http://10.0.0.5:8088/ari" && s.password == "p" && !s.isLocalDefault()
			},
		},
		{
			name:  "password file",
			env:   map[string]string{"SWITCHYARD_ARI_PASSWORD_FILE": pwFile, "SWITCHYARD_ARI_USER": "ops"},
			check: func(s settings) bool { return s.password == "from-file" && s.user == "ops" },
		},
		{
			name:  "cache dir",
			env:   map[string]string{"SWITCHYARD_CACHE_DIR": dir},
			check: func(s settings) bool { return s.cache == dir && s.root() == filepath.Join(dir, "asterisk-root") },
		},
		{
			name:    "bad URL",
			env:     map[string]string{"SWITCHYARD_ARI_URL": "127.0.0.1:8088"},
			wantErr: "SWITCHYARD_ARI_URL",
		},
		{
			name:    "missing password file",
			env:     map[string]string{"SWITCHYARD_ARI_PASSWORD_FILE": filepath.Join(dir, "nope")},
			wantErr: "SWITCHYARD_ARI_PASSWORD_FILE",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"SWITCHYARD_ARI_URL", "SWITCHYARD_ARI_USER", "SWITCHYARD_ARI_PASSWORD", "SWITCHYARD_ARI_PASSWORD_FILE", "SWITCHYARD_CACHE_DIR"} {
				t.Setenv(k, tc.env[k])
			}
			s, err := loadSettings()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(s) {
				t.Fatalf("unexpected settings %+v", s)
			}
		})
	}
}
