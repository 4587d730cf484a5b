// Package app is Switchyard's composition root: it builds every component
// from a Config, runs them and shuts them down in order. main handles
// flags and signals; tests boot the whole daemon in-process with New/Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/accounts"
	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/accountsapi"
	"github.com/switchyard/switchyard/api/agentsapi"
	"github.com/switchyard/switchyard/api/apistore"
	"github.com/switchyard/switchyard/api/calllistapi"
	"github.com/switchyard/switchyard/api/dialerapi"
	"github.com/switchyard/switchyard/api/flowsapi"
	"github.com/switchyard/switchyard/api/grammarsapi"
	"github.com/switchyard/switchyard/api/reportsapi"
	"github.com/switchyard/switchyard/api/ttsapi"
	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aristore"
	"github.com/switchyard/switchyard/ari/fastagi"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdhooks"
	"github.com/switchyard/switchyard/dialer/acd/acdstore"
	"github.com/switchyard/switchyard/dialer/acd/provision"
	"github.com/switchyard/switchyard/dialer/ariplacer"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/dialer/campaigns"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/dialer/leadhook"
	"github.com/switchyard/switchyard/dialer/supervisor"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/flows/flowstore"
	"github.com/switchyard/switchyard/flows/webhooks"
	"github.com/switchyard/switchyard/grammars"
	"github.com/switchyard/switchyard/mail/relay"
	"github.com/switchyard/switchyard/mail/smtpin"
	"github.com/switchyard/switchyard/media"
	"github.com/switchyard/switchyard/messaging"
	"github.com/switchyard/switchyard/notify"
	"github.com/switchyard/switchyard/prompts"
	"github.com/switchyard/switchyard/reports/emailreports"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/tts"
	"github.com/switchyard/switchyard/web"
)

// App is a running Switchyard.
type App struct {
	cfg     Config
	log     *slog.Logger
	store   *store.Store
	metrics *api.Metrics
	http    *api.Server
	agi     *fastagi.Server
	ari     *ari.Manager
	flows   *flows.Engine
	flowsDB *flowstore.Adapter
	dialer  *supervisor.Supervisor
	// smsStatus takes the delivery reports of sms campaigns' messages.
	smsStatus func(context.Context, campaigns.SMSDelivery)

	// Agents and queues: the ACD, its after-the-fact journal and the
	// CRM/popup notifier; httpDone ends supervisor streams at shutdown.
	acd      *acd.ACD
	journal  *acdstore.Journal
	notifier *acdhooks.Notifier
	httpDone chan struct{}

	// Reports: recording files (ARI or a spool), their retention purge and
	// the daily email reports.
	recordings recordings.Source
	links      *recordings.Links
	purger     *recordings.Purger
	reports    *emailreports.Scheduler

	httpLn, agiLn net.Listener

	// Call-list intake: one importer for the HTTP upload, the trigger API
	// and email upload.
	intake *intake.Importer
	// Email upload (nil when SWITCHYARD_SMTP_ADDR is empty); relay is the
	// outbound relay (the in-process log relay when SWITCHYARD_SMTP_RELAY
	// is empty).
	mail    *smtpin.Server
	mailCfg smtpin.Config
	mailLn  net.Listener
	relay   *relay.Relay

	// Users, logins, API keys and the operator level.
	accounts *accounts.Service

	// Text-to-speech: flows' tts: items, settings and cloud accounts.
	tts *tts.Service
	// The media Asterisk fetches from this daemon and the prompt library.
	media   *media.Service
	prompts *prompts.Service
	// Emergency Notification: address book, labels, sending.
	notify *notify.Service
	// SMS (Kannel) and email messages.
	messaging *messaging.Service

	// cleanup is Close's teardown stack (onClose).
	cleanup []func() error
	closed  sync.Once
}

// New builds the application: it opens and migrates the store and binds the
// HTTP, FastAGI and (when configured) email-upload SMTP listeners (so Addr
// works before Run, also with port 0).
// It does not contact Asterisk; Run does, and keeps retrying.
func New(ctx context.Context, cfg Config, version string, log *slog.Logger) (_ *App, err error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	a := &App{cfg: cfg, log: log}
	// The numbering plan's matchers, compiled while the store and ARI
	// connect rather than at the first list's first number.
	go calllist.Preload()
	defer func() {
		if err != nil {
			a.Close()
		}
	}()
	reg := api.NewRegistry()
	if a.metrics, err = api.NewMetrics(reg); err != nil {
		return nil, err
	}
	a.store, err = store.Open(ctx, store.Options{
		URL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: log,
		ReportConns: cfg.ReportConns, ReportTimeout: cfg.ReportTimeout,
		Observe: a.metrics.StoreOp,
	})
	if err != nil {
		return nil, err
	}
	a.onClose(a.store.Close)
	if err = a.store.Migrate(ctx); err != nil {
		return nil, err
	}

	client, err := ari.NewClient(ari.Options{URL: cfg.ARIURL, User: cfg.ARIUser, Password: cfg.ARIPassword,
		App: cfg.ARIApp, MaxConns: cfg.ARIMaxConns, Logger: log.With("component", "ari")})
	if err != nil {
		return nil, err
	}
	// Recording URLs: signed with the configured key, else one generated
	// once and kept in the database (every node signs alike); the base URL
	// is set once the HTTP listener is bound.
	linkKey := []byte(cfg.RecordingURLKey)
	if len(linkKey) == 0 {
		if linkKey, err = a.store.Secret(ctx, "recording-links"); err != nil {
			return nil, err
		}
	}
	a.links = &recordings.Links{Key: linkKey, TTL: cfg.RecordingURLTTL}
	a.flowsDB = &flowstore.Adapter{S: a.store}
	a.flows = &flows.Engine{UserVars: a.flowsDB, Webhooks: a.flowsDB, Journeys: a.flowsDB,
		Recordings: a.flowsDB, Reports: a.flowsDB,
		Policy: a.flowsDB.Policy, Logger: log.With("component", "flows"), RecordingLinks: a.links,
		// The flow editor's test calls are watched node by node.
		Live: &flows.LiveSteps{}}
	if a.tts, err = a.newTTS(ctx, cfg); err != nil {
		return nil, err
	}
	a.flows.TTS = a.tts
	a.onClose(func() error {
		// Let the disconnect webhooks of ended calls finish (bounded).
		done := make(chan struct{})
		go func() { a.flows.WaitDisconnects(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			a.log.Warn("closing with disconnect webhooks still running")
		}
		return nil
	})
	// Inbound calls: the DID's flow, blacklisted callers refused, calls to
	// unassigned DIDs recorded in the operator's account.
	inbound := &flows.InboundRouter{Engine: a.flows, Flows: a.flowsDB, Directory: flowstore.Inbound{S: a.store},
		UnassignedDIDAccount: cfg.UnassignedDIDAccount, UnassignedDIDSetting: EnvUnassignedDID, Logger: log}
	a.ari = ari.NewManager(ari.ManagerConfig{
		Client:   client,
		Recorder: aristore.Recorder{S: a.store},
		Node:     cfg.NodeName,
		Route:    inbound.Route,
		Logger:   log.With("component", "calls"),
		Hooks: ari.ManagerHooks{
			LiveCalls: a.metrics.AddLiveCalls,
			Event:     a.metrics.ARIEvent,
			Reconnect: a.metrics.ARIReconnects.Inc,
		},
	})

	// Whole-call recordings (flow setting record_call) through a snoop
	// channel.
	a.flows.CallRecorder = &flows.SnoopRecorder{Router: a.ari.Router()}

	// Agents and queues (the flow queue widget and the dialer's pacing
	// read the ACD's live state).
	acdLog := log.With("component", "acd")
	acdCfg := acdstore.Config{Store: a.store}
	a.journal = acdstore.NewJournal(a.store, acdstore.JournalOptions{Logger: acdLog})
	if a.notifier, err = acdhooks.New(acdhooks.Config{Hooks: acdCfg, Webhooks: a.flowsDB, Policy: a.flowsDB.Policy,
		Logger: log.With("component", "acdhooks")}); err != nil {
		return nil, err
	}
	conns := &ariplacer.Connections{}
	// The dialer is built after the ACD it reads, but the ACD wakes it: an
	// agent freed up, so campaigns paced by that queue dial now, not at
	// their next pacing tick.
	a.dialer = new(supervisor.Supervisor)
	a.acd = acd.New(acd.Options{Manager: a.ari, Config: acdCfg, Journal: a.journal,
		// CRM/popup webhooks, and the dialer's answer → agent timing
		// (abandon rate of predictive campaigns).
		Notifier: acd.Notifiers{conns, a.notifier},
		Trunk:    strings.ReplaceAll(cfg.AgentEndpoint, "{number}", "%s"), Logger: acdLog,
		OnAgentFree: a.dialer.WakeQueues})
	a.flows.Queue = a.acd
	a.flowsDB.Features = a.flows.Features()

	dlog := log.With("component", "dialer")
	*a.dialer = supervisor.Supervisor{
		Store: a.store, Node: cfg.NodeName, GlobalMultiplier: cfg.DialMultiplier, Logger: dlog,
		// Only + and digits reach a dial string.
		Placer: dialer.GuardNumbers(ariplacer.WhenConnected{Placer: &ariplacer.Placer{Manager: a.ari,
			RunFlow: ariplacer.CampaignFlows{Flows: a.flowsDB, Engine: a.flows}.Run, Agents: a.acd.Pacing(),
			Connections: conns}}),
		Trunks: cfg.TrunkTable(), DefaultTrunk: cfg.DefaultTrunk,
		// sms campaigns send instead of dialing.
		SMS:      a.campaignSMSSender(cfg),
		Agents:   a.acd.Pacing(),
		Reserver: a.acd,
		// Agent-first campaigns with a lead webhook.
		Leads:    &leadhook.Source{Webhooks: a.flowsDB, Policy: a.flowsDB.Policy},
		Sessions: &ariplacer.Sessions{Manager: a.ari, Recordings: dialerstore.AgentRecordings{S: a.store}, Logger: dlog},
		Popup:    a.notifier.CampaignPopup,
		// The call log's RecordingUrl of recorded conversations.
		RecordingURL: a.links.URL,
		// National numbers in an account's campaigns belong to its
		// default country.
		AccountCountry: a.store.AccountCountry,
		// Calling windows of records with no zone of their own are in
		// the account's time zone.
		AccountLocation: a.store.AccountLocation,
	}

	// Webhooks never reach these unless the operator grants them (the
	// host's interface addresses are found by flows itself).
	deny, err := cfg.WebhookDenyPrefixes()
	if err != nil {
		return nil, err
	}
	webhooks.SetBlockedNetworks(deny)

	a.agi = fastagi.New(cfg.AGIAddr, log)
	a.agi.Handle("flow/", a.flows.AGIHandler(cfg.ARIApp, a.flowsDB))

	a.http = api.New(api.Deps{
		Version: version,
		Health: []api.HealthCheck{
			{Name: "db", Check: a.checkDB},
			{Name: "ari", Check: a.checkARI},
		},
		Authenticate: apistore.Authenticate(a.store),
		// Console sessions (the service is built once the HTTP address,
		// which its mailed links name, is known).
		Session: func(ctx context.Context, token string) (api.Principal, error) {
			return accountsapi.Session(a.accounts)(ctx, token)
		},
		Registerer: reg, Gatherer: reg,
		// JSON bodies: 1 MiB. Uploads (a 25 MB zip) and DNC lists (50 MB)
		// have their own limits.
		BodyLimit:       api.DefaultBodyLimit,
		RouteBodyLimits: routeBodyLimits(cfg),
		ErrorMap: append(apistore.ErrorMap(),
			api.ErrorMapping{Target: ari.ErrDraining, Code: api.CodeUnavailable},
			api.ErrorMapping{Target: ari.ErrNotConnected, Code: api.CodeUnavailable}),
	}, log)

	// Grammars: the say widget, its check at publishing and the grammars
	// API use one service.
	grams := &grammars.Service{Store: a.store, Logger: log.With("component", "grammars")}
	a.flows.Grammars = grams
	flowsapi.Register(a.http.API(), flowsapi.Deps{Store: a.store, Features: a.flows.Features(),
		// Test calls to whitelisted numbers run the draft before it is live.
		TestCalls: flows.Dialout{Calls: a.ari, Engine: a.flows, Endpoint: cfg.OTPEndpoint, Logger: log.With("component", "testcall")},
		// The connect-to-a-flow API calls the agent through the agent endpoint.
		Connect:  flows.Dialout{Calls: a.ari, Engine: a.flows, Endpoint: cfg.AgentEndpoint, Logger: log.With("component", "connect")},
		Live:     a.flows.Live,
		Location: a.store.AccountLocation, RecordingURL: a.links.URL,
		Prompts: lazyPrompts{a}, Sayer: grams})
	if err = a.startMedia(ctx); err != nil {
		return nil, err
	}
	grammarsapi.Register(a.http.API(), grammarsapi.Deps{Grammars: grams, Users: a.store})
	// One campaign service for the API and the automatic dialing of
	// imported lists.
	camps := campaigns.New(campaigns.Config{Store: a.store, Live: a.dialer, Logger: dlog,
		Trunks: cfg.TrunkTable(), DefaultTrunk: cfg.DefaultTrunk, SMSUnavailable: noSMS(cfg)})
	a.smsStatus = campaignSMSStatus(camps, dlog)
	// Every import wakes its flow's automatic dialing.
	autodial := &supervisor.AutodialStore{Store: a.store, Dialer: a.dialer, Campaigns: camps, Logger: dlog}
	a.intake = intake.New(intake.Config{Store: autodial, Flows: a.flowsDB, Logger: log,
		AccountLocation: a.store.AccountLocation,
		OTP:             ariplacer.OTPCaller{Calls: a.ari, Endpoint: cfg.OTPEndpoint, Log: log.With("component", "otp")}})
	lists := calllistapi.Deps{Store: autodial, Intake: a.intake, Logger: log.With("component", "calllists"),
		MailAddress: a.MailAddress,
		// Email Status for direct uploads, when email is on.
		UploadStatus: func(ctx context.Context, acc int64, f intake.Flow, who string, rs []intake.FileResult) {
			if a.mail != nil {
				a.mail.UploadStatus(ctx, acc, f, who, rs)
			}
		}}
	calllistapi.Register(a.http.API(), lists)
	calllistapi.RegisterKairos(a.http.Echo().Group(""), lists)
	dialerapi.Register(a.http.API(), dialerapi.Deps{Campaigns: camps})
	a.httpDone = make(chan struct{})
	agents := agentsapi.Deps{Store: a.store, ACD: a.acd, Logger: acdLog, Done: a.httpDone, Channels: client, Node: cfg.NodeName,
		Phone: agentsapi.Phone{WebRTCURL: cfg.webRTCURL(), SIPHost: cfg.sipHost()}}
	if cfg.ManageEndpoints {
		agents.Provisioner = provision.New(client, provision.Options{Logger: log.With("component", "provision")})
	}
	agentsapi.Register(a.http.API(), agents)

	rlog := log.With("component", "reports")
	if cfg.RecordingsDir != "" {
		a.recordings = recordings.SpoolSource{Dir: cfg.RecordingsDir}
	} else {
		a.recordings = recordings.ARISource{Client: client}
	}
	reportsapi.Register(a.http.API(), reportsapi.Deps{Store: a.store, Recordings: a.recordings, Logger: rlog, Links: a.links})
	reportsapi.RegisterLinks(a.http.Echo(), reportsapi.LinkDeps{Store: a.store, Recordings: a.recordings, Links: a.links, Logger: rlog})
	// The web console: index.html at /, its assets under /assets/.
	ttsapi.Register(a.http.API(), ttsapi.Deps{Service: a.tts})
	web.New().AllowConnect(origin(cfg.webRTCURL())).Register(a.http.Echo())
	a.purger = &recordings.Purger{Store: a.store, Source: a.recordings, Logger: rlog}
	if a.relay, err = relay.Open(ctx, cfg.SMTPRelay, EnvSMTPRelay, log.With("component", "mail-log")); err != nil {
		return nil, err
	}
	a.onClose(func() error { a.relay.Close(); return nil })
	sender := emailreports.SMTPSender{Relay: a.relay.Addr}
	if a.relay.Configured() {
		sender.User, sender.Password, sender.StartTLS = cfg.SMTPRelayUser, cfg.SMTPRelayPassword, cfg.SMTPRelayStartTLS
	}
	a.reports = &emailreports.Scheduler{Store: a.store, Sender: sender, From: cfg.MailSender(), Logger: rlog, Links: a.links}
	if cfg.SMTPAddr != "" {
		if err = a.startMail(ctx, smtpin.Deps{Store: a.store, Intake: a.intake, Logger: log}); err != nil {
			return nil, err
		}
	}

	var lc net.ListenConfig
	if a.httpLn, err = lc.Listen(ctx, "tcp", cfg.HTTPAddr); err != nil {
		return nil, fmt.Errorf("SWITCHYARD_HTTP_ADDR: listen on %s: %w", cfg.HTTPAddr, err)
	}
	a.onClose(func() error { return closeListener(a.httpLn) })
	if a.agiLn, err = lc.Listen(ctx, "tcp", cfg.AGIAddr); err != nil {
		return nil, fmt.Errorf("SWITCHYARD_AGI_ADDR: listen on %s: %w", cfg.AGIAddr, err)
	}
	a.onClose(func() error { return closeListener(a.agiLn) })
	a.links.BaseURL = cfg.RecordingBaseURL(a.httpLn.Addr().String())
	a.media.BaseURL = cfg.MediaBaseURL(a.httpLn.Addr().String())

	// Users and logins: reset and invitation mails go through the relay
	// and link to the console at the public URL.
	a.accounts = accounts.New(accounts.Config{Store: a.store, Mailer: sender, From: cfg.MailSender(),
		PublicURL: a.consoleBase(), Logger: log})
	a.onClose(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		a.accounts.Close(ctx)
		return nil
	})
	accountsapi.Register(a.http.API(), accountsapi.Deps{Service: a.accounts,
		SecureCookie: strings.HasPrefix(strings.ToLower(cfg.PublicURL), "https://")})
	if err = a.startPrompts(sender); err != nil {
		return nil, err
	}
	a.startNotify()
	a.startMessaging(sender)
	a.messaging.OnStatus(a.messageStatus)
	return a, nil
}

// Accounts is the users, logins and operator service (CLI, tests).
func (a *App) Accounts() *accounts.Service { return a.accounts }

// ConsoleURL is where the web console is served.
func (a *App) ConsoleURL() string { return a.consoleBase() + "/" }

// consoleBase is the public URL, else the HTTP address (a wildcard
// address as loopback, which a browser on this machine can open).
func (a *App) consoleBase() string {
	if a.cfg.PublicURL != "" {
		return strings.TrimRight(a.cfg.PublicURL, "/")
	}
	ap, err := netip.ParseAddrPort(a.httpLn.Addr().String())
	if err != nil {
		return "http://" + a.httpLn.Addr().String()
	}
	ip := ap.Addr()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	return "http://" + netip.AddrPortFrom(ip, ap.Port()).String()
}

// RecordingLinks makes and checks the recording URLs (tests).
func (a *App) RecordingLinks() *recordings.Links { return a.links }

// Addr is the HTTP address (useful with port 0).
func (a *App) Addr() string { return a.httpLn.Addr().String() }

// AGIAddr is the FastAGI address.
func (a *App) AGIAddr() string { return a.agiLn.Addr().String() }

// Config is the configuration the app was built with.
func (a *App) Config() Config { return a.cfg }

// Store is the store (tests, CLI).
func (a *App) Store() *store.Store { return a.store }

// Calls is the call manager.
func (a *App) Calls() *ari.Manager { return a.ari }

// AGI is the FastAGI server (handlers are registered on it).
func (a *App) AGI() *fastagi.Server { return a.agi }

// HTTP is the HTTP server.
func (a *App) HTTP() *api.Server { return a.http }

// Run serves until ctx ends, then shuts down gracefully: no new calls are
// taken, live calls may finish for up to ShutdownTimeout, then the rest are
// hung up and recorded, and the listeners close.
func (a *App) Run(ctx context.Context) error {
	a.log.Info("switchyard starting", "config", a.cfg, "http", a.Addr(), "agi", a.AGIAddr(), "smtp", a.MailAddr())
	// Running campaigns resume (after a restart); their calls wait for the
	// ARI connection like any other originate.
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	// Supervisor monitors live in this node's memory: the ones it had
	// when it stopped are over (other nodes' rows are theirs).
	if n, err := a.store.CloseNodeMonitors(dctx, a.cfg.NodeName, time.Now()); err != nil {
		dcancel()
		return fmt.Errorf("close this node's monitor audit rows: %w", err)
	} else if n > 0 {
		a.log.Info("supervisor monitors of the previous run closed", "rows", n, "reason", store.MonitorEndRestart)
	}
	// Agents and queues load before calls arrive; endpoint registration
	// state is read on every ARI connect (the ACD registers for it here).
	err := a.acd.Start(dctx)
	if err == nil {
		err = a.dialer.Start(dctx)
	}
	dcancel()
	if err != nil {
		return err
	}
	ariCtx, stopARI := context.WithCancel(context.WithoutCancel(ctx))
	defer stopARI()
	errc := make(chan error, 5)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); errc <- a.http.Serve(a.httpLn) }()
	agiCtx, stopAGI := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAGI()
	go func() { defer wg.Done(); errc <- a.agi.Serve(agiCtx, a.agiLn) }()
	go func() { defer wg.Done(); errc <- a.ari.Run(ariCtx) }()
	// Background jobs: recording retention and daily email reports.
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	var jobs sync.WaitGroup
	jobs.Add(3)
	go func() { defer jobs.Done(); a.runNotify(jobsCtx) }()
	go func() {
		defer jobs.Done()
		if err := a.purger.Run(jobsCtx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("recording purge job stopped", "error", err)
		}
	}()
	go func() {
		defer jobs.Done()
		if err := a.reports.Run(jobsCtx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("email report scheduler stopped", "error", err)
		}
	}()
	if a.mail != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.mail.Serve(a.mailLn); err != nil {
				errc <- fmt.Errorf("email upload SMTP server: %w", err)
			}
		}()
	}
	if !a.relay.Configured() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.relay.Serve(); err != nil {
				errc <- fmt.Errorf("mail log relay: %w", err)
			}
		}()
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		if runErr != nil {
			a.log.Error("component failed; shutting down", "error", runErr)
		}
	}

	// The dialer stops claiming records before the call manager drains;
	// its calls in progress end with the others.
	a.dialer.Stop()
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.ShutdownTimeout)
	defer cancel()
	// Agents take no new calls; idle persistent agent lines hang up now,
	// busy ones when their call ends (so Drain does not wait for them).
	a.acd.Drain()
	a.log.Info("shutting down: no new calls; waiting for live calls", "live", a.ari.Live(), "timeout", a.cfg.ShutdownTimeout)
	var dwg sync.WaitGroup
	dwg.Add(3)
	go func() { defer dwg.Done(); a.ari.Drain(sctx) }()
	// Mail sessions importing an attachment may finish, like calls.
	go func() { defer dwg.Done(); a.stopMail(sctx) }()
	go func() {
		defer dwg.Done()
		if err := a.agi.Shutdown(sctx); err != nil {
			a.log.Warn("FastAGI shutdown", "error", err)
		}
	}()
	dwg.Wait()
	// Every call has ended: the runners record the last outcomes.
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := a.dialer.Wait(wctx); err != nil {
		a.log.Warn("dialer shutdown", "error", err)
	}
	wcancel()
	stopJobs()
	jobs.Wait()
	a.acd.Close()
	nctx, ncancel := context.WithTimeout(context.Background(), 10*time.Second)
	if err := a.notifier.Close(); err != nil {
		a.log.Warn("CRM/popup webhooks not delivered at shutdown", "error", err)
	}
	if err := a.journal.Close(nctx); err != nil {
		a.log.Error("agent/queue journal not fully written at shutdown", "error", err)
	}
	ncancel()
	stopARI()
	stopAGI()
	close(a.httpDone)
	hctx, hcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer hcancel()
	if err := a.http.Shutdown(hctx); err != nil {
		a.log.Warn("HTTP shutdown", "error", err)
	}
	wg.Wait()
	a.log.Info("switchyard stopped")
	return runErr
}

// Close tears down what New built, the last created first (each teardown
// is registered right after its component is created; New runs them too
// when it fails half-way): the listeners close, the disconnect webhooks of
// ended calls finish (bounded), the store closes. Call it after Run
// returned (or instead of Run, after New).
func (a *App) Close() error {
	var err error
	a.closed.Do(func() {
		for i := len(a.cleanup) - 1; i >= 0; i-- {
			err = errors.Join(err, a.cleanup[i]())
		}
		a.cleanup = nil
	})
	return err
}

// onClose registers a teardown step for Close.
func (a *App) onClose(fn func() error) { a.cleanup = append(a.cleanup, fn) }

// closeListener closes a listener that was bound (its error is of no use
// at shutdown).
func closeListener(ln net.Listener) error {
	if ln != nil {
		_ = ln.Close()
	}
	return nil
}

func (a *App) checkDB(ctx context.Context) (bool, string, map[string]any) {
	start := time.Now()
	err := a.store.Ping(ctx)
	data := map[string]any{"driver": a.store.Driver(), "ping_ms": float64(time.Since(start).Microseconds()) / 1000}
	if err != nil {
		return false, err.Error(), data
	}
	return true, "", data
}

func (a *App) checkARI(context.Context) (bool, string, map[string]any) {
	st := a.ari.Stream().State()
	data := map[string]any{
		"url": a.cfg.ARIURL, "app": a.cfg.ARIApp, "connected": st.Connected, "reconnects": st.Reconnects,
		"live_calls": a.ari.Live(), "asterisk_version": st.AsteriskVersion,
	}
	if !st.Since.IsZero() {
		data["since"] = st.Since
	}
	if !st.Connected {
		detail := st.LastError
		if detail == "" {
			detail = "connecting"
		}
		return false, detail, data
	}
	return true, "", data
}
