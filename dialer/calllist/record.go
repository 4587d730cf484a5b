// Package calllist reads the call lists that start outbound campaigns —
// Phonon's and the ADS dialer's formats: the CSV upload (tel1…tel10,
// $flow.key.<var>, starttime, the common start time in an
// upload_<ddMMyyyyHHmmss>.csv file name), a .zip of such CSVs, the ADS
// recipients format (numbers separated by "|" in the first column, a
// *Schedule* column) and the trigger API's JSON body — and validates each
// record (E.164 normalisation, duplicates, blacklist, DNC scrubbing with the
// whitelist exempt).
//
// Every reader streams from an io.Reader in constant memory. A bad row never
// disappears: it comes back as a *RowError carrying its row number and the
// reason, and the caller stores it as an invalid record.
package calllist

import (
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Upload size caps: 10MB for one file, 25MB for a zip file.
const (
	MaxCSVBytes = 10 << 20
	MaxZipBytes = 25 << 20
	// MaxNumbers is tel1…tel10.
	MaxNumbers = 10
	// FlowKeyPrefix starts a flow-variable column or trigger key.
	FlowKeyPrefix = "$flow.key."
	// ScheduleColumn is the ADS column "UNIX_TIMESTAMP:EXTENSION".
	ScheduleColumn = "*Schedule*"
)

// Record statuses (stored per record; the dialer moves PENDING records on).
const (
	StatusPending   = "PENDING"    // valid, added, waiting for its start time / the dialer
	StatusInProcess = "IN_PROCESS" // the dialer is working on it
	StatusComplete  = "COMPLETE"   // execution finished (the request summary's "Records Completed")
	StatusInvalid   = "INVALID"    // rejected: bad row, invalid number, duplicate, blacklisted
	StatusScrubbed  = "SCRUBBED"   // rejected by DNC/NDNC scrubbing
)

// Errors. Every file-level rejection wraps ErrRejected; the message says why.
var (
	ErrRejected = errors.New("call list rejected")
	ErrTooLarge = fmt.Errorf("%w: file too large", ErrRejected)
)

// Format of a call list file.
type Format string

const (
	FormatAuto Format = ""    // CSV if the header has tel1, ADS otherwise
	FormatCSV  Format = "csv" // tel1…tel10, starttime, $flow.key.<var>
	FormatADS  Format = "ads" // numbers|numbers, variables…, *Schedule*
)

// ParseFormat reads a format name ("", "auto", "csv", "ads").
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "csv":
		return FormatCSV, nil
	case "ads":
		return FormatADS, nil
	}
	return "", fmt.Errorf("unknown call list format %q (want csv, ads or auto)", s)
}

// Record is one customer to call.
type Record struct {
	// Row is the record's position in its source: the line number in a
	// file (the header is line 1), the 1-based index in a trigger's calls.
	Row              int
	ClientIdentifier string
	// Numbers as given, in order: tel1, tel2…, or the ADS "|" list. The
	// first is the primary number; attempt n dials NumberForAttempt(n).
	Numbers []string
	// Variables by flow variable name (without "$flow.key."), or by ADS
	// column header.
	Variables map[string]string
	// StartTime: the row's starttime, else the ADS schedule, else the
	// file name's common start time; nil means as soon as possible.
	StartTime *time.Time
	// ScheduleExtension is the EXTENSION of an ADS *Schedule* cell.
	ScheduleExtension string
	// Line is the record's line as it is in the uploaded file (without
	// its line end; the lines of a quoted multi-line cell included): the
	// ADS Detailed Report shows it as the record. Empty for records not
	// read from a file.
	Line string
}

// NumberForAttempt returns the number attempt n (1-based) dials: the list
// is rotated per attempt (ADS: first number first try, second number second
// try, … circulating).
func NumberForAttempt(numbers []string, attempt int) string {
	if len(numbers) == 0 {
		return ""
	}
	if attempt < 1 {
		attempt = 1
	}
	return numbers[(attempt-1)%len(numbers)]
}

// RowError is a rejected row. Reading continues after it.
type RowError struct {
	Row    int
	Reason string
	// Number is the row's first number as written, when the row got far
	// enough to have one (for the status report).
	Number string
	// ClientIdentifier is the row's client-identifier as written (the
	// client's key for the row, kept on the rejected row of the report).
	ClientIdentifier string
}

// clientID caps a client-identifier for a rejected row ("" if unusable).
func clientID(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 255 || !utf8.ValidString(s) {
		return ""
	}
	return s
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %s", e.Row, e.Reason) }

func rowErr(row int, format string, args ...any) *RowError {
	return &RowError{Row: row, Reason: fmt.Sprintf(format, args...)}
}

// ISO 8601 layouts accepted for starttime / start-time. Layouts without an
// offset are read in Options.Location.
var isoLayouts = []struct {
	layout string
	zoned  bool
}{
	{time.RFC3339Nano, true},
	{"2006-01-02T15:04:05.999999999Z0700", true},
	{"2006-01-02T15:04Z07:00", true},
	{"2006-01-02T15:04Z0700", true},
	{"20060102T150405Z0700", true},
	{"20060102T150405Z07:00", true},
	{"2006-01-02T15:04:05.999999999", false},
	{"2006-01-02T15:04", false},
	{"2006-01-02 15:04:05", false},
	{"2006-01-02 15:04", false},
	{"20060102T150405", false},
	{"2006-01-02", false},
}

// lastOffsetZone is the fixed zone of the last offset ParseISOTime read.
// Handed back to the parser, it is reused when the next value has the same
// offset (a call list's rows usually all do), where time.Parse would
// allocate a new zone per value. A value whose offset differs gets a zone
// of its own, as always.
var lastOffsetZone atomic.Pointer[time.Location]

func init() { lastOffsetZone.Store(time.UTC) }

// ParseISOTime parses an ISO 8601 date-time; one without an offset is in loc
// (UTC if nil). One with an offset is in a fixed zone of that offset (UTC
// for Z), whatever the machine's local zone.
func ParseISOTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range isoLayouts {
		var t time.Time
		var err error
		if l.zoned {
			z := lastOffsetZone.Load()
			t, err = time.ParseInLocation(l.layout, s, z)
			if err == nil && t.Location() != z && t.Location() != time.UTC {
				lastOffsetZone.Store(t.Location())
			}
		} else {
			t, err = time.ParseInLocation(l.layout, s, loc)
		}
		if err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time (e.g. 2026-11-21T15:04:05+05:30)", s)
}
