package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// secretRow is a generated key kept in the database.
type secretRow struct {
	Name      string    `gorm:"column:name;primaryKey"`
	Value     string    `gorm:"column:value"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (secretRow) TableName() string { return "secrets" }

// Secret returns the generated key called name (32 random bytes), making
// it on first use. It is kept in the database, so every node sharing the
// database gets the same key; the first node to make it wins a race.
func (s *Store) Secret(ctx context.Context, name string) (key []byte, err error) {
	defer s.track("Secret", time.Now(), &err)
	if err := checkLen("secret name", name, 64); err != nil || name == "" {
		return nil, fmt.Errorf("store: secret name %q: %w", name, ErrInvalid)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	row := secretRow{Name: name, Value: hex.EncodeToString(b[:]), CreatedAt: now()}
	if err := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return nil, fmt.Errorf("store: make secret %s: %w", name, err)
	}
	var got secretRow
	if err := s.w.WithContext(ctx).Where("name = ?", name).Take(&got).Error; err != nil {
		return nil, fmt.Errorf("store: read secret %s: %w", name, err)
	}
	key, err = hex.DecodeString(got.Value)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("store: secret %s is not a key of at least 16 bytes", name)
	}
	return key, nil
}
