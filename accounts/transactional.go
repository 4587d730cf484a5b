package accounts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/store"
)

// TransactionalStore holds transactional messaging: the operator's switch
// on an account, the account's request for it, and the operator's
// approval of the versions of transactional flows.
type TransactionalStore interface {
	SetAccountTransactional(ctx context.Context, id int64, on bool) error
	RequestTransactional(ctx context.Context, id int64) (store.Account, error)
	OperatorEmails(ctx context.Context) ([]string, error)
	AccountOwnerEmails(ctx context.Context, accountID int64) ([]string, error)
	ListPendingFlowVersions(ctx context.Context) ([]store.PendingFlowVersion, error)
	ReviewFlowVersion(ctx context.Context, flowID int64, version int) (store.FlowVersionReview, error)
	DecideFlowVersion(ctx context.Context, flowID int64, version int, approve bool, by, reason string) (store.FlowVersion, store.Flow, error)
}

// requestMailEvery: a repeated request mails the operators again only
// after this long (a button pressed twice does not flood their inbox).
const requestMailEvery = time.Hour

// Transactional is an account's transactional messaging as the account
// sees it: whether the operator enabled it and when the account last
// asked for it.
type Transactional struct {
	Enabled     bool       `json:"enabled"`
	RequestedAt *time.Time `json:"requested_at"`
}

// TransactionalMessaging returns the actor's account's state.
func (s *Service) TransactionalMessaging(ctx context.Context, actor Actor) (Transactional, error) {
	acc, err := actor.account()
	if err != nil {
		return Transactional{}, err
	}
	a, err := s.cfg.Store.GetAccount(ctx, acc)
	if err != nil {
		return Transactional{}, fmt.Errorf("accounts: transactional messaging of account %d: %w", acc, err)
	}
	return Transactional{Enabled: a.TransactionalMessaging, RequestedAt: a.TransactionalRequestedAt}, nil
}

// RequestTransactionalMessaging records that the actor's account asks for
// transactional messaging (owners and admins) and mails the operators,
// who enable it once the extended contract is signed. Only the operator
// can enable it.
func (s *Service) RequestTransactionalMessaging(ctx context.Context, actor Actor) (Transactional, error) {
	if !actor.may(store.RoleAdmin) {
		return Transactional{}, fmt.Errorf("accounts: role %s cannot request transactional messaging: %w", actor.Role, ErrForbidden)
	}
	before, err := s.cfg.Store.GetAccount(ctx, actor.AccountID)
	if err != nil {
		return Transactional{}, fmt.Errorf("accounts: request transactional messaging: %w", err)
	}
	if before.TransactionalMessaging {
		return Transactional{Enabled: true, RequestedAt: before.TransactionalRequestedAt}, nil
	}
	a, err := s.cfg.Store.RequestTransactional(ctx, actor.AccountID)
	if err != nil {
		return Transactional{}, fmt.Errorf("accounts: request transactional messaging: %w", err)
	}
	s.log.InfoContext(ctx, "transactional messaging requested", "account_id", a.ID, "user_id", actor.UserID)
	if before.TransactionalRequestedAt == nil || s.cfg.Now().Sub(*before.TransactionalRequestedAt) >= requestMailEvery {
		ops, err := s.cfg.Store.OperatorEmails(ctx)
		if err != nil {
			s.log.ErrorContext(ctx, "operators not mailed about a transactional messaging request", "account_id", a.ID, "err", err)
		}
		body := fmt.Sprintf("Account %q (id %d) requests transactional messaging.\n\n"+
			"Send the extended contract; once it is signed, enable transactional messaging for the account in the console: %s/#/operator/accounts\n",
			a.Name, a.ID, strings.TrimRight(s.cfg.PublicURL, "/"))
		for _, to := range ops {
			s.mailLater(ctx, to, "Transactional messaging requested by "+a.Name, body)
		}
	}
	return Transactional{Enabled: a.TransactionalMessaging, RequestedAt: a.TransactionalRequestedAt}, nil
}

// PendingApprovals lists the versions of transactional flows waiting for
// the operator's approval, oldest first (operator level).
func (s *Service) PendingApprovals(ctx context.Context) ([]store.PendingFlowVersion, error) {
	ps, err := s.cfg.Store.ListPendingFlowVersions(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts: pending approvals: %w", err)
	}
	return ps, nil
}

// ApprovalReview is a version of a transactional flow as the operator
// reviews it: the version's document, the live (last approved) one, and
// the line diff from the live one to it.
type ApprovalReview struct {
	AccountID   int64              `json:"account_id"`
	AccountName string             `json:"account_name"`
	FlowID      int64              `json:"flow_id"`
	FlowName    string             `json:"flow_name"`
	FlowType    string             `json:"flow_type"`
	Version     store.FlowVersion  `json:"version"`
	Live        *store.FlowVersion `json:"live"`
	// Diff compares the live version's document with this one's (both
	// indented JSON), line by line; against nothing when none is live.
	Diff []DiffLine `json:"diff"`
}

// ReviewApproval returns a version of any account's flow for review
// (operator level).
func (s *Service) ReviewApproval(ctx context.Context, flowID int64, version int) (ApprovalReview, error) {
	r, err := s.cfg.Store.ReviewFlowVersion(ctx, flowID, version)
	if err != nil {
		return ApprovalReview{}, fmt.Errorf("accounts: review flow %d version %d: %w", flowID, version, err)
	}
	a, err := s.cfg.Store.GetAccount(ctx, r.Flow.AccountID)
	if err != nil {
		return ApprovalReview{}, fmt.Errorf("accounts: review flow %d: %w", flowID, err)
	}
	var old json.RawMessage
	if r.Live != nil {
		old = r.Live.Definition
	}
	return ApprovalReview{AccountID: a.ID, AccountName: a.Name, FlowID: r.Flow.ID, FlowName: r.Flow.Name, FlowType: r.Flow.Type,
		Version: r.Version, Live: r.Live, Diff: DiffJSON(withoutLayout(old), withoutLayout(r.Version.Definition))}, nil
}

// withoutLayout leaves out a flow document's "layout": the flow editor's
// node positions, which change nothing the flow does, so the operator's
// review shows only what does. A document without one is returned as it
// is.
func withoutLayout(doc json.RawMessage) json.RawMessage {
	if !bytes.Contains(doc, []byte(`"layout"`)) {
		return doc
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(doc, &m) != nil {
		return doc
	}
	if _, ok := m["layout"]; !ok {
		return doc
	}
	delete(m, "layout")
	out, err := json.Marshal(m)
	if err != nil {
		return doc
	}
	return out
}

// DecideApproval approves (the version goes live at once) or rejects
// (reason required; the account sees it) a pending version of a
// transactional flow, and mails the account holder (operator level).
func (s *Service) DecideApproval(ctx context.Context, actor Actor, flowID int64, version int, approve bool, reason string) (store.FlowVersion, error) {
	if !actor.IsOperator() {
		return store.FlowVersion{}, fmt.Errorf("accounts: only the operator approves flows: %w", ErrForbidden)
	}
	op, err := s.cfg.Store.GetOperator(ctx, actor.OperatorID)
	if err != nil {
		return store.FlowVersion{}, fmt.Errorf("accounts: operator %d: %w", actor.OperatorID, err)
	}
	v, f, err := s.cfg.Store.DecideFlowVersion(ctx, flowID, version, approve, op.Email, reason)
	if err != nil {
		return store.FlowVersion{}, fmt.Errorf("accounts: decide flow %d version %d: %w", flowID, version, err)
	}
	s.log.InfoContext(ctx, "transactional flow version decided", "account_id", f.AccountID, "flow_id", flowID, "version", version,
		"approval", v.Approval, "operator_id", actor.OperatorID)
	owners, err := s.cfg.Store.AccountOwnerEmails(ctx, f.AccountID)
	if err != nil {
		s.log.ErrorContext(ctx, "account holder not mailed about a flow approval", "account_id", f.AccountID, "err", err)
	}
	link := fmt.Sprintf("%s/#/flows/%d", strings.TrimRight(s.cfg.PublicURL, "/"), flowID)
	subject := fmt.Sprintf("Flow %q version %d approved: it is live", f.Name, version)
	body := fmt.Sprintf("The operator approved version %d of your transactional flow %q. It is live now: calls run it, and its call lists are not DNC/NDNC scrubbed.\n\n%s\n", version, f.Name, link)
	if !approve {
		subject = fmt.Sprintf("Flow %q version %d rejected", f.Name, version)
		body = fmt.Sprintf("The operator rejected version %d of your transactional flow %q; it will not go live.\n\nReason: %s\n\nChange the flow and publish it again to submit a new version:\n%s\n",
			version, f.Name, v.DecisionReason, link)
	}
	if len(owners) > 0 {
		s.mailLater(ctx, owners[0], subject, body)
	}
	return v, nil
}

// DiffLine is one line of a diff: Op is " " (in both), "-" (only in the
// old document) or "+" (only in the new one).
type DiffLine struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// maxDiffCells bounds the line diff's table (old lines × new lines); a
// larger pair is shown as the old lines removed and the new ones added.
const maxDiffCells = 4 << 20

// DiffJSON diffs two JSON documents line by line, both indented the same
// way (so a re-formatted document shows only its real changes); old may
// be empty (no live version: every line is added).
func DiffJSON(old, cur json.RawMessage) []DiffLine {
	return diffLines(indentLines(old), indentLines(cur))
}

func indentLines(doc json.RawMessage) []string {
	if len(doc) == 0 {
		return nil
	}
	var b bytes.Buffer
	if err := json.Indent(&b, doc, "", "  "); err != nil {
		b.Reset()
		b.Write(doc)
	}
	return strings.Split(b.String(), "\n")
}

// diffLines is the longest-common-subsequence line diff.
func diffLines(a, b []string) []DiffLine {
	out := make([]DiffLine, 0, len(a)+len(b))
	if len(a)*len(b) > maxDiffCells {
		for _, l := range a {
			out = append(out, DiffLine{Op: "-", Text: l})
		}
		for _, l := range b {
			out = append(out, DiffLine{Op: "+", Text: l})
		}
		return out
	}
	// lcs[i][j] = LCS length of a[i:], b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, DiffLine{Op: " ", Text: a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, DiffLine{Op: "-", Text: a[i]})
			i++
		default:
			out = append(out, DiffLine{Op: "+", Text: b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, DiffLine{Op: "-", Text: a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, DiffLine{Op: "+", Text: b[j]})
	}
	return out
}
