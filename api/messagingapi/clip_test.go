package messagingapi

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/api/apistore/apistoretest"
)

// TestBadFilterQuotedWhole: a refused filter value is quoted in the
// error without being cut inside a character.
func TestBadFilterQuotedWhole(t *testing.T) {
	fx := apistoretest.NewFixture(t)
	Register(fx.Server.API(), Deps{Store: fx.Store, Now: time.Now})
	e := &env{t: t, fx: fx}
	for _, p := range []string{"source", "source_id", "limit", "from"} {
		code, body := e.get(fx.Key, "/api/v1/messages?"+p+"="+url.QueryEscape("a"+strings.Repeat("é", 30)))
		if code != 422 || !strings.Contains(body, `"field":"`+p+`"`) || strings.Contains(body, `\x`) || strings.Contains(body, `\ufffd`) {
			t.Errorf("%s: %d %s; want 422 on the field, the value quoted whole", p, code, body)
		}
	}
}

// TestBadChannelQuotedWhole: the store's refusal of a channel or status
// filter quotes the value without cutting a character in two.
func TestBadChannelQuotedWhole(t *testing.T) {
	fx := apistoretest.NewFixture(t)
	Register(fx.Server.API(), Deps{Store: fx.Store, Now: time.Now})
	e := &env{t: t, fx: fx}
	for _, p := range []string{"channel", "status"} {
		code, body := e.get(fx.Key, "/api/v1/messages?"+p+"="+url.QueryEscape("a"+strings.Repeat("é", 30)))
		if code != 422 || !strings.Contains(body, `"field":"`+p+`"`) || strings.Contains(body, `\x`) || strings.Contains(body, `\ufffd`) {
			t.Errorf("%s: %d %s; want 422 on the field, the value quoted whole", p, code, body)
		}
	}
}
