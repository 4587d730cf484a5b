package app

import (
	"context"
	"maps"
	"time"

	"github.com/switchyard/switchyard/api/calllistapi"
	"github.com/switchyard/switchyard/api/mediaapi"
	"github.com/switchyard/switchyard/api/notifyapi"
	"github.com/switchyard/switchyard/api/promptsapi"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/media"
	"github.com/switchyard/switchyard/prompts"
)

// routeBodyLimits are the routes with their own body limits: call-list
// uploads and DNC lists, prompt uploads.
func routeBodyLimits(cfg Config) map[string]int64 {
	m := calllistapi.BodyLimits()
	maps.Copy(m, promptsapi.BodyLimits(int64(cfg.PromptMaxMB)<<20))
	maps.Copy(m, notifyapi.BodyLimits())
	return m
}

// startMedia builds the media Asterisk fetches from this daemon (URLs
// signed with a key generated once and kept in the database, the same on
// every node) and serves it at /media/. The base URL is set once the HTTP
// listener is bound.
func (a *App) startMedia(ctx context.Context) error {
	key, err := a.store.Secret(ctx, "media-urls")
	if err != nil {
		return err
	}
	if a.media, err = media.New(a.store, key); err != nil {
		return err
	}
	mediaapi.Register(a.http.Echo(), a.media)
	return nil
}

// startPrompts builds the prompt library: flows play its approved prompts,
// publishing checks them, mails go through the relay, record-by-phone
// calls ring through the agent endpoint (the operator's trunk).
func (a *App) startPrompts(mailer prompts.Mailer) error {
	var err error
	a.prompts, err = prompts.New(prompts.Config{Store: a.store, Media: a.media,
		MaxBytes: int64(a.cfg.PromptMaxMB) << 20, MaxDuration: a.cfg.PromptMaxDuration,
		Mailer: mailer, From: a.cfg.MailSender(), PublicURL: a.consoleBase(),
		Calls: a.ari, Endpoint: a.cfg.AgentEndpoint, Flows: livePromptFlows{a}, Logger: a.log})
	if err != nil {
		return err
	}
	a.flows.Prompts = a.prompts
	a.onClose(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.prompts.Close(ctx)
		return nil
	})
	promptsapi.Register(a.http.API(), promptsapi.Deps{Service: a.prompts, People: a.store})
	return nil
}

// livePromptFlows finds the account's flows whose live (published)
// version plays a prompt (the prompt library's FlowUses): such a prompt is
// not deleted.
type livePromptFlows struct{ a *App }

func (l livePromptFlows) FlowsPlaying(ctx context.Context, accountID int64, prompt string) ([]string, error) {
	fs, err := l.a.store.ListFlows(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, f := range fs {
		if f.PublishedVersion == 0 {
			continue
		}
		v, err := l.a.store.GetFlowVersion(ctx, accountID, f.ID, f.PublishedVersion)
		if err != nil {
			return nil, err
		}
		// Validation lists every node's prompt media even when it finds
		// problems (a feature turned off since publishing): the flow is
		// read as far as it goes, and a document that does not decode
		// plays nothing.
		fl, _ := flows.Parse(v.Definition, l.a.flows.Features())
		if fl == nil {
			continue
		}
		for _, r := range fl.Prompts() {
			if r.Name == prompt {
				names = append(names, f.Name)
				break
			}
		}
	}
	return names, nil
}

// lazyPrompts checks a flow's prompts at publish time through the prompt
// library built later in New.
type lazyPrompts struct{ a *App }

func (l lazyPrompts) UnplayablePrompts(ctx context.Context, accountID int64, names []string) (map[string]string, error) {
	return l.a.prompts.UnplayablePrompts(ctx, accountID, names)
}

// Media is the media service (tests).
func (a *App) Media() *media.Service { return a.media }

// Prompts is the prompt library (tests, TTS and grammars wiring).
func (a *App) Prompts() *prompts.Service { return a.prompts }
