package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Grammar is an account's grammar: its name (unique in the account), the
// language and the JSON document (checked by the grammars service before
// it is stored).
type Grammar struct {
	ID        int64           `gorm:"column:id;primaryKey"`
	AccountID int64           `gorm:"column:account_id"`
	Name      string          `gorm:"column:name"`
	Language  string          `gorm:"column:language"`
	Document  json.RawMessage `gorm:"column:document;type:text;serializer:json"`
	CreatedBy string          `gorm:"column:created_by"`
	CreatedAt time.Time       `gorm:"column:created_at"`
}

// TableName is the grammars table.
func (Grammar) TableName() string { return "grammars" }

// AfterFind returns the time in UTC.
func (g *Grammar) AfterFind(*gorm.DB) error {
	g.CreatedAt = g.CreatedAt.UTC()
	return nil
}

// CreateGrammar stores a new grammar; a name the account already uses is
// ErrConflict.
func (s *Store) CreateGrammar(ctx context.Context, g Grammar) (out Grammar, err error) {
	defer s.track("CreateGrammar", time.Now(), &err)
	if g.AccountID <= 0 || g.Name == "" || g.Language == "" || len(g.Document) == 0 {
		return Grammar{}, ErrInvalid.New("", "grammar: account, name, language and document are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"grammar name", g.Name, 64}, {"grammar language", g.Language, 35}, {"grammar author", g.CreatedBy, 254}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return Grammar{}, err
		}
	}
	if err := validDoc("grammar document", g.Document); err != nil {
		return Grammar{}, err
	}
	g.ID = 0
	g.CreatedAt = norm(now())
	if err := s.w.WithContext(ctx).Create(&g).Error; err != nil {
		switch {
		case isDuplicate(err):
			return Grammar{}, ErrConflict.New("name", "a grammar named %q already exists", g.Name)
		case isFKViolation(err):
			return Grammar{}, fmt.Errorf("store: account %d: %w", g.AccountID, ErrNotFound)
		}
		return Grammar{}, fmt.Errorf("store: create grammar %q: %w", g.Name, err)
	}
	return g, nil
}

// ListGrammars lists an account's grammars by name.
func (s *Store) ListGrammars(ctx context.Context, accountID int64) (rows []Grammar, err error) {
	defer s.track("ListGrammars", time.Now(), &err)
	rows = []Grammar{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("name").Limit(MaxListLimit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list grammars: %w", err)
	}
	return rows, nil
}

// GetGrammar returns the account's grammar of that name (ErrNotFound
// when it has none).
func (s *Store) GetGrammar(ctx context.Context, accountID int64, name string) (g Grammar, err error) {
	defer s.track("GetGrammar", time.Now(), &err)
	err = s.r.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name).Take(&g).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Grammar{}, ErrNotFound.New("", "grammar %q not found", name)
	}
	if err != nil {
		return Grammar{}, fmt.Errorf("store: get grammar %q: %w", name, err)
	}
	return g, nil
}

// DeleteGrammar deletes the account's grammar of that name.
func (s *Store) DeleteGrammar(ctx context.Context, accountID int64, name string) (err error) {
	defer s.track("DeleteGrammar", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name).Delete(&Grammar{})
	if res.Error != nil {
		return fmt.Errorf("store: delete grammar %q: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound.New("", "grammar %q not found", name)
	}
	return nil
}
