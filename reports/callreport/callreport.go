// Package callreport writes the call report (one row per call attempt) as
// CSV: the report download and the daily email report share it, with
// recording URIs turned into signed download URLs.
package callreport

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

// Link is the signed download URL of a recording URI
// (recording:<name>), or uri itself when it is none or links is nil.
func Link(links *recordings.Links, uri string) string {
	name, ok := strings.CutPrefix(uri, "recording:")
	if links == nil || !ok || name == "" {
		return uri
	}
	return links.URL(name)
}

// WriteCSV writes the call report's header and rows to w (the CSV
// download and the daily email report); links, when set, turns the
// recording_uri cells into download URLs.
func WriteCSV(ctx context.Context, st interface {
	EachCallReportCells(ctx context.Context, f store.CallReportFilter, loc *time.Location, fn func(cells [][]byte) error) error
}, f store.CallReportFilter, loc *time.Location, w *csvout.Writer, links *recordings.Links) error {
	if err := w.WriteStrings(store.CallReportColumns...); err != nil {
		return err
	}
	col := slices.Index(store.CallReportColumns, "recording_uri")
	write := w.Write
	if links != nil && col >= 0 {
		write = func(cells [][]byte) error {
			if col < len(cells) && bytes.HasPrefix(cells[col], []byte("recording:")) {
				cells[col] = []byte(Link(links, string(cells[col])))
			}
			return w.Write(cells)
		}
	}
	return st.EachCallReportCells(ctx, f, loc, write)
}
