package ari

import (
	"context"
	"net/http"
	"net/url"
)

// ConfigTuple is one attribute of a sorcery object in ARI's dynamic
// configuration API (/asterisk/config/dynamic/...).
type ConfigTuple struct {
	Attribute string `json:"attribute"`
	Value     string `json:"value"`
}

func configPath(class, objectType, id string) string {
	return "/asterisk/config/dynamic/" + esc(class) + "/" + esc(objectType) + "/" + esc(id)
}

// GetObject returns a sorcery object's attributes, e.g.
// GetObject(ctx, "res_pjsip", "endpoint", "agent1"). An unknown object is
// ErrNotFound.
func (c *Client) GetObject(ctx context.Context, class, objectType, id string) ([]ConfigTuple, error) {
	var out []ConfigTuple
	err := c.do(ctx, http.MethodGet, configPath(class, objectType, id), nil, nil, &out)
	return out, err
}

// PutObject creates or updates a sorcery object with the given attributes
// (PUT /asterisk/config/dynamic/{class}/{type}/{id}). The object type must
// be mapped to a writable sorcery wizard (astdb, realtime) in sorcery.conf;
// otherwise Asterisk answers 403 (ErrUnauthorized). It returns the object's
// attributes after the change.
func (c *Client) PutObject(ctx context.Context, class, objectType, id string, fields []ConfigTuple) ([]ConfigTuple, error) {
	body := struct {
		Fields []ConfigTuple `json:"fields"`
	}{Fields: fields}
	if body.Fields == nil {
		body.Fields = []ConfigTuple{}
	}
	var out []ConfigTuple
	err := c.do(ctx, http.MethodPut, configPath(class, objectType, id), nil, body, &out)
	return out, err
}

// DeleteObject deletes a sorcery object. An unknown object is ErrNotFound;
// an object that lives in a read-only wizard (a .conf file) is refused with
// 403 (ErrUnauthorized).
func (c *Client) DeleteObject(ctx context.Context, class, objectType, id string) error {
	return c.do(ctx, http.MethodDelete, configPath(class, objectType, id), nil, nil, nil)
}

// Snoop creates a snoop channel with id snoopID on channel channelID
// (spy: "in", "out", "both" or "none"; whisper likewise), entering this
// client's application with appArgs. Recording the snoop channel records
// the call without bridging it.
func (c *Client) Snoop(ctx context.Context, channelID, snoopID, spy, whisper, appArgs string) error {
	q := url.Values{"app": {c.App()}, "snoopId": {snoopID}}
	if spy != "" {
		q.Set("spy", spy)
	}
	if whisper != "" {
		q.Set("whisper", whisper)
	}
	if appArgs != "" {
		q.Set("appArgs", appArgs)
	}
	return c.do(ctx, http.MethodPost, "/channels/"+esc(channelID)+"/snoop", q, nil, nil)
}
