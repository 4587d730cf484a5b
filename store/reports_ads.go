package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
)

// ---- ADS reports (the ADS dialer's Statistics by Campaign and Detailed Report) ----

// ADSFilter holds the ADS report parameters: the account, the campaigns'
// accountcode, campaigns started from Start until End, and optionally the
// campaigns. A flow's hidden dialing campaign (its automatic dialing) is
// never selected: the reports are about the campaigns users made.
type ADSFilter struct {
	AccountID int64
	// Accountcode selects the campaigns with this accountcode ("": any).
	Accountcode string
	Start, End  time.Time // zero: no bound (on the campaign's started_at)
	CampaignIDs []int64   // empty: every campaign started in the period
}

// ADS detailed statuses (the Detailed Report's "Status" of a call record).
const (
	ADSReady       = "ready"
	ADSRunning     = "running"
	ADSTalking     = "talking"
	ADSAnswered    = "answered"
	ADSBusy        = "busy"
	ADSNoAnswer    = "noanswer"
	ADSFailed      = "failed"
	ADSAnswMachine = "answmachine"
	ADSFax         = "fax"
	// ADSSent: an sms the SMS provider accepted (an sms reads sent or
	// failed).
	ADSSent = "sent"
)

// ADSStatus maps a record's state and the ADS call status of its last
// attempt (BUSY, NOANSWER, IN_ANSWER, ...) to the Detailed Report status.
func ADSStatus(recordStatus, lastStatus string) string {
	switch recordStatus {
	case RecordInProcess:
		return ADSRunning
	case RecordPending:
		return ADSReady
	}
	switch strings.ToUpper(lastStatus) {
	case "BUSY", "IN_BUSY":
		return ADSBusy
	case "NOANSWER", "IN_NOANSWER", "CANCEL", "IN_CANCEL":
		return ADSNoAnswer
	case "MACHINE", "ANSWMACHINE", "AMD_MACHINE":
		return ADSAnswMachine
	case "FAX":
		return ADSFax
	case "SENT":
		return ADSSent
	case "ANSWERED", "ANSWER", "IN_ANSWER", "IVR_STARTED", "IVR_FINISHED", "HUMAN",
		"QUEUE_ANSWER", "QUEUE_JOIN", "QUEUE_TIMEOUT", "QUEUE_EMPTY", "QUEUE_FULL", "QUEUE_INVALID":
		return ADSAnswered
	}
	return ADSFailed
}

// RecordTags returns a record's tags: the values of its "tags" (or "tag")
// column, split on commas, semicolons or bars, trimmed, in order.
func RecordTags(vars map[string]string) []string {
	var out []string
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if lk := strings.ToLower(strings.TrimSpace(k)); lk != "tags" && lk != "tag" {
			continue
		}
		for _, t := range strings.FieldsFunc(vars[k], func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
			if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// RecipientLine rebuilds a record's recipients-file line: the numbers
// joined by '|' (as in the file), then the other columns' values in column
// name order, comma-separated (CSV-quoted where needed).
func RecipientLine(numbers string, vars map[string]string) string {
	var b strings.Builder
	b.WriteString(csvQuote(numbers))
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteByte(',')
		b.WriteString(csvQuote(vars[k]))
	}
	return b.String()
}

func csvQuote(s string) string {
	if !strings.ContainsAny(s, ",\"\r\n") {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// ADSCount is one line of Statistics by Campaign.
type ADSCount struct {
	Type       string  `json:"type"`
	Total      int64   `json:"total"`
	Percentage float64 `json:"percentage"`
}

// ADSStatistics is Statistics by Campaign for one campaign.
type ADSStatistics struct {
	CampaignID   int64      `json:"campaign_id"`
	CampaignName string     `json:"campaign_name"`
	Records      int64      `json:"records"`
	ByStatus     []ADSCount `json:"by_status"`
	ByAttempts   []ADSCount `json:"by_attempts"`
	ByTag        []ADSCount `json:"by_tag"`
}

// ADSDetail is one line of the Detailed Report.
type ADSDetail struct {
	CampaignID int64      `json:"campaign_id"`
	RecordID   int64      `json:"record_id"`
	Record     string     `json:"record"`
	Tries      int        `json:"tries"`
	Status     string     `json:"status"`
	LastStatus string     `json:"last_status"`
	DurationS  int64      `json:"duration_s"`
	Time       *time.Time `json:"time,omitempty"`
	Tags       []string   `json:"tags"`
}

// ADSCampaigns returns the campaigns the filter selects, oldest first.
func (s *Store) ADSCampaigns(ctx context.Context, f ADSFilter) (cs []Campaign, err error) {
	defer s.track("ADSCampaigns", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	if f.AccountID <= 0 {
		return nil, fmt.Errorf("store: ads report: account id %d: %w", f.AccountID, ErrInvalid)
	}
	if !f.Start.IsZero() && !f.End.IsZero() && f.End.Before(f.Start) {
		return nil, fmt.Errorf("store: ads report: end date is before start date: %w", ErrInvalid)
	}
	q := s.rep.WithContext(ctx).Where("account_id = ? AND source = ?", f.AccountID, "")
	if f.Accountcode != "" {
		q = q.Where("accountcode = ?", f.Accountcode)
	}
	if !f.Start.IsZero() {
		q = q.Where("started_at >= ?", norm(f.Start))
	}
	if !f.End.IsZero() {
		q = q.Where("started_at <= ?", norm(f.End))
	}
	if !f.Start.IsZero() || !f.End.IsZero() {
		q = q.Where("started_at IS NOT NULL")
	}
	if len(f.CampaignIDs) > 0 {
		q = q.Where("id IN ?", f.CampaignIDs)
	}
	cs = []Campaign{}
	if err := q.Order("started_at, id").Limit(MaxListLimit).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: ads campaigns: %w", err)
	}
	return cs, nil
}

// adsRecordsSQL selects a campaign's dialable records with their last
// attempt (matched by request and number: the attempt's dnis is one of the
// record's numbers).
const adsRecordsSQL = `SELECT rec.id, rec.numbers, rec.variables, rec.line, rec.attempts, rec.status, rec.last_status,
 (SELECT a.duration_ms FROM call_attempts a JOIN calls c ON c.id = a.call_id
   WHERE c.account_id = rec.account_id AND c.request_id = rec.request_id AND ('|' || rec.numbers || '|') LIKE ('%|' || a.dnis || '|%')
   ORDER BY a.started_at DESC, a.id DESC LIMIT 1),
 (SELECT a.started_at FROM call_attempts a JOIN calls c ON c.id = a.call_id
   WHERE c.account_id = rec.account_id AND c.request_id = rec.request_id AND ('|' || rec.numbers || '|') LIKE ('%|' || a.dnis || '|%')
   ORDER BY a.started_at DESC, a.id DESC LIMIT 1)
FROM call_list_records rec
WHERE rec.account_id = ? AND rec.request_id IN ? AND rec.status NOT IN ('INVALID', 'SCRUBBED')
ORDER BY rec.request_id, rec.row_no`

// EachADSDetail streams the Detailed Report of the selected campaigns.
func (s *Store) EachADSDetail(ctx context.Context, f ADSFilter, fn func(*ADSDetail) error) (err error) {
	defer s.track("EachADSDetail", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	cs, err := s.ADSCampaigns(ctx, f)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := s.eachADSRecord(ctx, c, fn); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) eachADSRecord(ctx context.Context, c Campaign, fn func(*ADSDetail) error) error {
	rows, err := s.rep.WithContext(ctx).Raw(adsRecordsSQL, c.AccountID, c.Recipients).Rows()
	if err != nil {
		return fmt.Errorf("store: ads records of campaign %d: %w", c.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			d               = ADSDetail{CampaignID: c.ID}
			numbers, vars   string
			line            string
			status, last    string
			durMS, lastTime any
		)
		if err := rows.Scan(&d.RecordID, &numbers, &vars, &line, &d.Tries, &status, &last, &durMS, &lastTime); err != nil {
			return fmt.Errorf("store: ads records of campaign %d: %w", c.ID, err)
		}
		vm := map[string]string{}
		if vars != "" {
			if err := json.Unmarshal([]byte(vars), &vm); err != nil {
				return fmt.Errorf("store: record %d variables: %w", d.RecordID, err)
			}
		}
		// The line as uploaded; records that were not uploaded as a file
		// (the trigger API) or were imported before lines were kept get
		// their line rebuilt.
		d.Record = line
		if d.Record == "" {
			d.Record = RecipientLine(numbers, vm)
		}
		d.Status = ADSStatus(status, last)
		d.LastStatus = last
		d.Tags = RecordTags(vm)
		if d.Tags == nil {
			d.Tags = []string{}
		}
		if n, ok := anyInt(durMS); ok {
			d.DurationS = (n + 500) / 1000
		}
		if t, ok := anyTime(lastTime); ok {
			d.Time = &t
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	return rows.Err()
}

func anyInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case int:
		return int64(x), true
	case float64:
		return int64(x), true
	}
	return 0, false
}

func anyTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		t, err := parseSQLiteTime(x)
		return t.UTC(), err == nil
	case []byte:
		t, err := parseSQLiteTime(string(x))
		return t.UTC(), err == nil
	}
	return time.Time{}, false
}

// ADSStatistics returns Statistics by Campaign for each selected campaign:
// its records counted by final status, by number of dial attempts and by
// tag, with the percentage of the campaign's records (a record may have
// several tags, so tag percentages need not add up to 100).
func (s *Store) ADSStatistics(ctx context.Context, f ADSFilter) (out []ADSStatistics, err error) {
	defer s.track("ADSStatistics", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	cs, err := s.ADSCampaigns(ctx, f)
	if err != nil {
		return nil, err
	}
	out = []ADSStatistics{}
	for _, c := range cs {
		st := ADSStatistics{CampaignID: c.ID, CampaignName: c.Name}
		byStatus, byAttempts, byTag := map[string]int64{}, map[string]int64{}, map[string]int64{}
		err := s.eachADSRecord(ctx, c, func(d *ADSDetail) error {
			st.Records++
			byStatus[d.Status]++
			byAttempts[fmt.Sprint(d.Tries)]++
			for _, t := range d.Tags {
				byTag[t]++
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		st.ByStatus = counts(byStatus, st.Records, []string{ADSReady, ADSRunning, ADSTalking, ADSAnswered, ADSBusy, ADSNoAnswer, ADSFailed, ADSAnswMachine, ADSFax, ADSSent})
		st.ByAttempts = counts(byAttempts, st.Records, nil)
		st.ByTag = counts(byTag, st.Records, nil)
		out = append(out, st)
	}
	return out, nil
}

// counts turns a map into lines: in order's order (only non-zero) or, with
// no order, by descending total then type (numeric types numerically).
func counts(m map[string]int64, total int64, order []string) []ADSCount {
	out := []ADSCount{}
	pct := func(n int64) float64 {
		if total == 0 {
			return 0
		}
		return math.Round(float64(n)/float64(total)*10000) / 100
	}
	if order != nil {
		for _, k := range order {
			if n := m[k]; n > 0 {
				out = append(out, ADSCount{Type: k, Total: n, Percentage: pct(n)})
			}
		}
		return out
	}
	for k, n := range m {
		out = append(out, ADSCount{Type: k, Total: n, Percentage: pct(n)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Total != out[j].Total {
			return out[i].Total > out[j].Total
		}
		if len(out[i].Type) != len(out[j].Type) {
			return len(out[i].Type) < len(out[j].Type)
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// ---- catalogue: queues, agents, campaigns ----

// PeriodFilter bounds a catalogue report.
type PeriodFilter struct {
	AccountID int64
	From, To  time.Time // zero: no bound
}

func (f PeriodFilter) check() error {
	if f.AccountID <= 0 {
		return fmt.Errorf("store: report: account id %d: %w", f.AccountID, ErrInvalid)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("store: report: from is not before to: %w", ErrInvalid)
	}
	return nil
}

// QueueReportRow is one queue's totals over the period (queue_calls).
type QueueReportRow struct {
	QueueID   int64   `json:"queue_id"`
	QueueName string  `json:"queue_name"`
	Calls     int64   `json:"calls"`
	Answered  int64   `json:"answered"`
	Abandoned int64   `json:"abandoned"`
	Timeout   int64   `json:"timeout"`
	Other     int64   `json:"other"`
	AvgWaitS  float64 `json:"avg_wait_s"`
	MaxWaitS  float64 `json:"max_wait_s"`
}

// QueueReport totals the account's queue calls (joined in the period) per
// queue.
func (s *Store) QueueReport(ctx context.Context, f PeriodFilter) (out []QueueReportRow, err error) {
	defer s.track("QueueReport", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	if err := f.check(); err != nil {
		return nil, err
	}
	q := s.rep.WithContext(ctx).Table("queue_calls").Where("account_id = ?", f.AccountID)
	if !f.From.IsZero() {
		q = q.Where("joined_at >= ?", norm(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("joined_at < ?", norm(f.To))
	}
	byQueue := map[int64]*QueueReportRow{}
	waitSum := map[int64]float64{}
	rows, err := q.Select("queue_id, outcome, joined_at, ended_at").Rows()
	if err != nil {
		return nil, fmt.Errorf("store: queue report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id            int64
			outcome       string
			joined, ended any
		)
		if err := rows.Scan(&id, &outcome, &joined, &ended); err != nil {
			return nil, fmt.Errorf("store: queue report: %w", err)
		}
		r := byQueue[id]
		if r == nil {
			r = &QueueReportRow{QueueID: id}
			byQueue[id] = r
		}
		r.Calls++
		switch outcome {
		case "QUEUE_ANSWER":
			r.Answered++
		case "QUEUE_JOIN":
			r.Abandoned++
		case "QUEUE_TIMEOUT":
			r.Timeout++
		default:
			r.Other++
		}
		j, ok1 := anyTime(joined)
		e, ok2 := anyTime(ended)
		if ok1 && ok2 && !e.Before(j) {
			w := e.Sub(j).Seconds()
			waitSum[id] += w
			r.MaxWaitS = max(r.MaxWaitS, math.Round(w*10)/10)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue report: %w", err)
	}
	names := map[int64]string{}
	var qs []struct {
		ID   int64
		Name string
	}
	if err := s.rep.WithContext(ctx).Table("queues").Select("id, name").Where("account_id = ?", f.AccountID).Scan(&qs).Error; err != nil {
		return nil, fmt.Errorf("store: queue report: %w", err)
	}
	for _, x := range qs {
		names[x.ID] = x.Name
	}
	out = []QueueReportRow{}
	for id, r := range byQueue {
		r.QueueName = names[id]
		if r.Calls > 0 {
			r.AvgWaitS = math.Round(waitSum[id]/float64(r.Calls)*10) / 10
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].QueueID < out[j].QueueID })
	return out, nil
}

// AgentReportRow is one agent's totals over the period (agent_calls).
type AgentReportRow struct {
	AgentID    int64   `json:"agent_id"`
	AgentName  string  `json:"agent_name"`
	Offered    int64   `json:"offered"`
	Answered   int64   `json:"answered"`
	Missed     int64   `json:"missed"`
	Abandoned  int64   `json:"abandoned"`
	TalkS      float64 `json:"talk_s"`
	AvgTalkS   float64 `json:"avg_talk_s"`
	WrapUpS    float64 `json:"wrap_up_s"`
	Recordings int64   `json:"recordings"`
}

// AgentReport totals the account's agent calls (offered in the period)
// per agent.
func (s *Store) AgentReport(ctx context.Context, f PeriodFilter) (out []AgentReportRow, err error) {
	defer s.track("AgentReport", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	if err := f.check(); err != nil {
		return nil, err
	}
	q := s.rep.WithContext(ctx).Table("agent_calls").Where("account_id = ?", f.AccountID)
	if !f.From.IsZero() {
		q = q.Where("offered_at >= ?", norm(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("offered_at < ?", norm(f.To))
	}
	rows, err := q.Select("agent_id, outcome, answered_at, ended_at, wrap_up_end, recording").Rows()
	if err != nil {
		return nil, fmt.Errorf("store: agent report: %w", err)
	}
	defer rows.Close()
	by := map[int64]*AgentReportRow{}
	for rows.Next() {
		var (
			id                 int64
			outcome, rec       string
			answered, ended, w any
		)
		if err := rows.Scan(&id, &outcome, &answered, &ended, &w, &rec); err != nil {
			return nil, fmt.Errorf("store: agent report: %w", err)
		}
		r := by[id]
		if r == nil {
			r = &AgentReportRow{AgentID: id}
			by[id] = r
		}
		r.Offered++
		switch outcome {
		case "answered":
			r.Answered++
		case "missed":
			r.Missed++
		case "abandoned":
			r.Abandoned++
		}
		a, okA := anyTime(answered)
		e, okE := anyTime(ended)
		if okA && okE && !e.Before(a) {
			r.TalkS += e.Sub(a).Seconds()
		}
		if wt, ok := anyTime(w); ok && okE && wt.After(e) {
			r.WrapUpS += wt.Sub(e).Seconds()
		}
		if rec != "" {
			r.Recordings++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: agent report: %w", err)
	}
	var as []struct {
		ID   int64
		Name string
	}
	if err := s.rep.WithContext(ctx).Table("agents").Select("id, name").Where("account_id = ?", f.AccountID).Scan(&as).Error; err != nil {
		return nil, fmt.Errorf("store: agent report: %w", err)
	}
	names := map[int64]string{}
	for _, x := range as {
		names[x.ID] = x.Name
	}
	out = []AgentReportRow{}
	for id, r := range by {
		r.AgentName = names[id]
		r.TalkS, r.WrapUpS = math.Round(r.TalkS*10)/10, math.Round(r.WrapUpS*10)/10
		if r.Answered > 0 {
			r.AvgTalkS = math.Round(r.TalkS/float64(r.Answered)*10) / 10
		}
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AgentID < out[j].AgentID })
	return out, nil
}

// CampaignReportRow is one campaign's summary.
type CampaignReportRow struct {
	CampaignID int64            `json:"campaign_id"`
	Name       string           `json:"name"`
	Status     string           `json:"status"`
	StartedAt  *time.Time       `json:"started_at,omitempty"`
	EndedAt    *time.Time       `json:"ended_at,omitempty"`
	Records    int64            `json:"records"`
	Pending    int64            `json:"pending"`
	InProcess  int64            `json:"in_process"`
	Complete   int64            `json:"complete"`
	Attempts   int64            `json:"attempts"`
	ByStatus   map[string]int64 `json:"by_status"`
}

// CampaignReport summarises the account's campaigns started in the period
// (all campaigns when the period is open).
func (s *Store) CampaignReport(ctx context.Context, f PeriodFilter) (out []CampaignReportRow, err error) {
	defer s.track("CampaignReport", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	if err := f.check(); err != nil {
		return nil, err
	}
	af := ADSFilter{AccountID: f.AccountID, Start: f.From}
	if !f.To.IsZero() {
		af.End = f.To.Add(-time.Microsecond)
	}
	cs, err := s.ADSCampaigns(ctx, af)
	if err != nil {
		return nil, err
	}
	out = []CampaignReportRow{}
	for _, c := range cs {
		n, err := s.CountCampaignRecords(ctx, c.AccountID, c.Recipients)
		if err != nil {
			return nil, err
		}
		out = append(out, CampaignReportRow{
			CampaignID: c.ID, Name: c.Name, Status: c.Status, StartedAt: c.StartedAt, EndedAt: c.EndedAt,
			Records: n.Pending + n.InProcess + n.Complete, Pending: n.Pending, InProcess: n.InProcess, Complete: n.Complete,
			Attempts: n.Attempts, ByStatus: n.ByStatus,
		})
	}
	return out, nil
}
