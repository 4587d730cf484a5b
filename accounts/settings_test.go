package accounts

import (
	"context"
	"errors"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

func TestSetAccountTimeZone(t *testing.T) {
	tests := []struct {
		name     string
		actor    Actor
		zone     string
		want     string
		wantCode string
	}{
		{"owner sets a zone", Actor{AccountID: 1, Role: store.RoleOwner}, "Asia/Kolkata", "Asia/Kolkata", ""},
		{"admin sets a zone, trimmed", Actor{AccountID: 1, Role: store.RoleAdmin}, " Europe/Berlin\t", "Europe/Berlin", ""},
		{"UTC", Actor{AccountID: 1, Role: store.RoleAdmin}, "UTC", "UTC", ""},
		{"supervisor may not", Actor{AccountID: 1, Role: store.RoleSupervisor}, "UTC", "", switchyard.CodeForbidden},
		{"operator is in no account", Actor{OperatorID: 1, Role: RoleOperator}, "UTC", "", switchyard.CodeForbidden},
		{"unknown zone", Actor{AccountID: 1, Role: store.RoleOwner}, "Mars/Olympus", "", switchyard.CodeInvalid},
		{"wrong case", Actor{AccountID: 1, Role: store.RoleOwner}, "asia/kolkata", "", switchyard.CodeInvalid},
		{"empty", Actor{AccountID: 1, Role: store.RoleOwner}, "  ", "", switchyard.CodeInvalid},
		{"the server's Local", Actor{AccountID: 1, Role: store.RoleOwner}, "Local", "", switchyard.CodeInvalid},
		{"a path", Actor{AccountID: 1, Role: store.RoleOwner}, "../../etc/passwd", "", switchyard.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stored string
			f := &fakeStore{setAccountTimezone: func(_ context.Context, id int64, tz string) error {
				if id != tt.actor.AccountID {
					t.Errorf("stored for account %d", id)
				}
				stored = tz
				return nil
			}}
			got, err := New(Config{Store: f}).SetAccountTimeZone(context.Background(), tt.actor, tt.zone)
			if codeOf(err) != tt.wantCode || (tt.wantCode == "") != (err == nil) {
				t.Fatalf("err %v, want code %q", err, tt.wantCode)
			}
			if got != tt.want || stored != tt.want {
				t.Errorf("got %q, stored %q, want %q", got, stored, tt.want)
			}
			if tt.wantCode == switchyard.CodeInvalid {
				var e *switchyard.Error
				if !errors.As(err, &e) || e.Field != "time_zone" {
					t.Errorf("error %v does not name time_zone", err)
				}
			}
		})
	}
}
