package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/switchyard/switchyard/tts"
)

// ttsCacheRow is a sentence already spoken in an account.
type ttsCacheRow struct {
	AccountID int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
	CacheKey  string    `gorm:"column:cache_key;primaryKey"`
	Engine    string    `gorm:"column:engine"`
	Voice     string    `gorm:"column:voice"`
	MediaHash string    `gorm:"column:media_hash"`
	URI       string    `gorm:"column:uri"`
	Bytes     int64     `gorm:"column:bytes"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (ttsCacheRow) TableName() string { return "tts_cache" }

// TTSCacheGet returns the published media of a sentence of the account.
func (s *Store) TTSCacheGet(ctx context.Context, accountID int64, key string) (e tts.CacheEntry, ok bool, err error) {
	defer s.track("TTSCacheGet", time.Now(), &err)
	var rows []ttsCacheRow
	if err := s.r.WithContext(ctx).Where("account_id = ? AND cache_key = ?", accountID, key).Limit(1).Find(&rows).Error; err != nil {
		return tts.CacheEntry{}, false, fmt.Errorf("store: tts cache: %w", err)
	}
	if len(rows) == 0 {
		return tts.CacheEntry{}, false, nil
	}
	r := rows[0]
	return tts.CacheEntry{AccountID: r.AccountID, Key: r.CacheKey, Engine: r.Engine, Voice: r.Voice, MediaHash: r.MediaHash,
		URI: r.URI, Bytes: int(r.Bytes), CreatedAt: r.CreatedAt.UTC()}, true, nil
}

// TTSCachePut keeps a sentence's media; a key already kept (another node
// made it at the same time) keeps its first media.
func (s *Store) TTSCachePut(ctx context.Context, e tts.CacheEntry) (err error) {
	defer s.track("TTSCachePut", time.Now(), &err)
	if e.AccountID <= 0 || len(e.Key) != 64 || e.URI == "" {
		return ErrInvalid.New("", "tts cache entry: account, 64-character key and URI are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"tts engine", e.Engine, 48}, {"tts voice", e.Voice, 64}, {"tts media hash", e.MediaHash, 64}, {"tts media URI", e.URI, 1024}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	row := ttsCacheRow{AccountID: e.AccountID, CacheKey: e.Key, Engine: e.Engine, Voice: e.Voice, MediaHash: e.MediaHash,
		URI: e.URI, Bytes: int64(e.Bytes), CreatedAt: norm(e.CreatedAt)}
	if e.CreatedAt.IsZero() {
		row.CreatedAt = now()
	}
	if err := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("store: keep tts cache entry: %w", err)
	}
	return nil
}

// TTSCachePurge forgets the account's sentences spoken by an engine.
func (s *Store) TTSCachePurge(ctx context.Context, accountID int64, engine string) (err error) {
	defer s.track("TTSCachePurge", time.Now(), &err)
	if err := s.w.WithContext(ctx).Where("account_id = ? AND engine = ?", accountID, engine).Delete(&ttsCacheRow{}).Error; err != nil {
		return fmt.Errorf("store: purge tts cache: %w", err)
	}
	return nil
}

// ttsSettingsRow is an account's engine and voice.
type ttsSettingsRow struct {
	AccountID int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
	Engine    string    `gorm:"column:engine"`
	Voice     string    `gorm:"column:voice"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

func (ttsSettingsRow) TableName() string { return "tts_settings" }

// TTSSettings returns the account's engine and voice; ok is false when it
// chose none.
func (s *Store) TTSSettings(ctx context.Context, accountID int64) (st tts.Settings, ok bool, err error) {
	defer s.track("TTSSettings", time.Now(), &err)
	var rows []ttsSettingsRow
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Limit(1).Find(&rows).Error; err != nil {
		return tts.Settings{}, false, fmt.Errorf("store: tts settings: %w", err)
	}
	if len(rows) == 0 {
		return tts.Settings{}, false, nil
	}
	r := rows[0]
	return tts.Settings{AccountID: r.AccountID, Engine: r.Engine, Voice: r.Voice, UpdatedAt: r.UpdatedAt.UTC()}, true, nil
}

// SetTTSSettings saves the account's engine and voice.
func (s *Store) SetTTSSettings(ctx context.Context, st tts.Settings) (err error) {
	defer s.track("SetTTSSettings", time.Now(), &err)
	if st.AccountID <= 0 || st.Engine == "" {
		return ErrInvalid.New("", "tts settings: account and engine are required")
	}
	if err := checkLen("tts engine", st.Engine, 32); err != nil {
		return err
	}
	if err := checkLen("tts voice", st.Voice, 64); err != nil {
		return err
	}
	row := ttsSettingsRow{AccountID: st.AccountID, Engine: st.Engine, Voice: st.Voice, UpdatedAt: norm(st.UpdatedAt)}
	if st.UpdatedAt.IsZero() {
		row.UpdatedAt = now()
	}
	err = s.w.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"engine", "voice", "updated_at"})}).Create(&row).Error
	if err != nil {
		return fmt.Errorf("store: save tts settings: %w", err)
	}
	return nil
}

// cloudAccountRow is a cloud speech account; Secret is the sealed secret
// in base64, Checks the last "Check now" as JSON.
type cloudAccountRow struct {
	ID          int64      `gorm:"column:id;primaryKey;autoIncrement"`
	AccountID   int64      `gorm:"column:account_id"`
	Provider    string     `gorm:"column:provider"`
	Alias       string     `gorm:"column:alias"`
	Services    string     `gorm:"column:services"`
	Region      string     `gorm:"column:region"`
	AccessKeyID string     `gorm:"column:access_key_id"`
	ProjectID   string     `gorm:"column:project_id"`
	Secret      string     `gorm:"column:secret"`
	Checks      string     `gorm:"column:checks"`
	CheckedAt   *time.Time `gorm:"column:checked_at"`
	CreatedAt   time.Time  `gorm:"column:created_at"`
	UpdatedAt   time.Time  `gorm:"column:updated_at"`
}

func (cloudAccountRow) TableName() string { return "cloud_accounts" }

func (r cloudAccountRow) domain() (tts.CloudAccount, error) {
	a := tts.CloudAccount{ID: r.ID, AccountID: r.AccountID, Provider: r.Provider, Alias: r.Alias, Region: r.Region,
		AccessKeyID: r.AccessKeyID, ProjectID: r.ProjectID, CheckedAt: normPtr(r.CheckedAt),
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
	if r.Services != "" {
		a.Services = strings.Split(r.Services, ",")
	}
	var err error
	if a.Sealed, err = base64.StdEncoding.DecodeString(r.Secret); err != nil {
		return a, fmt.Errorf("store: cloud account %d: secret is not base64: %w", r.ID, err)
	}
	if r.Checks != "" {
		if err := json.Unmarshal([]byte(r.Checks), &a.Checks); err != nil {
			return a, fmt.Errorf("store: cloud account %d: checks: %w", r.ID, err)
		}
	}
	return a, nil
}

func cloudRow(a tts.CloudAccount) (cloudAccountRow, error) {
	r := cloudAccountRow{ID: a.ID, AccountID: a.AccountID, Provider: a.Provider, Alias: a.Alias, Services: strings.Join(a.Services, ","),
		Region: a.Region, AccessKeyID: a.AccessKeyID, ProjectID: a.ProjectID, Secret: base64.StdEncoding.EncodeToString(a.Sealed),
		CheckedAt: normPtr(a.CheckedAt)}
	if a.AccountID <= 0 || a.Provider == "" || a.Alias == "" || len(a.Sealed) == 0 {
		return r, ErrInvalid.New("", "cloud account: account, provider, alias and sealed secret are required")
	}
	if len(a.Checks) > 0 {
		b, err := json.Marshal(a.Checks)
		if err != nil {
			return r, err
		}
		r.Checks = string(b)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"cloud provider", r.Provider, 16}, {"cloud alias", r.Alias, 32}, {"cloud services", r.Services, 256}, {"cloud region", r.Region, 32},
		{"cloud access key ID", r.AccessKeyID, 128}, {"cloud project ID", r.ProjectID, 64}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return r, err
		}
	}
	return r, nil
}

// CloudAccounts lists the account's cloud accounts by alias.
func (s *Store) CloudAccounts(ctx context.Context, accountID int64) (out []tts.CloudAccount, err error) {
	defer s.track("CloudAccounts", time.Now(), &err)
	var rows []cloudAccountRow
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("alias").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: cloud accounts: %w", err)
	}
	out = make([]tts.CloudAccount, 0, len(rows))
	for _, r := range rows {
		a, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (s *Store) cloudAccountWhere(ctx context.Context, what string, q string, args ...any) (tts.CloudAccount, error) {
	var rows []cloudAccountRow
	if err := s.r.WithContext(ctx).Where(q, args...).Limit(1).Find(&rows).Error; err != nil {
		return tts.CloudAccount{}, fmt.Errorf("store: cloud account: %w", err)
	}
	if len(rows) == 0 {
		return tts.CloudAccount{}, tts.ErrNotFound.New("", "no cloud account %s", what)
	}
	return rows[0].domain()
}

// CloudAccount returns one of the account's cloud accounts (another
// account's is not found).
func (s *Store) CloudAccount(ctx context.Context, accountID, id int64) (a tts.CloudAccount, err error) {
	defer s.track("CloudAccount", time.Now(), &err)
	return s.cloudAccountWhere(ctx, fmt.Sprintf("%d", id), "account_id = ? AND id = ?", accountID, id)
}

// CloudAccountByAlias returns the account's cloud account with the alias.
func (s *Store) CloudAccountByAlias(ctx context.Context, accountID int64, alias string) (a tts.CloudAccount, err error) {
	defer s.track("CloudAccountByAlias", time.Now(), &err)
	return s.cloudAccountWhere(ctx, fmt.Sprintf("with alias %q", alias), "account_id = ? AND alias = ?", accountID, alias)
}

// CreateCloudAccount saves a new cloud account; its alias is unique in
// the account.
func (s *Store) CreateCloudAccount(ctx context.Context, a tts.CloudAccount) (_ tts.CloudAccount, err error) {
	defer s.track("CreateCloudAccount", time.Now(), &err)
	r, err := cloudRow(a)
	if err != nil {
		return tts.CloudAccount{}, err
	}
	r.ID = 0
	r.CreatedAt = now()
	r.UpdatedAt = r.CreatedAt
	if err := s.w.WithContext(ctx).Create(&r).Error; err != nil {
		if isDuplicate(err) {
			return tts.CloudAccount{}, tts.ErrConflict.New("alias", "the alias %q is already used by another cloud account", a.Alias)
		}
		return tts.CloudAccount{}, fmt.Errorf("store: create cloud account: %w", err)
	}
	return r.domain()
}

// UpdateCloudAccount saves a changed cloud account.
func (s *Store) UpdateCloudAccount(ctx context.Context, a tts.CloudAccount) (_ tts.CloudAccount, err error) {
	defer s.track("UpdateCloudAccount", time.Now(), &err)
	r, err := cloudRow(a)
	if err != nil {
		return tts.CloudAccount{}, err
	}
	r.UpdatedAt = now()
	res := s.w.WithContext(ctx).Model(&cloudAccountRow{}).Where("account_id = ? AND id = ?", a.AccountID, a.ID).
		Updates(map[string]any{"provider": r.Provider, "alias": r.Alias, "services": r.Services, "region": r.Region,
			"access_key_id": r.AccessKeyID, "project_id": r.ProjectID, "secret": r.Secret, "checks": r.Checks,
			"checked_at": r.CheckedAt, "updated_at": r.UpdatedAt})
	if res.Error != nil {
		if isDuplicate(res.Error) {
			return tts.CloudAccount{}, tts.ErrConflict.New("alias", "the alias %q is already used by another cloud account", a.Alias)
		}
		return tts.CloudAccount{}, fmt.Errorf("store: update cloud account: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return tts.CloudAccount{}, tts.ErrNotFound.New("", "no cloud account %d", a.ID)
	}
	return s.cloudAccountWhere(ctx, fmt.Sprintf("%d", a.ID), "account_id = ? AND id = ?", a.AccountID, a.ID)
}

// DeleteCloudAccount removes one of the account's cloud accounts.
func (s *Store) DeleteCloudAccount(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteCloudAccount", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&cloudAccountRow{})
	if res.Error != nil {
		return fmt.Errorf("store: delete cloud account: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return tts.ErrNotFound.New("", "no cloud account %d", id)
	}
	return nil
}

var _ tts.Store = (*Store)(nil)
