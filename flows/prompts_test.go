package flows

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// promptFake is a function-field fake of PromptResolver.
type promptFake struct {
	uri func(ctx context.Context, accountID int64, name string) (string, error)
}

func (p promptFake) PromptURI(ctx context.Context, accountID int64, name string) (string, error) {
	return p.uri(ctx, accountID, name)
}

// TestPromptMedia: prompt:<name> plays the URI the prompt library gives
// for the flow's account; an unapproved prompt fails the widget with the
// library's reason; without a library prompt media fail.
func TestPromptMedia(t *testing.T) {
	lib := promptFake{uri: func(_ context.Context, acct int64, name string) (string, error) {
		if acct == 7 && name == "welcome" {
			return "sound:http://sy:8080/media/sig/abc.wav", nil
		}
		return "", errors.New("prompt \"" + name + "\" is pending; only approved prompts play in flows")
	}}
	r, _ := oneNode(t, &Engine{Prompts: lib}, `{"id":"n","type":"play","params":{"media":["sound:beep"]},"exits":["ok"]}`, map[string]string{"p": "after"}, "p")
	for _, c := range []struct {
		items   []string
		want    []string
		wantErr string
	}{
		{[]string{"prompt:welcome", "sound:beep"}, []string{"sound:http://sy:8080/media/sig/abc.wav", "sound:beep"}, ""},
		{[]string{"prompt:${flow.key.p}_hours"}, nil, `prompt "after_hours": prompt "after_hours" is pending`},
	} {
		got, err := r.resolveMedia(context.Background(), c.items)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: %v; want error %q", c.items, err, c.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%q: %q %v; want %q", c.items, got, err, c.want)
		}
	}
	r.e = &Engine{}
	if _, err := r.resolveMedia(context.Background(), []string{"prompt:welcome"}); err == nil || !strings.Contains(err.Error(), "prompt library is not configured") {
		t.Errorf("no library: %v", err)
	}
}

// TestFlowPromptRefs: validation lists every prompt:<name> item with its
// node and field; names built from variables are left to run time.
func TestFlowPromptRefs(t *testing.T) {
	f, err := Parse([]byte(`{"format":1,"name":"p","type":"inbound","start":"a","variables":["x"],"nodes":[
	  {"id":"a","type":"play","params":{"media":["sound:beep","prompt:welcome","prompt:$flow.key.x"]},"exits":["b"]},
	  {"id":"b","type":"gather","params":{"prompt":"prompt:menu","max_digits":1},"exits":["c","c"]},
	  {"id":"c","type":"hangup"}]}`), Features{})
	if err != nil {
		t.Fatal(err)
	}
	want := []PromptRef{{"a", "params.media[1]", "welcome"}, {"b", "params.prompt[0]", "menu"}}
	if got := f.Prompts(); !slices.Equal(got, want) {
		t.Errorf("prompts %+v; want %+v", got, want)
	}
}
