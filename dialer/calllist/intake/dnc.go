package intake

import (
	"bufio"
	"context"
	"io"
	"strings"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

// DNCResult reports a DNC list import.
type DNCResult struct {
	Read     int         `json:"read"`
	Added    int64       `json:"added"`
	Rejected []RowReason `json:"rejected"`
}

// RowReason is a rejected line.
type RowReason struct {
	Line   int    `json:"line"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// maxDNCRejected caps the rejected lines listed in a DNCResult.
const maxDNCRejected = 1000

// ImportDNC adds a DNC/NDNC list to acc: one entry per line, a number or a
// prefix ending in "*" ("+9114*"). The first CSV column is used; a first
// line without digits (a header) is skipped; bad lines are listed, not
// fatal. name is the list's source (its file name). A read error that is
// the transport's size cap is returned as it is (IsMaxBytes); another one
// is invalid, naming its line.
func (im *Importer) ImportDNC(ctx context.Context, acc int64, name string, r io.Reader) (DNCResult, error) {
	resp := DNCResult{Rejected: []RowReason{}}
	batch := make([]store.DNCEntry, 0, 1000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, err := im.c.Store.AddDNCEntries(ctx, acc, name, batch)
		resp.Added += n
		batch = batch[:0]
		return err
	}
	region := ""
	regionRead := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 4096)
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if i := strings.IndexByte(raw, ','); i >= 0 {
			raw = strings.TrimSpace(raw[:i])
		}
		raw = strings.Trim(raw, `"`)
		if raw == "" || (line == 1 && !strings.ContainsAny(raw, "0123456789")) {
			continue
		}
		resp.Read++
		if !regionRead {
			region, regionRead = im.Region(ctx, acc), true
		}
		e, reason := dncEntry(raw, region)
		if reason != "" {
			if len(resp.Rejected) < maxDNCRejected {
				resp.Rejected = append(resp.Rejected, RowReason{Line: line, Value: raw, Reason: reason})
			}
			continue
		}
		batch = append(batch, e)
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return resp, err
			}
		}
	}
	if err := sc.Err(); err != nil {
		if IsMaxBytes(err) {
			return resp, err
		}
		return resp, switchyard.Invalid("file", "line %d: %v", line+1, err)
	}
	if err := flush(); err != nil {
		return resp, err
	}
	return resp, nil
}

// dncEntry reads "+919876543210", "919876543210" or a prefix "+9198*".
func dncEntry(raw, region string) (store.DNCEntry, string) {
	if p, ok := strings.CutSuffix(raw, "*"); ok {
		d := strings.TrimPrefix(p, "+")
		if d == "" || len(d) > 15 || strings.Trim(d, "0123456789") != "" || d[0] == '0' {
			return store.DNCEntry{}, "a prefix is + and 1–15 digits (country code first) followed by *"
		}
		return store.DNCEntry{Value: "+" + d, Prefix: true}, ""
	}
	e, err := calllist.Normalize(raw, region)
	if err != nil {
		return store.DNCEntry{}, err.Error()
	}
	return store.DNCEntry{Value: e}, ""
}
