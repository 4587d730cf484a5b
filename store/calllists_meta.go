package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Recipients-list states of a call-list request.
const (
	ListActive   = "active"
	ListDisabled = "disabled"
)

// CallListMeta changes a request's recipients-list fields; nil leaves a
// field as it is.
type CallListMeta struct {
	Name        *string
	Accountcode *string
	ListStatus  *string // ListActive or ListDisabled
}

// SetCallListMeta sets a request's name, accountcode and list status.
func (s *Store) SetCallListMeta(ctx context.Context, accountID int64, requestID string, m CallListMeta) (out CallListRequest, err error) {
	defer s.track("SetCallListMeta", time.Now(), &err)
	upd, err := m.updates()
	if err != nil {
		return out, err
	}
	res := s.w.WithContext(ctx).Model(&CallListRequest{}).Where("account_id = ? AND id = ?", accountID, requestID).Updates(upd)
	if res.Error != nil {
		return out, fmt.Errorf("store: set call-list request %s: %w", requestID, res.Error)
	}
	if res.RowsAffected == 0 {
		return out, fmt.Errorf("store: call-list request %s: %w", requestID, ErrNotFound)
	}
	return s.GetCallListRequest(ctx, accountID, requestID)
}

// Validate checks the fields that are set.
func (m CallListMeta) Validate() error {
	_, err := m.updates()
	return err
}

func (m CallListMeta) updates() (map[string]any, error) {
	upd := map[string]any{"updated_at": now()}
	if m.Name != nil {
		n := strings.TrimSpace(*m.Name)
		if len(n) > 200 || !utf8.ValidString(n) || strings.ContainsFunc(n, unicode.IsControl) {
			return nil, ErrInvalid.New("name", "list name: at most 200 characters, no control characters")
		}
		upd["list_name"] = n
	}
	if m.Accountcode != nil {
		a := strings.TrimSpace(*m.Accountcode)
		if len(a) > 64 || strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r > '~' }) {
			return nil, ErrInvalid.New("accountcode", "accountcode: at most 64 printable ASCII characters without spaces")
		}
		upd["accountcode"] = a
	}
	if m.ListStatus != nil {
		switch *m.ListStatus {
		case ListActive, ListDisabled:
			upd["disabled"] = *m.ListStatus == ListDisabled
		default:
			return nil, ErrInvalid.New("list_status", "list status %q: want %s or %s", *m.ListStatus, ListActive, ListDisabled)
		}
	}
	return upd, nil
}
