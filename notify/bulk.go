package notify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/store"
)

// Bulk add modes and strategies (the bulk add form's choices).
const (
	// ModeNew adds the file's contacts to the address book.
	ModeNew = "new"
	// ModeUpdate updates the contacts of the address book that have the
	// row's name and phone.
	ModeUpdate = "update"
	// StrategyDefault: a name and phone combination is unique; a row whose
	// name and phone a contact already has is rejected (New Contact), and
	// one that several contacts have is rejected (Update Existing).
	StrategyDefault = "default"
	// StrategyForce ("Force New Entry"): a row whose name and phone a
	// contact already has becomes a new contact, provided at least one
	// other property (emails, labels) differs from every such contact;
	// Update Existing updates the oldest of several such contacts.
	StrategyForce = "force"
)

// Row statuses of the bulk add report.
const (
	RowCreated  = "created"
	RowUpdated  = "updated"
	RowRejected = "rejected"
)

// Bulk add limits.
const (
	MaxBulkRows  = 50000
	MaxBulkBytes = 10 << 20
)

// labelSep separates label names in the labels column.
const labelSep = ";"

// TemplateHeader is the bulk add file's header: the name, the phone
// (with country code, or national in the account's country), up to ten
// emails and the labels (existing label names separated by ";").
var TemplateHeader = func() []string {
	h := []string{"name", "phone"}
	for i := 1; i <= store.MaxContactEmails; i++ {
		h = append(h, "email"+strconv.Itoa(i))
	}
	return append(h, "labels")
}()

// Template is the bulk add template file: the header and one example row.
func Template() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(TemplateHeader)
	ex := make([]string, len(TemplateHeader))
	ex[0], ex[1], ex[2], ex[3], ex[len(ex)-1] = "Ann Example", "+12025550102", "ann@example.com", "ann.home@example.com", "Floor 1;Wardens"
	_ = w.Write(ex)
	w.Flush()
	return b.Bytes()
}

// BulkRow is one data row of a bulk add file (Row 1 is the first row
// after the header). Err, when set, says why the row cannot be used.
type BulkRow struct {
	Row    int
	Input  ContactInput
	Labels []string
	Err    string
	// HasEmails and HasLabels say whether the file has those columns:
	// Update Existing keeps a contact's emails or labels when the file
	// has no column for them.
	HasEmails, HasLabels bool
}

// columns maps the header's columns.
type columns struct {
	name, phone, labels int
	emails              []int
	width               int
}

func readHeader(h []string) (columns, error) {
	c := columns{name: -1, phone: -1, labels: -1, width: len(h)}
	seen := map[string]bool{}
	for i, raw := range h {
		k := strings.ToLower(strings.TrimSpace(raw))
		if i == 0 {
			k = strings.TrimPrefix(k, "\ufeff")
		}
		if seen[k] {
			return columns{}, switchyard.Invalid("file", "the header names column %q twice", k)
		}
		seen[k] = true
		switch {
		case k == "name":
			c.name = i
		case k == "phone":
			c.phone = i
		case k == "labels":
			c.labels = i
		case strings.HasPrefix(k, "email"):
			n, err := strconv.Atoi(k[len("email"):])
			if err != nil || n < 1 || n > store.MaxContactEmails || strconv.Itoa(n) != k[len("email"):] {
				return columns{}, switchyard.Invalid("file", "unknown column %q: the email columns are email1 … email%d", raw, store.MaxContactEmails)
			}
			c.emails = append(c.emails, i)
		default:
			return columns{}, switchyard.Invalid("file", "unknown column %q: the header is %s (download the template)", raw, strings.Join(TemplateHeader, ","))
		}
	}
	if c.name < 0 || c.phone < 0 {
		return columns{}, switchyard.Invalid("file", "the header must have the columns name and phone (download the template: %s)", strings.Join(TemplateHeader, ","))
	}
	return c, nil
}

// ParseBulk reads a bulk add CSV file. A file-level problem (no header,
// unknown columns, too large) is an error; a bad row is returned with Err
// set and does not stop the others.
func ParseBulk(r io.Reader) ([]BulkRow, error) {
	br := bufio.NewReader(io.LimitReader(r, MaxBulkBytes+1))
	data, err := io.ReadAll(br)
	if err != nil {
		return nil, fmt.Errorf("notify: read bulk file: %w", err)
	}
	if len(data) > MaxBulkBytes {
		return nil, switchyard.Invalid("file", "the file is over %d MiB", MaxBulkBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, switchyard.Invalid("file", "the file is empty: it needs the header %s and a row per contact", strings.Join(TemplateHeader, ","))
	}
	if !utf8.Valid(data) {
		return nil, switchyard.Invalid("file", "the file is not UTF-8 text (save the CSV as UTF-8)")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	head, err := cr.Read()
	if err != nil {
		return nil, switchyard.Invalid("file", "the header line cannot be read: %s", csvProblem(err))
	}
	cols, err := readHeader(head)
	if err != nil {
		return nil, err
	}
	var rows []BulkRow
	for n := 1; ; n++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if n > MaxBulkRows {
			return nil, switchyard.Invalid("file", "the file has more than %d rows: split it", MaxBulkRows)
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				rows = append(rows, BulkRow{Row: n, Err: "not valid CSV: " + csvProblem(pe)})
				continue
			}
			return nil, fmt.Errorf("notify: read bulk file: %w", err)
		}
		rows = append(rows, bulkRow(n, rec, cols))
	}
	if len(rows) == 0 {
		return nil, switchyard.Invalid("file", "the file has a header but no rows")
	}
	return rows, nil
}

// csvProblem says what is wrong with a line the CSV reader refused, in
// the words of someone editing the file.
func csvProblem(err error) string {
	switch {
	case errors.Is(err, csv.ErrBareQuote):
		return `a field that is not in quotes has a quote (") in it: put the field in quotes and double its quotes`
	case errors.Is(err, csv.ErrQuote):
		return `a field in quotes is not closed, or has a quote (") that is not doubled`
	}
	return "the line is not comma-separated text"
}

func bulkRow(n int, rec []string, c columns) BulkRow {
	row := BulkRow{Row: n, HasEmails: len(c.emails) > 0, HasLabels: c.labels >= 0}
	if len(rec) != c.width {
		row.Err = fmt.Sprintf("%d fields; the header has %d", len(rec), c.width)
		return row
	}
	row.Input.Name = strings.TrimSpace(rec[c.name])
	row.Input.Phone = strings.TrimSpace(rec[c.phone])
	for _, i := range c.emails {
		if e := strings.TrimSpace(rec[i]); e != "" {
			row.Input.Emails = append(row.Input.Emails, e)
		}
	}
	if c.labels >= 0 {
		for _, l := range strings.Split(rec[c.labels], labelSep) {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(row.Labels, l) {
				row.Labels = append(row.Labels, l)
			}
		}
	}
	return row
}

// RowResult is one row's outcome in the bulk add report.
type RowResult struct {
	Row       int    `json:"row"`
	Name      string `json:"name"`
	Phone     string `json:"phone"`
	Status    string `json:"status"`
	Reason    string `json:"reason,omitempty"`
	ContactID int64  `json:"contact_id,omitempty"`
}

// BulkResult is a bulk add's outcome: counts and every row's status.
type BulkResult struct {
	Created  int         `json:"created"`
	Updated  int         `json:"updated"`
	Rejected int         `json:"rejected"`
	Rows     []RowResult `json:"rows"`
}

// BulkAdd adds or updates the address book from a CSV file with a mode
// (ModeNew, ModeUpdate) and a strategy (StrategyDefault, StrategyForce).
// Each row is done on its own: a bad row is rejected with its reason and
// the others are kept.
func (s *Service) BulkAdd(ctx context.Context, acc int64, mode, strategy string, r io.Reader) (BulkResult, error) {
	if mode != ModeNew && mode != ModeUpdate {
		return BulkResult{}, switchyard.Invalid("mode", "mode must be %q (New Contact) or %q (Update Existing), not %q", ModeNew, ModeUpdate, mode)
	}
	if strategy != StrategyDefault && strategy != StrategyForce {
		return BulkResult{}, switchyard.Invalid("strategy", "strategy must be %q (Default Strategy) or %q (Force New Entry Strategy), not %q", StrategyDefault, StrategyForce, strategy)
	}
	rows, err := ParseBulk(r)
	if err != nil {
		return BulkResult{}, err
	}
	labels, err := s.labelIDs(ctx, acc)
	if err != nil {
		return BulkResult{}, err
	}
	region, err := s.region(ctx, acc)
	if err != nil {
		return BulkResult{}, err
	}
	res := BulkResult{Rows: make([]RowResult, 0, len(rows))}
	for _, row := range rows {
		if err := ctx.Err(); err != nil {
			return BulkResult{}, err
		}
		rr := RowResult{Row: row.Row, Name: row.Input.Name, Phone: row.Input.Phone}
		id, status, reason, err := s.bulkOne(ctx, acc, mode, strategy, row, labels, region)
		if err != nil {
			return BulkResult{}, err
		}
		rr.ContactID, rr.Status, rr.Reason = id, status, reason
		switch status {
		case RowCreated:
			res.Created++
		case RowUpdated:
			res.Updated++
		default:
			res.Rejected++
		}
		res.Rows = append(res.Rows, rr)
	}
	return res, nil
}

// bulkOne does one row; a client problem is a rejection with its reason,
// err only a failure of the store.
func (s *Service) bulkOne(ctx context.Context, acc int64, mode, strategy string, row BulkRow, labels map[string]int64, region string) (id int64, status, reason string, err error) {
	if row.Err != "" {
		return 0, RowRejected, row.Err, nil
	}
	in := row.Input
	for _, name := range row.Labels {
		lid, ok := labels[strings.ToLower(name)]
		if !ok {
			return 0, RowRejected, fmt.Sprintf("unknown label %q (add it on the Labels page first)", name), nil
		}
		in.Labels = append(in.Labels, lid)
	}
	c, err := checkContact(in, region)
	if err != nil {
		return 0, RowRejected, switchyard.ClientMessage(err), nil
	}
	c.AccountID = acc
	c.Labels = sortedIDs(c.Labels)
	same, err := s.c.Store.FindContacts(ctx, acc, c.Name, c.Phone)
	if err != nil {
		return 0, "", "", err
	}
	reject := func(err error) (int64, string, string, error) {
		var ae *switchyard.Error
		if errors.As(err, &ae) {
			return 0, RowRejected, switchyard.ClientMessage(err), nil
		}
		return 0, "", "", err
	}
	switch mode {
	case ModeNew:
		if len(same) > 0 {
			if strategy == StrategyDefault {
				return 0, RowRejected, fmt.Sprintf("a contact named %q with phone %s already exists (contact %d); the Force New Entry Strategy adds it again", c.Name, c.Phone, same[0].ID), nil
			}
			for _, o := range same {
				if sameProperties(o, c) {
					return 0, RowRejected, fmt.Sprintf("identical to contact %d: at least one property (emails, labels) must differ to force a new entry", o.ID), nil
				}
			}
		}
		out, err := s.c.Store.CreateContact(ctx, c)
		if err != nil {
			return reject(err)
		}
		return out.ID, RowCreated, "", nil
	default:
		switch {
		case len(same) == 0:
			return 0, RowRejected, fmt.Sprintf("no contact named %q with phone %s to update (use the mode New Contact to add it)", c.Name, c.Phone), nil
		case len(same) > 1 && strategy == StrategyDefault:
			return 0, RowRejected, fmt.Sprintf("%d contacts are named %q with phone %s; the Force New Entry Strategy updates the oldest", len(same), c.Name, c.Phone), nil
		}
		c.ID = same[0].ID
		if !row.HasEmails {
			c.Emails = same[0].Emails
		}
		if !row.HasLabels {
			c.Labels = same[0].Labels
		}
		out, err := s.c.Store.UpdateContact(ctx, c)
		if err != nil {
			return reject(err)
		}
		return out.ID, RowUpdated, "", nil
	}
}

func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// sameProperties reports a contact with the same emails and labels.
func sameProperties(a, b store.Contact) bool {
	ea, eb := slices.Clone(a.Emails), slices.Clone(b.Emails)
	for i := range ea {
		ea[i] = strings.ToLower(ea[i])
	}
	for i := range eb {
		eb[i] = strings.ToLower(eb[i])
	}
	slices.Sort(ea)
	slices.Sort(eb)
	return slices.Equal(ea, eb) && slices.Equal(sortedIDs(a.Labels), sortedIDs(b.Labels))
}

// WriteBulkReport writes the per-row status report CSV (row, name,
// phone, status, reason, contact_id); cells that a spreadsheet would run
// as a formula are neutralised.
func WriteBulkReport(w io.Writer, res BulkResult) error {
	cw := csvout.NewWriter(w)
	err := cw.WriteStrings("row", "name", "phone", "status", "reason", "contact_id")
	for _, r := range res.Rows {
		if err != nil {
			break
		}
		id := ""
		if r.ContactID > 0 {
			id = strconv.FormatInt(r.ContactID, 10)
		}
		err = cw.WriteStrings(strconv.Itoa(r.Row), r.Name, r.Phone, r.Status, r.Reason, id)
	}
	if cerr := cw.Close(); err == nil {
		err = cerr
	}
	return err
}
