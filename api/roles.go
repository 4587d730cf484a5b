package api

import "slices"

// Roles of a Principal. The account roles, from the least to the most
// powerful: agent < scheduler < supervisor < admin < owner; an operator
// (the service operator's support team) stands beside them, with no
// account.
const (
	RoleAgent      = "agent"
	RoleScheduler  = "scheduler"
	RoleSupervisor = "supervisor"
	RoleAdmin      = "admin"
	RoleOwner      = "owner"
	RoleOperator   = "operator"
)

// AccountRoles lists the account roles, least powerful first.
var AccountRoles = []string{RoleAgent, RoleScheduler, RoleSupervisor, RoleAdmin, RoleOwner}

// Access levels of a route besides the account roles (which mean "this
// role or a more powerful one, in an account").
const (
	// AccessPublic: no authentication (login, password reset, the
	// routes outside /api/v1 that check their own credentials).
	AccessPublic = "public"
	// AccessAnyone: any authenticated caller (users, keys, operators).
	AccessAnyone = "anyone"
	// AccessOperator: operators only.
	AccessOperator = RoleOperator
)

// Allowed reports whether p may use a route with the access level.
// Unknown levels and roles allow nothing.
func Allowed(access string, p Principal) bool {
	switch access {
	case AccessPublic, AccessAnyone:
		return true
	case AccessOperator:
		return p.Role == RoleOperator && p.OperatorID > 0 && p.AccountID == 0
	}
	need := slices.Index(AccountRoles, access)
	have := slices.Index(AccountRoles, p.Role)
	return need >= 0 && have >= need && p.AccountID > 0
}

// RouteAccess returns the access level of a route (method and echo route
// path, e.g. "GET", "/api/v1/flows/:id"); ok is false for a route missing
// from the table, which the API refuses.
func RouteAccess(method, path string) (access string, ok bool) {
	access, ok = routeAccess[method+" "+path]
	return access, ok
}

// AccessTable returns a copy of the table ("METHOD /path" → level).
func AccessTable() map[string]string {
	m := make(map[string]string, len(routeAccess))
	for k, v := range routeAccess {
		m[k] = v
	}
	return m
}

// routeAccess is the one authorization table: every route the server
// registers, with the least role that may use it. A test boots the whole
// daemon and fails if a registered route is missing here.
var routeAccess = map[string]string{
	// Outside /api/v1: health, metrics and the spec are public; the Kairos
	// trigger checks the API key in its body; recording links are signed.
	"GET /healthz":                            AccessPublic,
	"HEAD /healthz":                           AccessPublic,
	"GET /metrics":                            AccessPublic,
	"GET /openapi.yaml":                       AccessPublic,
	"POST /kairos-apis/outbound/create":       AccessPublic,
	"POST /kairos-apis/outbounddialer/create": AccessPublic,
	"GET /recordings/:name":                   AccessPublic,
	// The web console's files.
	"GET /":          AccessPublic,
	"GET /assets/*":  AccessPublic,
	"HEAD /":         AccessPublic,
	"HEAD /assets/*": AccessPublic,

	// Unknown paths under /api/v1: authenticated, then 404.
	"echo_route_not_found /api/v1":   AccessAnyone,
	"echo_route_not_found /api/v1/*": AccessAnyone,

	// Login, sessions, the caller itself.
	"POST /api/v1/auth/login":                  AccessPublic,
	"POST /api/v1/auth/password-reset":         AccessPublic,
	"POST /api/v1/auth/password-reset/confirm": AccessPublic,
	"POST /api/v1/auth/invite/accept":          AccessPublic,
	"POST /api/v1/auth/logout":                 AccessAnyone,
	"GET /api/v1/auth/me":                      AccessAnyone,
	"POST /api/v1/auth/password":               AccessAnyone,
	"GET /api/v1/whoami":                       AccessAnyone,

	// Users and API keys of the account (owners are managed by owners: the
	// accounts service checks that).
	"GET /api/v1/users":                   RoleAdmin,
	"POST /api/v1/users":                  RoleAdmin,
	"GET /api/v1/users/:id":               RoleAdmin,
	"PATCH /api/v1/users/:id":             RoleAdmin,
	"DELETE /api/v1/users/:id":            RoleAdmin,
	"GET /api/v1/api-keys":                RoleAdmin,
	"POST /api/v1/api-keys":               RoleAdmin,
	"POST /api/v1/api-keys/:id/rotate":    RoleAdmin,
	"DELETE /api/v1/api-keys/:id":         RoleAdmin,
	"GET /api/v1/operator/accounts":       AccessOperator,
	"POST /api/v1/operator/accounts":      AccessOperator,
	"GET /api/v1/operator/accounts/:id":   AccessOperator,
	"PATCH /api/v1/operator/accounts/:id": AccessOperator,
	// Transactional flows: the operator approves every version; the
	// account reads its state and asks for it (admins).
	"GET /api/v1/operator/flow-approvals":                            AccessOperator,
	"GET /api/v1/operator/flow-approvals/:flow_id/:version":          AccessOperator,
	"POST /api/v1/operator/flow-approvals/:flow_id/:version/approve": AccessOperator,
	"POST /api/v1/operator/flow-approvals/:flow_id/:version/reject":  AccessOperator,
	"GET /api/v1/account/transactional-messaging":                    RoleScheduler,
	"POST /api/v1/account/transactional-messaging/request":           RoleAdmin,

	// Call lists: upload, trigger, request summary (scheduler); white- and
	// blacklists, DNC and settings (admin).
	"POST /api/v1/calllists/trigger":                   RoleScheduler,
	"POST /api/v1/calllists/uploads":                   RoleScheduler,
	"GET /api/v1/calllists/template":                   RoleScheduler,
	"GET /api/v1/calllists/requests":                   RoleScheduler,
	"GET /api/v1/calllists/requests/:id":               RoleScheduler,
	"PATCH /api/v1/calllists/requests/:id":             RoleScheduler,
	"GET /api/v1/calllists/requests/:id/report.csv":    RoleScheduler,
	"GET /api/v1/calllists/email-address":              RoleScheduler,
	"GET /api/v1/calllists/access-lists":               RoleAdmin,
	"POST /api/v1/calllists/access-lists":              RoleAdmin,
	"DELETE /api/v1/calllists/access-lists/:id":        RoleAdmin,
	"POST /api/v1/calllists/access-lists/phone-otp":    RoleAdmin,
	"POST /api/v1/calllists/access-lists/phone-verify": RoleAdmin,
	"POST /api/v1/calllists/dnc":                       RoleAdmin,
	"GET /api/v1/account/country":                      RoleScheduler,
	"PUT /api/v1/account/country":                      RoleAdmin,
	"GET /api/v1/account/time-zone":                    RoleScheduler,
	"PUT /api/v1/account/time-zone":                    RoleAdmin,

	// Campaigns: made by schedulers, controlled by supervisors.
	"GET /api/v1/campaigns":              RoleScheduler,
	"POST /api/v1/campaigns":             RoleScheduler,
	"GET /api/v1/campaigns/:id":          RoleScheduler,
	"PUT /api/v1/campaigns/:id":          RoleScheduler,
	"DELETE /api/v1/campaigns/:id":       RoleScheduler,
	"GET /api/v1/campaigns/:id/progress": RoleScheduler,
	"POST /api/v1/campaigns/:id/start":   RoleSupervisor,
	"POST /api/v1/campaigns/:id/pause":   RoleSupervisor,
	"POST /api/v1/campaigns/:id/resume":  RoleSupervisor,
	"POST /api/v1/campaigns/:id/cancel":  RoleSupervisor,
	"GET /api/v1/flows/:id/dialing":      RoleScheduler,
	"PUT /api/v1/flows/:id/dialing":      RoleAdmin,
	"GET /api/v1/trunks":                 RoleScheduler,

	// Flows: read by schedulers, written and published by admins.
	"POST /api/v1/flows/validate":                     RoleScheduler,
	"GET /api/v1/flows/variables/system":              RoleScheduler,
	"GET /api/v1/flows":                               RoleScheduler,
	"GET /api/v1/flows/:id":                           RoleScheduler,
	"GET /api/v1/flows/:id/versions":                  RoleScheduler,
	"GET /api/v1/flows/:id/versions/:version":         RoleScheduler,
	"POST /api/v1/flows":                              RoleAdmin,
	"PUT /api/v1/flows/:id":                           RoleAdmin,
	"DELETE /api/v1/flows/:id":                        RoleAdmin,
	"POST /api/v1/flows/:id/publish":                  RoleAdmin,
	"POST /api/v1/flows/:id/test-call":                RoleAdmin,
	"GET /api/v1/flows/:id/test-call/:call_id/events": RoleAdmin,
	"PUT /api/v1/flows/:id/transactional":             RoleAdmin,
	"POST /api/v1/calls/connect":                      RoleSupervisor,
	"GET /api/v1/calls/:id/journey":                   RoleSupervisor,
	"GET /api/v1/webhooks":                            RoleAdmin,
	"GET /api/v1/webhooks/:name":                      RoleAdmin,
	"PUT /api/v1/webhooks/:name":                      RoleAdmin,
	"DELETE /api/v1/webhooks/:name":                   RoleAdmin,
	"GET /api/v1/variables":                           RoleAdmin,
	"GET /api/v1/grammars":                            RoleScheduler,
	"GET /api/v1/grammars/:name":                      RoleScheduler,
	"POST /api/v1/grammars/:name/say":                 RoleScheduler,
	"POST /api/v1/grammars":                           RoleAdmin,
	"DELETE /api/v1/grammars/:name":                   RoleAdmin,
	// Emergency Notification: the address book, labels, sending and the
	// reports (schedulers, like call lists).
	"GET /api/v1/notify/contacts":                     RoleScheduler,
	"POST /api/v1/notify/contacts":                    RoleScheduler,
	"GET /api/v1/notify/contacts/template":            RoleScheduler,
	"POST /api/v1/notify/contacts/bulk":               RoleScheduler,
	"GET /api/v1/notify/contacts/:id":                 RoleScheduler,
	"PUT /api/v1/notify/contacts/:id":                 RoleScheduler,
	"DELETE /api/v1/notify/contacts/:id":              RoleScheduler,
	"GET /api/v1/notify/labels":                       RoleScheduler,
	"POST /api/v1/notify/labels":                      RoleScheduler,
	"GET /api/v1/notify/labels/:id":                   RoleScheduler,
	"PUT /api/v1/notify/labels/:id":                   RoleScheduler,
	"DELETE /api/v1/notify/labels/:id":                RoleScheduler,
	"GET /api/v1/notify/flows":                        RoleScheduler,
	"POST /api/v1/notify/preview":                     RoleScheduler,
	"GET /api/v1/notify/notifications":                RoleScheduler,
	"POST /api/v1/notify/notifications":               RoleScheduler,
	"GET /api/v1/notify/notifications/:id":            RoleScheduler,
	"GET /api/v1/notify/notifications/:id/deliveries": RoleScheduler,
	"GET /api/v1/notify/notifications/:id/report.csv": RoleScheduler,
	"GET /api/v1/variables/:name":                     RoleAdmin,
	"PUT /api/v1/variables/:name":                     RoleAdmin,
	"DELETE /api/v1/variables/:name":                  RoleAdmin,
	"GET /api/v1/dids":                                RoleAdmin,
	"PUT /api/v1/dids/:did":                           RoleAdmin,
	"DELETE /api/v1/dids/:did":                        RoleAdmin,
	"GET /api/v1/http-policy":                         RoleAdmin,
	"PUT /api/v1/http-policy":                         RoleAdmin,

	// Agents and queues: read, watched and paused by supervisors,
	// configured by admins. The agent UI settings are read by the agent
	// desk.
	"GET /api/v1/agents":                          RoleSupervisor,
	"GET /api/v1/agents/:id":                      RoleSupervisor,
	"POST /api/v1/agents":                         RoleAdmin,
	"PUT /api/v1/agents/:id":                      RoleAdmin,
	"DELETE /api/v1/agents/:id":                   RoleAdmin,
	"POST /api/v1/agents/:id/login":               RoleSupervisor,
	"POST /api/v1/agents/:id/logout":              RoleSupervisor,
	"POST /api/v1/agents/:id/pause":               RoleSupervisor,
	"POST /api/v1/agents/:id/unpause":             RoleSupervisor,
	"POST /api/v1/agents/:id/disposition":         RoleSupervisor,
	"GET /api/v1/queues":                          RoleSupervisor,
	"GET /api/v1/queues/:id":                      RoleSupervisor,
	"POST /api/v1/queues":                         RoleAdmin,
	"PUT /api/v1/queues/:id":                      RoleAdmin,
	"DELETE /api/v1/queues/:id":                   RoleAdmin,
	"PUT /api/v1/queues/:id/members":              RoleAdmin,
	"POST /api/v1/queues/:id/members/:agent_id":   RoleAdmin,
	"DELETE /api/v1/queues/:id/members/:agent_id": RoleAdmin,
	"GET /api/v1/hooks":                           RoleAdmin,
	"POST /api/v1/hooks":                          RoleAdmin,
	"GET /api/v1/hooks/:id":                       RoleAdmin,
	"PUT /api/v1/hooks/:id":                       RoleAdmin,
	"DELETE /api/v1/hooks/:id":                    RoleAdmin,
	"GET /api/v1/agent-ui":                        RoleAgent,
	"PUT /api/v1/agent-ui":                        RoleAdmin,
	"GET /api/v1/supervisor/agents":               RoleSupervisor,
	// The agent desk: a user works as their own agent (never another).
	"GET /api/v1/me/agent":                 RoleAgent,
	"POST /api/v1/me/agent/login":          RoleAgent,
	"POST /api/v1/me/agent/logout":         RoleAgent,
	"POST /api/v1/me/agent/pause":          RoleAgent,
	"POST /api/v1/me/agent/unpause":        RoleAgent,
	"POST /api/v1/me/agent/disposition":    RoleAgent,
	"POST /api/v1/me/agent/hangup":         RoleAgent,
	"POST /api/v1/me/agent/hold":           RoleAgent,
	"POST /api/v1/me/agent/transfer":       RoleAgent,
	"GET /api/v1/me/agent/transfer":        RoleAgent,
	"GET /api/v1/me/agent/calls":           RoleAgent,
	"GET /api/v1/me/agent/phone":           RoleAgent,
	"POST /api/v1/me/agent/phone/password": RoleAgent,
	"GET /api/v1/me/agent/stream":          RoleAgent,
	"GET /api/v1/supervisor/queues":        RoleSupervisor,
	"GET /api/v1/supervisor/stream":        RoleSupervisor,
	// Listen / whisper / barge: supervisors; the audit: admins.
	"POST /api/v1/supervisor/agents/:id/monitor": RoleSupervisor,
	"GET /api/v1/supervisor/monitors":            RoleSupervisor,
	"DELETE /api/v1/supervisor/monitors/:id":     RoleSupervisor,
	"GET /api/v1/supervisor/monitor-audit":       RoleAdmin,
	"GET /api/v1/supervisor/day":                 RoleSupervisor,

	// Reports: call and ADS reports read by schedulers; recordings and
	// email reports by supervisors.
	"GET /api/v1/reports/calls":                   RoleScheduler,
	"GET /api/v1/reports/calls.csv":               RoleScheduler,
	"GET /api/v1/reports/ads/statistics":          RoleScheduler,
	"GET /api/v1/reports/ads/statistics.csv":      RoleScheduler,
	"GET /api/v1/reports/ads/detailed":            RoleScheduler,
	"GET /api/v1/reports/ads/detailed.csv":        RoleScheduler,
	"GET /api/v1/reports/catalogue":               RoleScheduler,
	"GET /api/v1/reports/catalogue/:name":         RoleScheduler,
	"GET /api/v1/reports/catalogue/:name/csv":     RoleScheduler,
	"GET /api/v1/reports/attempts/:id/recordings": RoleSupervisor,
	"GET /api/v1/reports/recordings/:id":          RoleSupervisor,
	"GET /api/v1/reports/recordings.zip":          RoleSupervisor,
	"GET /api/v1/reports/email":                   RoleSupervisor,
	"GET /api/v1/reports/email/:flow":             RoleSupervisor,
	"PUT /api/v1/reports/email/:flow":             RoleSupervisor,
	"DELETE /api/v1/reports/email/:flow":          RoleSupervisor,

	// Text-to-speech: the account's engine and voice, a preview, its cloud
	// speech accounts (keys: admins only).
	"GET /api/v1/tts/settings":              RoleScheduler,
	"PUT /api/v1/tts/settings":              RoleAdmin,
	"GET /api/v1/tts/voices":                RoleScheduler,
	"POST /api/v1/tts/preview":              RoleAdmin,
	"GET /api/v1/cloud-accounts":            RoleAdmin,
	"POST /api/v1/cloud-accounts":           RoleAdmin,
	"POST /api/v1/cloud-accounts/check":     RoleAdmin,
	"GET /api/v1/cloud-accounts/:id":        RoleAdmin,
	"PUT /api/v1/cloud-accounts/:id":        RoleAdmin,
	"DELETE /api/v1/cloud-accounts/:id":     RoleAdmin,
	"POST /api/v1/cloud-accounts/:id/check": RoleAdmin,
	// Prompts: the library read by schedulers, added to and deleted by
	// admins; the operator approves or rejects each prompt. Their audio,
	// served to Asterisk, is signed.
	"GET /api/v1/prompts":                       RoleScheduler,
	"GET /api/v1/prompts/:id":                   RoleScheduler,
	"GET /api/v1/prompts/:id/audio":             RoleScheduler,
	"POST /api/v1/prompts":                      RoleAdmin,
	"DELETE /api/v1/prompts/:id":                RoleAdmin,
	"POST /api/v1/prompts/record-call":          RoleAdmin,
	"GET /api/v1/prompts/record-calls/:call_id": RoleAdmin,
	"GET /api/v1/operator/prompts":              AccessOperator,
	"GET /api/v1/operator/prompts/:id/audio":    AccessOperator,
	"POST /api/v1/operator/prompts/:id/approve": AccessOperator,
	"POST /api/v1/operator/prompts/:id/reject":  AccessOperator,
	"GET /media/:signature/:file":               AccessPublic,
	"HEAD /media/:signature/:file":              AccessPublic,
	// Messages: the account's SMS and email log; the gateway's delivery
	// reports carry their message's token instead of a login.
	"GET /api/v1/messages":     RoleScheduler,
	"GET /api/v1/messages.csv": RoleScheduler,
	"GET /sms/dlr":             AccessPublic,
}
