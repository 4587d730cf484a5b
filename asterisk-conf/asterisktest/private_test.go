package asterisktest_test

import (
	"testing"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

func TestPrivateAsterisk(t *testing.T) {
	p := asterisktest.StartPrivate(t)
	t.Log(p.CLI(t, "core show version"))
	code, body := p.Do(t, "GET", "/asterisk/info", nil)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
}
