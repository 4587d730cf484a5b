package api

import (
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestAllowed(t *testing.T) {
	user := func(role string) Principal { return Principal{AccountID: 1, UserID: 2, Role: role} }
	op := Principal{OperatorID: 1, Role: RoleOperator}
	tests := []struct {
		name   string
		access string
		p      Principal
		want   bool
	}{
		{"public", AccessPublic, Principal{}, true},
		{"anyone: agent", AccessAnyone, user(RoleAgent), true},
		{"anyone: operator", AccessAnyone, op, true},
		{"admin route, owner", RoleAdmin, user(RoleOwner), true},
		{"admin route, admin", RoleAdmin, user(RoleAdmin), true},
		{"admin route, supervisor", RoleAdmin, user(RoleSupervisor), false},
		{"scheduler route, supervisor", RoleScheduler, user(RoleSupervisor), true},
		{"scheduler route, agent", RoleScheduler, user(RoleAgent), false},
		{"agent route, agent", RoleAgent, user(RoleAgent), true},
		{"account route, operator", RoleAgent, op, false},
		{"account route, no account", RoleAgent, Principal{Role: RoleOwner}, false},
		{"operator route, operator", AccessOperator, op, true},
		{"operator route, owner", AccessOperator, user(RoleOwner), false},
		{"operator route, operator role with an account", AccessOperator, Principal{AccountID: 1, OperatorID: 1, Role: RoleOperator}, false},
		{"operator route, role without operator id", AccessOperator, Principal{Role: RoleOperator}, false},
		{"unknown role", RoleAgent, user("root"), false},
		{"empty role", RoleAgent, user(""), false},
		{"unknown access", "superuser", user(RoleOwner), false},
		{"empty access", "", user(RoleOwner), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Allowed(tt.access, tt.p); got != tt.want {
				t.Errorf("Allowed(%q, %+v) = %v, want %v", tt.access, tt.p, got, tt.want)
			}
		})
	}
}

func TestRouteAccessFailsClosed(t *testing.T) {
	if _, ok := RouteAccess("GET", "/api/v1/no-such-route"); ok {
		t.Fatal("an unknown route has an access level")
	}
	if a, ok := RouteAccess("POST", "/api/v1/auth/login"); !ok || a != AccessPublic {
		t.Fatalf("login: %q %v", a, ok)
	}
	if a, _ := RouteAccess("DELETE", "/api/v1/users/:id"); a != RoleAdmin {
		t.Fatalf("delete user: %q", a)
	}
	// Only the login family is public under /api/v1.
	for k, v := range AccessTable() {
		if v == AccessPublic && strings.Contains(k, " /api/v1/") && !strings.Contains(k, "/api/v1/auth/") {
			t.Errorf("%s is public", k)
		}
	}
}

// TestOpenAPIMinRoles: each /api/v1 operation in openapi.yaml states the
// least role of the access table (x-min-role), so clients (the console)
// read the same rules.
func TestOpenAPIMinRoles(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatal(err)
	}
	table := AccessTable()
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/api/v1/") {
			continue
		}
		for method, op := range ops {
			m, ok := op.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			echoPath := echoPathOf(path)
			want, known := table[strings.ToUpper(method)+" "+echoPath]
			if !known {
				t.Errorf("%s %s is documented but not in the access table", method, path)
				continue
			}
			if got, _ := m["x-min-role"].(string); got != want {
				t.Errorf("%s %s: x-min-role %q, access table %q", method, path, got, want)
			}
		}
	}
}

// echoPathOf turns {param} into :param.
func echoPathOf(p string) string {
	var b strings.Builder
	for _, seg := range strings.Split(p, "/") {
		if b.Len() > 0 || seg != "" {
			b.WriteString("/")
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			seg = ":" + seg[1:len(seg)-1]
		}
		b.WriteString(seg)
	}
	return b.String()
}

// TestAgentDeskRoutes: the agent desk's routes (/api/v1/me/agent…) are
// the agent role's, so an agent works on their own agent; every route
// that names an agent by id stays a supervisor's or admin's, so an agent
// never acts on another.
func TestAgentDeskRoutes(t *testing.T) {
	agent := Principal{AccountID: 1, UserID: 2, Role: RoleAgent}
	n := 0
	for k, v := range AccessTable() {
		_, path, _ := strings.Cut(k, " ")
		switch {
		case strings.HasPrefix(path, "/api/v1/me/agent"):
			n++
			if v != RoleAgent || !Allowed(v, agent) {
				t.Errorf("%s: %q, want agent", k, v)
			}
		case strings.HasPrefix(path, "/api/v1/agents/:id"), strings.HasPrefix(path, "/api/v1/supervisor/"):
			if Allowed(v, agent) {
				t.Errorf("%s is open to agents", k)
			}
		}
	}
	if n != 14 {
		t.Errorf("%d agent desk routes, want the 14 of /api/v1/me/agent", n)
	}
}

// TestAddressBookNotForAgents: the address book, labels, notifications
// and the message log (contacts' names, phones and emails) are closed to
// agents; the SMS gateway's delivery reports are public (they carry
// their message's token).
func TestAddressBookNotForAgents(t *testing.T) {
	agent := Principal{AccountID: 1, UserID: 2, Role: RoleAgent}
	scheduler := Principal{AccountID: 1, UserID: 3, Role: RoleScheduler}
	n := 0
	for k, v := range AccessTable() {
		_, path, _ := strings.Cut(k, " ")
		if strings.HasPrefix(path, "/api/v1/notify/") || strings.HasPrefix(path, "/api/v1/messages") {
			n++
			if Allowed(v, agent) || !Allowed(v, scheduler) {
				t.Errorf("%s: %q; want schedulers and up, not agents", k, v)
			}
		}
	}
	if n != 21 {
		t.Errorf("%d address book, notification and message routes, want 21", n)
	}
	if v, ok := RouteAccess("GET", "/sms/dlr"); !ok || v != AccessPublic {
		t.Errorf("GET /sms/dlr: %q, want public", v)
	}
}
