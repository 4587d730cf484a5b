package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0023TTS adds text-to-speech: the cache of sentences already spoken
// (account, key of engine + voice + text → the published media), the
// account's engine and voice, and its cloud speech accounts (AWS, Google)
// with their secrets sealed. Frozen: do not edit.
func m0023TTS(tx *gorm.DB) error {
	type ttsCache struct {
		AccountID int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
		CacheKey  string    `gorm:"column:cache_key;primaryKey;size:64"`
		Engine    string    `gorm:"column:engine;size:48;not null"`
		Voice     string    `gorm:"column:voice;size:64;not null"`
		MediaHash string    `gorm:"column:media_hash;size:64;not null"`
		URI       string    `gorm:"column:uri;size:1024;not null"`
		Bytes     int64     `gorm:"column:bytes;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	type ttsSettings struct {
		AccountID int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
		Engine    string    `gorm:"column:engine;size:32;not null"`
		Voice     string    `gorm:"column:voice;size:64;not null"`
		UpdatedAt time.Time `gorm:"column:updated_at;not null"`
	}
	type cloudAccount struct {
		ID          int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID   int64      `gorm:"column:account_id;not null"`
		Provider    string     `gorm:"column:provider;size:16;not null"`
		Alias       string     `gorm:"column:alias;size:32;not null"`
		Services    string     `gorm:"column:services;size:256;not null"`
		Region      string     `gorm:"column:region;size:32;not null"`
		AccessKeyID string     `gorm:"column:access_key_id;size:128;not null"`
		ProjectID   string     `gorm:"column:project_id;size:64;not null"`
		Secret      string     `gorm:"column:secret;type:text;not null"`
		Checks      string     `gorm:"column:checks;type:text;not null"`
		CheckedAt   *time.Time `gorm:"column:checked_at"`
		CreatedAt   time.Time  `gorm:"column:created_at;not null"`
		UpdatedAt   time.Time  `gorm:"column:updated_at;not null"`
	}
	for _, t := range []struct {
		name  string
		model any
	}{{"tts_cache", &ttsCache{}}, {"tts_settings", &ttsSettings{}}, {"cloud_accounts", &cloudAccount{}}} {
		if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
			return fmt.Errorf("0023_tts: create %s: %w", t.name, err)
		}
	}
	for _, q := range []string{
		`CREATE INDEX ix_tts_cache_engine ON tts_cache (account_id, engine)`,
		`CREATE UNIQUE INDEX ux_cloud_accounts_alias ON cloud_accounts (account_id, alias)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0023_tts: %w", err)
		}
	}
	return nil
}
