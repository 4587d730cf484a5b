package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Flow is a flow's editable draft; published versions are immutable
// snapshots (FlowVersion). The store does not interpret the documents:
// package flows validates them before they get here.
type Flow struct {
	ID               int64           `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID        int64           `gorm:"column:account_id" json:"account_id"`
	Name             string          `gorm:"column:name" json:"name"`
	Type             string          `gorm:"column:type" json:"type"`
	Draft            json.RawMessage `gorm:"column:draft;type:text;serializer:json" json:"draft"`
	PublishedVersion int             `gorm:"column:published_version" json:"published_version"` // 0 = never published
	// Transactional: every version published from now on needs the
	// operator's approval before it goes live (see ApproveFlowVersion).
	Transactional bool      `gorm:"column:transactional" json:"transactional"`
	CreatedAt     time.Time `gorm:"column:created_at" json:"created_at"`
	UpdatedAt     time.Time `gorm:"column:updated_at" json:"updated_at"`
}

func (Flow) TableName() string { return "flows" }

// FlowVersion is one published version of a flow. A call runs the version
// it started with: versions are never changed or renumbered.
type FlowVersion struct {
	FlowID      int64           `gorm:"column:flow_id;primaryKey" json:"flow_id"`
	Version     int             `gorm:"column:version;primaryKey" json:"version"`
	AccountID   int64           `gorm:"column:account_id" json:"account_id"`
	Definition  json.RawMessage `gorm:"column:definition;type:text;serializer:json" json:"definition"`
	PublishedAt time.Time       `gorm:"column:published_at" json:"published_at"`
	// Approval is the operator's decision on a version of a transactional
	// flow: ApprovalPending, ApprovalApproved, ApprovalRejected or
	// ApprovalSuperseded; "" for a version that needed none (it went live
	// when published).
	Approval       string     `gorm:"column:approval" json:"approval"`
	SubmittedBy    string     `gorm:"column:submitted_by" json:"submitted_by"`
	DecidedBy      string     `gorm:"column:decided_by" json:"decided_by,omitempty"`
	DecidedAt      *time.Time `gorm:"column:decided_at" json:"decided_at,omitempty"`
	DecisionReason string     `gorm:"column:decision_reason" json:"decision_reason,omitempty"`
}

func (FlowVersion) TableName() string { return "flow_versions" }

// Webhook is an account's configured webhook (Advanced → Webhook in the
// console); Config is the flows/webhooks.Config JSON.
type Webhook struct {
	ID        int64           `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID int64           `gorm:"column:account_id" json:"account_id"`
	Name      string          `gorm:"column:name" json:"name"`
	Config    json.RawMessage `gorm:"column:config;type:text;serializer:json" json:"config"`
	CreatedAt time.Time       `gorm:"column:created_at" json:"created_at"`
	UpdatedAt time.Time       `gorm:"column:updated_at" json:"updated_at"`
}

func (Webhook) TableName() string { return "webhooks" }

// UserVariable is an account-wide $user.key.<name> value (latest wins).
type UserVariable struct {
	AccountID int64     `gorm:"column:account_id;primaryKey" json:"-"`
	Name      string    `gorm:"column:name;primaryKey" json:"name"`
	Value     string    `gorm:"column:value" json:"value"`
	UpdatedAt time.Time `gorm:"column:updated_at" json:"updated_at"`
}

func (UserVariable) TableName() string { return "user_variables" }

// DIDRoute maps a dialled number to the account's inbound flow. A DID
// belongs to one account.
type DIDRoute struct {
	DID       string    `gorm:"column:did;primaryKey" json:"did"`
	AccountID int64     `gorm:"column:account_id" json:"account_id"`
	FlowID    int64     `gorm:"column:flow_id" json:"flow_id"`
	CreatedAt time.Time `gorm:"column:created_at" json:"created_at"`
}

func (DIDRoute) TableName() string { return "did_routes" }

// HTTPPolicy is an account's outbound HTTP policy for webhooks: plain
// http:// allowed, and which loopback/private/link-local networks may be
// called (webhooks are HTTPS only unless support enables HTTP).
//
// Widening is the operator's: GrantHTTP/GrantCIDRs are what the operator
// granted (switchyard account http-policy); AllowHTTP/AllowCIDRs are the
// account's own choice, always within the grant (SetHTTPPolicy refuses
// more). GetHTTPPolicy returns the effective policy: the choice cut to
// the grant.
type HTTPPolicy struct {
	AccountID  int64     `gorm:"column:account_id;primaryKey" json:"-"`
	AllowHTTP  bool      `gorm:"column:allow_http" json:"allow_http"`
	AllowCIDRs string    `gorm:"column:allow_cidrs" json:"-"`
	GrantHTTP  bool      `gorm:"column:grant_http" json:"grant_http"`
	GrantCIDRs string    `gorm:"column:grant_cidrs" json:"-"`
	UpdatedAt  time.Time `gorm:"column:updated_at" json:"updated_at"`
}

// GrantNetworks parses GrantCIDRs.
func (p HTTPPolicy) GrantNetworks() []netip.Prefix { return parsePrefixes(p.GrantCIDRs) }

// granted reports whether pr lies within one granted network.
func (p HTTPPolicy) granted(pr netip.Prefix) bool {
	for _, g := range p.GrantNetworks() {
		if g.Bits() <= pr.Bits() && g.Contains(pr.Addr()) {
			return true
		}
	}
	return false
}

// effective cuts the account's choice to the grant.
func (p HTTPPolicy) effective() HTTPPolicy {
	p.AllowHTTP = p.AllowHTTP && p.GrantHTTP
	var keep []string
	for _, pr := range p.Networks() {
		if p.granted(pr) {
			keep = append(keep, pr.String())
		}
	}
	p.AllowCIDRs = strings.Join(keep, " ")
	return p
}

func parsePrefixes(s string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Fields(s) {
		if pr, err := netip.ParsePrefix(f); err == nil {
			out = append(out, pr)
		}
	}
	return out
}

func (HTTPPolicy) TableName() string { return "account_http_policies" }

// Networks parses AllowCIDRs.
func (p HTTPPolicy) Networks() []netip.Prefix { return parsePrefixes(p.AllowCIDRs) }

const maxFlowDocument = 1 << 20

func validDoc(what string, doc json.RawMessage) error {
	if len(doc) == 0 || !json.Valid(doc) {
		return fmt.Errorf("store: %s is not valid JSON: %w", what, ErrInvalid)
	}
	if len(doc) > maxFlowDocument {
		return fmt.Errorf("store: %s is %d bytes, the limit is %d: %w", what, len(doc), maxFlowDocument, ErrInvalid)
	}
	return nil
}

// NewFlow is the input of CreateFlow and UpdateFlow.
type NewFlow struct {
	Name  string
	Type  string
	Draft json.RawMessage
}

func (in *NewFlow) check() error {
	name, err := validName("flow", in.Name, true)
	if err != nil {
		return err
	}
	in.Name = name
	if in.Type == "" || len(in.Type) > 32 {
		return fmt.Errorf("store: flow type %q: %w", in.Type, ErrInvalid)
	}
	return validDoc("flow draft", in.Draft)
}

// CreateFlow stores a new flow draft.
func (s *Store) CreateFlow(ctx context.Context, accountID int64, in NewFlow) (f Flow, err error) {
	defer s.track("CreateFlow", time.Now(), &err)
	if err := in.check(); err != nil {
		return Flow{}, err
	}
	t := now()
	f = Flow{AccountID: accountID, Name: in.Name, Type: in.Type, Draft: in.Draft, CreatedAt: t, UpdatedAt: t}
	if err := s.w.WithContext(ctx).Create(&f).Error; err != nil {
		if isFKViolation(err) {
			return Flow{}, fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		}
		return Flow{}, fmt.Errorf("store: create flow: %w", err)
	}
	return f, nil
}

// GetFlow returns a flow of the account.
func (s *Store) GetFlow(ctx context.Context, accountID, id int64) (f Flow, err error) {
	defer s.track("GetFlow", time.Now(), &err)
	return s.getFlow(ctx, s.r, accountID, id)
}

func (s *Store) getFlow(ctx context.Context, db *gorm.DB, accountID, id int64) (Flow, error) {
	var f Flow
	if err := db.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&f).Error; err != nil {
		if isNotFound(err) {
			return Flow{}, fmt.Errorf("store: flow %d: %w", id, ErrNotFound)
		}
		return Flow{}, fmt.Errorf("store: get flow %d: %w", id, err)
	}
	return f, nil
}

// ListFlows returns the account's flows by id.
func (s *Store) ListFlows(ctx context.Context, accountID int64) (fs []Flow, err error) {
	defer s.track("ListFlows", time.Now(), &err)
	fs = []Flow{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("id").Find(&fs).Error; err != nil {
		return nil, fmt.Errorf("store: list flows: %w", err)
	}
	return fs, nil
}

// UpdateFlow replaces a flow's name, type and draft (published versions
// are untouched).
func (s *Store) UpdateFlow(ctx context.Context, accountID, id int64, in NewFlow) (f Flow, err error) {
	defer s.track("UpdateFlow", time.Now(), &err)
	defer s.flows.invalidate()
	if err := in.check(); err != nil {
		return Flow{}, err
	}
	var draft bytes.Buffer
	if err := json.Compact(&draft, in.Draft); err != nil {
		return Flow{}, fmt.Errorf("store: flow draft: %v: %w", err, ErrInvalid)
	}
	res := s.w.WithContext(ctx).Model(&Flow{}).Where("account_id = ? AND id = ?", accountID, id).
		Updates(map[string]any{"name": in.Name, "type": in.Type, "draft": draft.String(), "updated_at": now()})
	if res.Error != nil {
		return Flow{}, fmt.Errorf("store: update flow %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return Flow{}, fmt.Errorf("store: flow %d: %w", id, ErrNotFound)
	}
	return s.getFlow(ctx, s.w, accountID, id)
}

// DeleteFlow deletes a flow, its versions and its DID routes. Calls
// already running keep their in-memory version.
func (s *Store) DeleteFlow(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteFlow", time.Now(), &err)
	defer s.flows.invalidate()
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Children explicitly: SQLite connections may run without
		// foreign_keys enforcement.
		if err := tx.Where("account_id = ? AND flow_id = ?", accountID, id).Delete(&DIDRoute{}).Error; err != nil {
			return fmt.Errorf("store: delete flow %d routes: %w", id, err)
		}
		defer s.exempt.invalidate()
		if err := tx.Where("account_id = ? AND flow_id = ?", accountID, id).Delete(&FlowVersion{}).Error; err != nil {
			return fmt.Errorf("store: delete flow %d versions: %w", id, err)
		}
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&Flow{})
		if res.Error != nil {
			return fmt.Errorf("store: delete flow %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: flow %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// PublishFlow snapshots the current draft as the next version and makes
// it the published one (PublishFlowAs with no submitter).
func (s *Store) PublishFlow(ctx context.Context, accountID, id int64) (FlowVersion, error) {
	return s.PublishFlowAs(ctx, accountID, id, "")
}

// PublishFlowAs snapshots the current draft as the next version. A flow
// that is not transactional goes live with it at once (published_version
// moves). A transactional flow's version is submitted for the operator's
// approval instead (ApprovalPending): the live version stays the last
// approved one until ApproveFlowVersion, and an older version still
// waiting is superseded (the operator decides on the newest only). by
// names who published (for the operator's list).
func (s *Store) PublishFlowAs(ctx context.Context, accountID, id int64, by string) (v FlowVersion, err error) {
	defer s.track("PublishFlow", time.Now(), &err)
	defer s.flows.invalidate()
	defer s.exempt.invalidate()
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var f Flow
		q := tx.Where("account_id = ? AND id = ?", accountID, id)
		if s.driver == DriverPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&f).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: flow %d: %w", id, ErrNotFound)
			}
			return fmt.Errorf("store: publish flow %d: %w", id, err)
		}
		var last int
		if err := tx.Model(&FlowVersion{}).Where("flow_id = ?", id).Select("COALESCE(MAX(version), 0)").Scan(&last).Error; err != nil {
			return fmt.Errorf("store: publish flow %d: %w", id, err)
		}
		v = FlowVersion{FlowID: id, Version: last + 1, AccountID: accountID, Definition: f.Draft, PublishedAt: now(), SubmittedBy: limitLen(by, 254)}
		if f.Transactional {
			v.Approval = ApprovalPending
			if err := tx.Model(&FlowVersion{}).Where("flow_id = ? AND approval = ?", id, ApprovalPending).
				Update("approval", ApprovalSuperseded).Error; err != nil {
				return fmt.Errorf("store: publish flow %d: supersede: %w", id, err)
			}
		}
		if err := tx.Create(&v).Error; err != nil {
			if isDuplicate(err) {
				return fmt.Errorf("store: flow %d was published concurrently: %w", id, ErrConflict)
			}
			return fmt.Errorf("store: publish flow %d: %w", id, err)
		}
		set := map[string]any{"updated_at": v.PublishedAt}
		if !f.Transactional {
			set["published_version"] = v.Version
		}
		return tx.Model(&Flow{}).Where("id = ?", id).Updates(set).Error
	})
	if err != nil {
		return FlowVersion{}, err
	}
	return v, nil
}

// GetFlowVersion returns one published version (0 = the current one).
func (s *Store) GetFlowVersion(ctx context.Context, accountID, flowID int64, version int) (v FlowVersion, err error) {
	defer s.track("GetFlowVersion", time.Now(), &err)
	if version == 0 {
		f, err := s.getFlow(ctx, s.r, accountID, flowID)
		if err != nil {
			return FlowVersion{}, err
		}
		if f.PublishedVersion == 0 {
			return FlowVersion{}, fmt.Errorf("store: flow %d has no published version: %w", flowID, ErrNotFound)
		}
		version = f.PublishedVersion
	}
	if err := s.r.WithContext(ctx).Where("account_id = ? AND flow_id = ? AND version = ?", accountID, flowID, version).Take(&v).Error; err != nil {
		if isNotFound(err) {
			return FlowVersion{}, fmt.Errorf("store: flow %d version %d: %w", flowID, version, ErrNotFound)
		}
		return FlowVersion{}, fmt.Errorf("store: get flow %d version %d: %w", flowID, version, err)
	}
	return v, nil
}

// ListFlowVersions lists a flow's published versions (oldest first).
func (s *Store) ListFlowVersions(ctx context.Context, accountID, flowID int64) (vs []FlowVersion, err error) {
	defer s.track("ListFlowVersions", time.Now(), &err)
	vs = []FlowVersion{}
	if err := s.r.WithContext(ctx).Where("account_id = ? AND flow_id = ?", accountID, flowID).Order("version").Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("store: list flow %d versions: %w", flowID, err)
	}
	return vs, nil
}

// --- webhooks -----------------------------------------------------------

func validKey(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 64 || strings.IndexFunc(name, func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '.')
	}) >= 0 {
		return "", ErrInvalid.New("", "%s name %q must be 1-64 letters, digits, '_', '-' or '.'", what, name)
	}
	return name, nil
}

// PutWebhook creates or replaces the account's webhook of that name.
func (s *Store) PutWebhook(ctx context.Context, accountID int64, name string, config json.RawMessage) (w Webhook, err error) {
	defer s.track("PutWebhook", time.Now(), &err)
	defer s.webhooks.invalidate()
	if name, err = validKey("webhook", name); err != nil {
		return Webhook{}, err
	}
	if err := validDoc("webhook config", config); err != nil {
		return Webhook{}, err
	}
	t := now()
	w = Webhook{AccountID: accountID, Name: name, Config: config, CreatedAt: t, UpdatedAt: t}
	err = s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"config", "updated_at"}),
	}).Create(&w).Error
	if err != nil {
		if isFKViolation(err) {
			return Webhook{}, fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		}
		return Webhook{}, fmt.Errorf("store: put webhook %q: %w", name, err)
	}
	return s.getWebhook(ctx, s.w, accountID, name)
}

// GetWebhook returns the account's webhook of that name.
func (s *Store) GetWebhook(ctx context.Context, accountID int64, name string) (w Webhook, err error) {
	defer s.track("GetWebhook", time.Now(), &err)
	return s.getWebhook(ctx, s.r, accountID, name)
}

func (s *Store) getWebhook(ctx context.Context, db *gorm.DB, accountID int64, name string) (Webhook, error) {
	var w Webhook
	if err := db.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name).Take(&w).Error; err != nil {
		if isNotFound(err) {
			return Webhook{}, fmt.Errorf("store: webhook %q: %w", name, ErrNotFound)
		}
		return Webhook{}, fmt.Errorf("store: get webhook %q: %w", name, err)
	}
	return w, nil
}

// ListWebhooks returns the account's webhooks by name.
func (s *Store) ListWebhooks(ctx context.Context, accountID int64) (ws []Webhook, err error) {
	defer s.track("ListWebhooks", time.Now(), &err)
	ws = []Webhook{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("name").Find(&ws).Error; err != nil {
		return nil, fmt.Errorf("store: list webhooks: %w", err)
	}
	return ws, nil
}

// DeleteWebhook deletes the account's webhook of that name.
func (s *Store) DeleteWebhook(ctx context.Context, accountID int64, name string) (err error) {
	defer s.track("DeleteWebhook", time.Now(), &err)
	defer s.webhooks.invalidate()
	res := s.w.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name).Delete(&Webhook{})
	if res.Error != nil {
		return fmt.Errorf("store: delete webhook %q: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: webhook %q: %w", name, ErrNotFound)
	}
	return nil
}

// --- user variables -------------------------------------------------------

const maxUserVarValue = 64 << 10

// SetUserVar stores $user.key.<name> for the account (latest wins).
func (s *Store) SetUserVar(ctx context.Context, accountID int64, name, value string) (err error) {
	defer s.track("SetUserVar", time.Now(), &err)
	if name, err = validKey("user variable", name); err != nil {
		return err
	}
	if strings.Contains(name, ".") {
		return fmt.Errorf("store: user variable name %q may not contain '.': %w", name, ErrInvalid)
	}
	if len(value) > maxUserVarValue {
		return fmt.Errorf("store: user variable %q value is %d bytes, the limit is %d: %w", name, len(value), maxUserVarValue, ErrInvalid)
	}
	v := UserVariable{AccountID: accountID, Name: name, Value: value, UpdatedAt: now()}
	err = s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
	}).Create(&v).Error
	if err != nil {
		if isFKViolation(err) {
			return fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		}
		return fmt.Errorf("store: set user variable %q: %w", name, err)
	}
	return nil
}

// GetUserVar returns $user.key.<name>; ok is false when it is not set.
func (s *Store) GetUserVar(ctx context.Context, accountID int64, name string) (value string, ok bool, err error) {
	defer s.track("GetUserVar", time.Now(), &err)
	var v UserVariable
	if err := s.r.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name).Take(&v).Error; err != nil {
		if isNotFound(err) {
			return "", false, nil
		}
		return "", false, fmt.Errorf("store: get user variable %q: %w", name, err)
	}
	return v.Value, true, nil
}

// ListUserVars returns the account's user variables by name.
func (s *Store) ListUserVars(ctx context.Context, accountID int64) (vs []UserVariable, err error) {
	defer s.track("ListUserVars", time.Now(), &err)
	vs = []UserVariable{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("name").Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("store: list user variables: %w", err)
	}
	return vs, nil
}

// DeleteUserVar removes $user.key.<name>.
func (s *Store) DeleteUserVar(ctx context.Context, accountID int64, name string) (err error) {
	defer s.track("DeleteUserVar", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name).Delete(&UserVariable{})
	if res.Error != nil {
		return fmt.Errorf("store: delete user variable %q: %w", name, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: user variable %q: %w", name, ErrNotFound)
	}
	return nil
}

// --- DID routes -------------------------------------------------------------

func validDID(did string) (string, error) {
	did = strings.TrimSpace(did)
	d := strings.TrimPrefix(did, "+")
	if d == "" || len(did) > 32 || strings.IndexFunc(d, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return "", fmt.Errorf("store: DID %q must be digits with an optional leading +: %w", did, ErrInvalid)
	}
	return did, nil
}

// SetDIDRoute maps a DID to one of the account's flows. A DID another
// account owns is a conflict.
func (s *Store) SetDIDRoute(ctx context.Context, accountID int64, did string, flowID int64) (r DIDRoute, err error) {
	defer s.track("SetDIDRoute", time.Now(), &err)
	if did, err = validDID(did); err != nil {
		return DIDRoute{}, err
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := s.getFlow(ctx, tx, accountID, flowID); err != nil {
			return err
		}
		var cur DIDRoute
		err := tx.Where("did = ?", did).Take(&cur).Error
		switch {
		case err == nil && cur.AccountID != accountID:
			return fmt.Errorf("store: DID %s belongs to another account: %w", did, ErrConflict)
		case err == nil:
			cur.FlowID = flowID
			if err := tx.Model(&DIDRoute{}).Where("did = ?", did).Update("flow_id", flowID).Error; err != nil {
				return fmt.Errorf("store: set DID %s: %w", did, err)
			}
			r = cur
			return nil
		case !isNotFound(err):
			return fmt.Errorf("store: set DID %s: %w", did, err)
		}
		r = DIDRoute{DID: did, AccountID: accountID, FlowID: flowID, CreatedAt: now()}
		if err := tx.Create(&r).Error; err != nil {
			if isDuplicate(err) {
				return fmt.Errorf("store: DID %s was mapped concurrently: %w", did, ErrConflict)
			}
			return fmt.Errorf("store: set DID %s: %w", did, err)
		}
		return nil
	})
	if err != nil {
		return DIDRoute{}, err
	}
	return r, nil
}

// GetDIDRoute finds the route of a DID (any account: inbound routing).
func (s *Store) GetDIDRoute(ctx context.Context, did string) (r DIDRoute, err error) {
	defer s.track("GetDIDRoute", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("did = ?", strings.TrimSpace(did)).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return DIDRoute{}, fmt.Errorf("store: DID %s: %w", did, ErrNotFound)
		}
		return DIDRoute{}, fmt.Errorf("store: get DID %s: %w", did, err)
	}
	return r, nil
}

// ListDIDRoutes lists the account's DIDs.
func (s *Store) ListDIDRoutes(ctx context.Context, accountID int64) (rs []DIDRoute, err error) {
	defer s.track("ListDIDRoutes", time.Now(), &err)
	rs = []DIDRoute{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("did").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: list DIDs: %w", err)
	}
	return rs, nil
}

// DeleteDIDRoute unmaps one of the account's DIDs.
func (s *Store) DeleteDIDRoute(ctx context.Context, accountID int64, did string) (err error) {
	defer s.track("DeleteDIDRoute", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND did = ?", accountID, strings.TrimSpace(did)).Delete(&DIDRoute{})
	if res.Error != nil {
		return fmt.Errorf("store: delete DID %s: %w", did, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: DID %s: %w", did, ErrNotFound)
	}
	return nil
}

// --- HTTP policy ----------------------------------------------------------------

// GetHTTPPolicy returns the account's effective webhook HTTP policy: its
// choice cut to the operator's grant (the default, HTTPS only and no
// private targets, when none is stored).
func (s *Store) GetHTTPPolicy(ctx context.Context, accountID int64) (p HTTPPolicy, err error) {
	defer s.track("GetHTTPPolicy", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Take(&p).Error; err != nil {
		if isNotFound(err) {
			return HTTPPolicy{AccountID: accountID}, nil
		}
		return HTTPPolicy{}, fmt.Errorf("store: get HTTP policy: %w", err)
	}
	return p.effective(), nil
}

func normPrefixes(cidrs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, c := range cidrs {
		pr, err := netip.ParsePrefix(strings.TrimSpace(c))
		if err != nil {
			return nil, ErrInvalid.New("allow_networks", "%q is not a network (CIDR)", clip(c))
		}
		out = append(out, pr.Masked())
	}
	return out, nil
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// SetHTTPPolicy stores the account's own webhook HTTP policy (the tenant
// API): plain http:// and cidrs, networks (e.g. 10.1.0.0/16) webhooks may
// reach although loopback, private or link-local. It may only narrow: a
// choice beyond the operator's grant (http:// not granted, a network not
// inside a granted one) fails with ErrNotGranted.
func (s *Store) SetHTTPPolicy(ctx context.Context, accountID int64, allowHTTP bool, cidrs []string) (p HTTPPolicy, err error) {
	defer s.track("SetHTTPPolicy", time.Now(), &err)
	nets, err := normPrefixes(cidrs)
	if err != nil {
		return HTTPPolicy{}, err
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur HTTPPolicy
		if err := tx.Where("account_id = ?", accountID).Take(&cur).Error; err != nil {
			if !isNotFound(err) {
				return fmt.Errorf("store: set HTTP policy: %w", err)
			}
			cur = HTTPPolicy{AccountID: accountID}
		}
		if allowHTTP && !cur.GrantHTTP {
			return ErrNotGranted.New("allow_http", "plain http:// webhooks is beyond what the operator granted this account")
		}
		for _, n := range nets {
			if !cur.granted(n) {
				return ErrNotGranted.New("allow_networks", "network %s is beyond what the operator granted this account", n)
			}
		}
		p = HTTPPolicy{AccountID: accountID, AllowHTTP: allowHTTP, AllowCIDRs: joinPrefixes(nets),
			GrantHTTP: cur.GrantHTTP, GrantCIDRs: cur.GrantCIDRs, UpdatedAt: now()}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "account_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"allow_http", "allow_cidrs", "updated_at"}),
		}).Create(&p).Error
	})
	if err != nil {
		if isFKViolation(err) {
			return HTTPPolicy{}, fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		}
		if errors.Is(err, ErrNotGranted) || errors.Is(err, ErrInvalid) {
			return HTTPPolicy{}, err
		}
		return HTTPPolicy{}, fmt.Errorf("store: set HTTP policy: %w", err)
	}
	return p, nil
}

// GrantHTTPPolicy is the operator's setting (switchyard account
// http-policy): what the account may reach beyond the default (plain
// http://, loopback/private/link-local networks). The account's policy is
// set to the whole grant; the account may then narrow it.
func (s *Store) GrantHTTPPolicy(ctx context.Context, accountID int64, allowHTTP bool, cidrs []string) (p HTTPPolicy, err error) {
	defer s.track("GrantHTTPPolicy", time.Now(), &err)
	nets, err := normPrefixes(cidrs)
	if err != nil {
		return HTTPPolicy{}, err
	}
	j := joinPrefixes(nets)
	p = HTTPPolicy{AccountID: accountID, AllowHTTP: allowHTTP, AllowCIDRs: j, GrantHTTP: allowHTTP, GrantCIDRs: j, UpdatedAt: now()}
	err = s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"allow_http", "allow_cidrs", "grant_http", "grant_cidrs", "updated_at"}),
	}).Create(&p).Error
	if err != nil {
		if isFKViolation(err) {
			return HTTPPolicy{}, fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		}
		return HTTPPolicy{}, fmt.Errorf("store: grant HTTP policy: %w", err)
	}
	return p, nil
}

// loadPublishedFlowVersion reads the current published version of a flow of
// any account (inbound routing and FastAGI entries, which know only the
// flow id).
func (s *Store) loadPublishedFlowVersion(ctx context.Context, flowID int64) (v FlowVersion, err error) {
	var f Flow
	if err := s.r.WithContext(ctx).Where("id = ?", flowID).Take(&f).Error; err != nil {
		if isNotFound(err) {
			return FlowVersion{}, fmt.Errorf("store: flow %d: %w", flowID, ErrNotFound)
		}
		return FlowVersion{}, fmt.Errorf("store: get flow %d: %w", flowID, err)
	}
	if f.PublishedVersion == 0 {
		return FlowVersion{}, fmt.Errorf("store: flow %d has no published version: %w", flowID, ErrNotFound)
	}
	if err := s.r.WithContext(ctx).Where("flow_id = ? AND version = ?", flowID, f.PublishedVersion).Take(&v).Error; err != nil {
		if isNotFound(err) {
			return FlowVersion{}, fmt.Errorf("store: flow %d version %d: %w", flowID, f.PublishedVersion, ErrNotFound)
		}
		return FlowVersion{}, fmt.Errorf("store: get flow %d version %d: %w", flowID, f.PublishedVersion, err)
	}
	return v, nil
}
