package store

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// EmailReport is a flow's daily email report (the "Email Report"):
// at 00:05 in the account's time zone the CSV of the previous local day's
// calls of the flow goes to To, CC and BCC.
type EmailReport struct {
	ID        int64  `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID int64  `gorm:"column:account_id" json:"account_id"`
	FlowID    int64  `gorm:"column:flow_id" json:"flow_id"`
	To        string `gorm:"column:to_addrs" json:"to"`
	CC        string `gorm:"column:cc_addrs" json:"cc"`
	BCC       string `gorm:"column:bcc_addrs" json:"bcc"`
	// LastDay is the last local day (YYYY-MM-DD) whose report was sent.
	LastDay   string    `gorm:"column:last_day" json:"last_day,omitempty"`
	CreatedAt time.Time `gorm:"column:created_at" json:"created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at" json:"updated_at"`
}

func (EmailReport) TableName() string { return "email_reports" }

// maxReportRecipients caps each of To, CC and BCC.
const maxReportRecipients = 20

// ParseAddressList validates a comma-separated list of plain addresses
// (user@domain, several allowed) and returns it normalised (", "-joined,
// duplicates removed). field names the list in errors.
func ParseAddressList(field, v string, required bool) (string, []string, error) {
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(v, ",") {
		p := strings.TrimSpace(part)
		if p == "" {
			continue
		}
		a, err := mail.ParseAddress(p)
		if err != nil || a.Name != "" || a.Address != p || !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".") {
			return "", nil, ErrInvalid.New(field, "%q is not an email address (user@example.com)", p)
		}
		k := strings.ToLower(p)
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	if required && len(out) == 0 {
		return "", nil, ErrInvalid.New(field, "at least one email address is required")
	}
	if len(out) > maxReportRecipients {
		return "", nil, ErrInvalid.New(field, "%d addresses, at most %d", len(out), maxReportRecipients)
	}
	return strings.Join(out, ", "), out, nil
}

// PutEmailReport creates or replaces the email report of a flow of the
// account. To is required; the lists are comma-separated addresses.
func (s *Store) PutEmailReport(ctx context.Context, in EmailReport) (out EmailReport, err error) {
	defer s.track("PutEmailReport", time.Now(), &err)
	if in.To, _, err = ParseAddressList("to", in.To, true); err != nil {
		return EmailReport{}, err
	}
	if in.CC, _, err = ParseAddressList("cc", in.CC, false); err != nil {
		return EmailReport{}, err
	}
	if in.BCC, _, err = ParseAddressList("bcc", in.BCC, false); err != nil {
		return EmailReport{}, err
	}
	f, err := s.GetFlow(ctx, in.AccountID, in.FlowID)
	if err != nil {
		return EmailReport{}, err
	}
	t := now()
	loc := time.UTC
	if a, err := s.GetAccount(ctx, in.AccountID); err == nil {
		loc = LoadLocation(a.Timezone)
	}
	// The first report covers the day the schedule was made.
	in.ID, in.FlowID, in.CreatedAt, in.UpdatedAt = 0, f.ID, t, t
	in.LastDay = t.In(loc).AddDate(0, 0, -1).Format(time.DateOnly)
	err = s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}, {Name: "flow_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"to_addrs", "cc_addrs", "bcc_addrs", "updated_at"}),
	}).Create(&in).Error
	if err != nil {
		return EmailReport{}, fmt.Errorf("store: put email report of flow %d: %w", in.FlowID, err)
	}
	return s.GetEmailReport(ctx, in.AccountID, in.FlowID)
}

// GetEmailReport returns the email report of a flow of the account.
func (s *Store) GetEmailReport(ctx context.Context, accountID, flowID int64) (r EmailReport, err error) {
	defer s.track("GetEmailReport", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND flow_id = ?", accountID, flowID).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return EmailReport{}, fmt.Errorf("store: email report of flow %d: %w", flowID, ErrNotFound)
		}
		return EmailReport{}, fmt.Errorf("store: get email report of flow %d: %w", flowID, err)
	}
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, nil
}

// ListEmailReports lists the account's email reports (accountID 0: every
// account's, for the scheduler).
func (s *Store) ListEmailReports(ctx context.Context, accountID int64) (rs []EmailReport, err error) {
	defer s.track("ListEmailReports", time.Now(), &err)
	q := s.r.WithContext(ctx)
	if accountID != 0 {
		q = q.Where("account_id = ?", accountID)
	}
	rs = []EmailReport{}
	if err := q.Order("account_id, flow_id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: list email reports: %w", err)
	}
	for i := range rs {
		rs[i].CreatedAt, rs[i].UpdatedAt = rs[i].CreatedAt.UTC(), rs[i].UpdatedAt.UTC()
	}
	return rs, nil
}

// DeleteEmailReport removes the email report of a flow of the account.
func (s *Store) DeleteEmailReport(ctx context.Context, accountID, flowID int64) (err error) {
	defer s.track("DeleteEmailReport", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND flow_id = ?", accountID, flowID).Delete(&EmailReport{})
	if res.Error != nil {
		return fmt.Errorf("store: delete email report of flow %d: %w", flowID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: email report of flow %d: %w", flowID, ErrNotFound)
	}
	return nil
}

// MarkEmailReportSent moves a report's LastDay from prev to day; false if
// another sender already did (so each day goes out once, also with several
// nodes).
func (s *Store) MarkEmailReportSent(ctx context.Context, id int64, prev, day string) (ok bool, err error) {
	defer s.track("MarkEmailReportSent", time.Now(), &err)
	res := s.w.WithContext(ctx).Model(&EmailReport{}).Where("id = ? AND last_day = ?", id, prev).
		Updates(map[string]any{"last_day": day, "updated_at": now()})
	if res.Error != nil {
		return false, fmt.Errorf("store: mark email report %d sent: %w", id, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ---- report catalogue switches ("Download Reports") ----

// Catalogue report names.
const (
	ReportCalls     = "calls"
	ReportQueues    = "queues"
	ReportAgents    = "agents"
	ReportCampaigns = "campaigns"
)

// CatalogueReports lists the catalogue's reports.
var CatalogueReports = []string{ReportCalls, ReportQueues, ReportAgents, ReportCampaigns}

type accountReport struct {
	AccountID int64     `gorm:"column:account_id;primaryKey"`
	Report    string    `gorm:"column:report;primaryKey"`
	EnabledAt time.Time `gorm:"column:enabled_at"`
}

func (accountReport) TableName() string { return "account_reports" }

func validReport(name string) error {
	for _, r := range CatalogueReports {
		if r == name {
			return nil
		}
	}
	return fmt.Errorf("store: report %q (want one of %s): %w", name, strings.Join(CatalogueReports, ", "), ErrInvalid)
}

// SetReportEnabled enables or disables a catalogue report for an account
// (an operator action: the reports are enabled on request).
func (s *Store) SetReportEnabled(ctx context.Context, accountID int64, report string, enabled bool) (err error) {
	defer s.track("SetReportEnabled", time.Now(), &err)
	if err := validReport(report); err != nil {
		return err
	}
	db := s.w.WithContext(ctx)
	if !enabled {
		return db.Where("account_id = ? AND report = ?", accountID, report).Delete(&accountReport{}).Error
	}
	err = db.Clauses(clause.OnConflict{DoNothing: true}).Create(&accountReport{AccountID: accountID, Report: report, EnabledAt: now()}).Error
	if err != nil {
		if isFKViolation(err) {
			return fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		}
		return fmt.Errorf("store: enable report %s: %w", report, err)
	}
	return nil
}

// EnabledReports lists the catalogue reports enabled for the account.
func (s *Store) EnabledReports(ctx context.Context, accountID int64) (names []string, err error) {
	defer s.track("EnabledReports", time.Now(), &err)
	names = []string{}
	if err := s.r.WithContext(ctx).Model(&accountReport{}).Where("account_id = ?", accountID).Order("report").Pluck("report", &names).Error; err != nil {
		return nil, fmt.Errorf("store: enabled reports: %w", err)
	}
	return names, nil
}
