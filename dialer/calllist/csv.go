package calllist

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Options configures a Reader.
type Options struct {
	// Format: FormatAuto (default) detects CSV (header has tel1) or ADS.
	Format Format
	// FileName: an upload_<ddMMyyyyHHmmss>.csv name sets the common start
	// time of the rows that have none.
	FileName string
	// Location of times without an offset (starttime without zone, the file
	// name's date). UTC if nil.
	Location *time.Location
	// Variables, when non-nil, are the flow's declared variables: a
	// $flow.key.<var> column naming another variable rejects the file.
	Variables []string
	// MaxBytes caps the input: 0 means MaxCSVBytes, negative means no cap.
	MaxBytes int64
}

// Reader streams the records of one CSV or ADS file.
type Reader struct {
	cr        *csv.Reader
	lim       *capReader
	tap       *tap
	format    Format
	header    []string
	start     *time.Time
	loc       *time.Location
	telCols   [MaxNumbers]int // column of telN+1, -1 if absent
	startCol  int
	clientCol int
	schedCol  int
	varCols   []varCol
	done      bool
	// skip is the byte-order mark's length; offset the CSV reader's
	// input offset after the last line read.
	skip, offset int64
}

type varCol struct {
	col  int
	name string
}

// capReader fails with ErrTooLarge once more than max bytes were read.
type capReader struct {
	r   io.Reader
	max int64
	n   int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.max < 0 {
		return c.r.Read(p)
	}
	if c.n > c.max {
		return 0, fmt.Errorf("%w: more than %d bytes (limit %d MB)", ErrTooLarge, c.max, c.max>>20)
	}
	if rem := c.max + 1 - c.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, fmt.Errorf("%w: more than %d bytes (limit %d MB)", ErrTooLarge, c.max, c.max>>20)
	}
	return n, err
}

// tap keeps the bytes read from the file that the CSV reader has not
// finished with yet, so each record's line can be handed on as uploaded:
// buf holds the input from offset base on (the buffered reader reads at
// most its buffer size ahead of the CSV reader).
type tap struct {
	r    io.Reader
	buf  []byte
	base int64
}

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.buf = append(t.buf, p[:n]...)
	return n, err
}

// line returns the input between offsets from and to (the CSV reader's
// offsets, i.e. after the byte-order mark skip of skip bytes), without its
// line end, and forgets everything before to.
func (t *tap) line(from, to, skip int64) string {
	from, to = from+skip-t.base, to+skip-t.base
	if from < 0 || to < from || to > int64(len(t.buf)) {
		return ""
	}
	l := string(t.buf[from:to])
	t.buf = append(t.buf[:0], t.buf[to:]...)
	t.base += to
	// Blank lines before it are skipped by the CSV reader, and so here.
	return strings.Trim(l, "\r\n")
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// notText refuses a file that is not UTF-8 text before its bytes reach
// an error message: UTF-16 (a byte-order mark, or NUL bytes between ASCII
// letters, as Excel's "Unicode text" writes) and binary files (NUL or
// invalid UTF-8 in the first line).
func notText(br *bufio.Reader) error {
	head, _ := br.Peek(4096)
	if len(head) >= 2 && (head[0] == 0xFF && head[1] == 0xFE || head[0] == 0xFE && head[1] == 0xFF) {
		return errors.New("the file is UTF-16 text; save it as CSV UTF-8 (comma delimited)")
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	if bytes.IndexByte(head, 0) >= 0 {
		if len(head) > 1 && (head[1] == 0 || head[0] == 0) {
			return errors.New("the file looks like UTF-16 text (NUL bytes between letters); save it as CSV UTF-8 (comma delimited)")
		}
		return errors.New("the file is binary, not CSV text")
	}
	if len(head) == 4096 {
		// No line end yet: a rune may be cut at the end of the peek.
		for i := 0; i < utf8.UTFMax-1 && len(head) > 0 && !utf8.FullRune(head[len(head)-1:]); i++ {
			head = head[:len(head)-1]
		}
	}
	if !utf8.Valid(head) {
		return errors.New("the header line is not UTF-8 text; save the file as CSV UTF-8 (comma delimited)")
	}
	return nil
}

// NewReader reads the header. A header that cannot be used rejects the
// whole file (an error wrapping ErrRejected that says which column and why).
func NewReader(r io.Reader, o Options) (*Reader, error) {
	max := o.MaxBytes
	if max == 0 {
		max = MaxCSVBytes
	}
	lim := &capReader{r: r, max: max}
	tp := &tap{r: lim}
	br := bufio.NewReaderSize(tp, 64<<10)
	var skip int64
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(3)
		skip = 3
	}
	if err := notText(br); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	loc := o.Location
	if loc == nil {
		loc = time.UTC
	}
	rd := &Reader{cr: cr, lim: lim, tap: tp, skip: skip, loc: loc, startCol: -1, clientCol: -1, schedCol: -1}
	for i := range rd.telCols {
		rd.telCols[i] = -1
	}
	if o.FileName != "" {
		t, ok, err := FileStartTime(o.FileName, loc)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrRejected, err)
		}
		if ok {
			rd.start = &t
		}
	}
	hdr, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: the file is empty (expected a header line)", ErrRejected)
	case errors.Is(err, ErrTooLarge):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%w: header line: %v", ErrRejected, err)
	}
	rd.offset = cr.InputOffset()
	tp.line(0, rd.offset, skip)
	rd.header = make([]string, len(hdr))
	for i, h := range hdr {
		rd.header[i] = strings.TrimSpace(h)
	}
	format := o.Format
	if format == FormatAuto {
		format = FormatADS
		for _, h := range rd.header {
			if strings.EqualFold(h, "tel1") {
				format = FormatCSV
			}
		}
		// No tel1: an ADS list, unless a header is a standard CSV header
		// mistyped — then say so instead of reading it as ADS.
		if format == FormatADS {
			if err := checkHeaderTypo(rd.header); err != nil {
				return nil, err
			}
		}
	}
	rd.format = format
	if format == FormatCSV {
		err = rd.csvHeader(o.Variables)
	} else {
		err = rd.adsHeader()
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRejected, err)
	}
	return rd, nil
}

func (rd *Reader) csvHeader(declared []string) error {
	var allowed map[string]bool
	if declared != nil {
		allowed = make(map[string]bool, len(declared))
		for _, v := range declared {
			allowed[v] = true
		}
	}
	seen := map[string]int{}
	for i, h := range rd.header {
		col := i + 1
		if h == "" {
			return fmt.Errorf("column %d has an empty header", col)
		}
		key := strings.ToLower(h)
		if strings.HasPrefix(h, FlowKeyPrefix) {
			key = h
		}
		if prev, dup := seen[key]; dup {
			return fmt.Errorf("column %d header %q repeats column %d", col, h, prev)
		}
		seen[key] = col
		switch {
		case strings.HasPrefix(h, FlowKeyPrefix):
			name := strings.TrimPrefix(h, FlowKeyPrefix)
			if err := validVarName(name); err != nil {
				return fmt.Errorf("column %d header %q: %v", col, h, err)
			}
			if allowed != nil && !allowed[name] {
				return fmt.Errorf("column %d header %q: the flow declares no variable %q (declared: %s)", col, h, name, strings.Join(declared, ", "))
			}
			rd.varCols = append(rd.varCols, varCol{col: i, name: name})
		case key == "starttime":
			rd.startCol = i
		case key == "client-identifier" || key == "client_identifier" || key == "clientidentifier":
			rd.clientCol = i
		case strings.HasPrefix(key, "tel"):
			n, err := strconv.Atoi(key[3:])
			if err != nil || n < 1 || n > MaxNumbers || key[3] == '0' {
				return fmt.Errorf("column %d header %q: number columns are tel1…tel%d", col, h, MaxNumbers)
			}
			rd.telCols[n-1] = i
		default:
			return fmt.Errorf("column %d header %q is not tel1…tel%d, starttime, client-identifier or %s<variable>", col, h, MaxNumbers, FlowKeyPrefix)
		}
	}
	if rd.telCols[0] < 0 {
		return fmt.Errorf("no tel1 column (the customer number with country code)")
	}
	return nil
}

func validVarName(name string) error {
	if name == "" {
		return errors.New("empty variable name")
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return errors.New("variable names cannot contain spaces or control characters")
	}
	if !utf8.ValidString(name) {
		return errors.New("variable name is not UTF-8")
	}
	return nil
}

func (rd *Reader) adsHeader() error {
	seen := map[string]int{}
	for i, h := range rd.header {
		if i == 0 {
			continue // the numbers column; the ADS dialer ignores its name
		}
		col := i + 1
		if h == "" {
			return fmt.Errorf("column %d has an empty header (ADS columns become variables named by their header)", col)
		}
		if prev, dup := seen[h]; dup {
			return fmt.Errorf("column %d header %q repeats column %d", col, h, prev)
		}
		seen[h] = col
		if h == ScheduleColumn {
			rd.schedCol = i
			continue
		}
		if err := validVarName(h); err != nil {
			return fmt.Errorf("column %d header %q: %v", col, h, err)
		}
		rd.varCols = append(rd.varCols, varCol{col: i, name: h})
	}
	return nil
}

// Format is the format in use (detected when Options.Format was auto).
func (rd *Reader) Format() Format { return rd.format }

// Header is the header line, trimmed.
func (rd *Reader) Header() []string { return rd.header }

// Next returns the next record. A bad row comes back as a *RowError and
// reading may continue; io.EOF ends the file; any other error (I/O, the
// size cap: ErrTooLarge) is fatal.
func (rd *Reader) Next() (Record, error) {
	if rd.done {
		return Record{}, io.EOF
	}
	fields, err := rd.cr.Read()
	from := rd.offset
	rd.offset = rd.cr.InputOffset()
	line := rd.tap.line(from, rd.offset, rd.skip)
	if err != nil {
		if errors.Is(err, io.EOF) {
			rd.done = true
			return Record{}, io.EOF
		}
		if errors.Is(err, ErrTooLarge) {
			rd.done = true
			return Record{}, err
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if errors.Is(pe.Err, csv.ErrQuote) {
				// An unterminated quote swallows the rest of the input.
				rd.done = true
				return Record{}, rowErr(pe.StartLine, "unterminated quoted field (starting line %d); the rest of the file could not be read", pe.StartLine)
			}
			return Record{}, rowErr(pe.StartLine, "malformed CSV: %v", pe.Err)
		}
		rd.done = true
		return Record{}, fmt.Errorf("read call list: %w", err)
	}
	row, _ := rd.cr.FieldPos(0)
	rec, err := rd.record(row, fields)
	rec.Line = line
	var re *RowError
	if errors.As(err, &re) && re.Number == "" {
		re.Number = rd.firstNumber(fields)
	}
	if errors.As(err, &re) && rd.clientCol >= 0 && rd.clientCol < len(fields) {
		re.ClientIdentifier = clientID(fields[rd.clientCol])
	}
	return rec, err
}

// firstNumber is the row's first number as written (tel1, or the first of
// the ADS list), capped, for the report of a rejected row.
func (rd *Reader) firstNumber(fields []string) string {
	c := 0
	if rd.format == FormatCSV {
		c = rd.telCols[0]
	}
	if c < 0 || c >= len(fields) {
		return ""
	}
	n := strings.TrimSpace(fields[c])
	if rd.format == FormatADS {
		n, _, _ = strings.Cut(n, "|")
		n = strings.TrimSpace(n)
	}
	if len(n) > 40 || !utf8.ValidString(n) {
		return ""
	}
	return n
}

func (rd *Reader) record(row int, fields []string) (Record, error) {
	if len(fields) != len(rd.header) {
		what := "missing"
		if len(fields) > len(rd.header) {
			what = "extra"
		}
		return Record{}, rowErr(row, "%s columns: the row has %d fields, the header has %d", what, len(fields), len(rd.header))
	}
	blank := true
	for i := range fields {
		fields[i] = strings.TrimSpace(fields[i])
		if fields[i] != "" {
			blank = false
		}
	}
	if blank {
		return Record{}, rowErr(row, "empty row (every field is blank)")
	}
	for i, f := range fields {
		if !utf8.ValidString(f) {
			return Record{}, rowErr(row, "column %d (%s) is not valid UTF-8", i+1, rd.header[i])
		}
	}
	if rd.format == FormatCSV {
		return rd.csvRecord(row, fields)
	}
	return rd.adsRecord(row, fields)
}

func (rd *Reader) vars(fields []string) map[string]string {
	if len(rd.varCols) == 0 {
		return nil
	}
	m := make(map[string]string, len(rd.varCols))
	for _, v := range rd.varCols {
		m[v.name] = fields[v.col]
	}
	return m
}

func (rd *Reader) csvRecord(row int, fields []string) (Record, error) {
	rec := Record{Row: row, StartTime: rd.start}
	if fields[rd.telCols[0]] == "" {
		return Record{}, rowErr(row, "tel1 is empty (the customer number is required)")
	}
	for _, c := range rd.telCols {
		if c >= 0 && fields[c] != "" {
			rec.Numbers = append(rec.Numbers, fields[c])
		}
	}
	if rd.startCol >= 0 && fields[rd.startCol] != "" {
		t, err := ParseISOTime(fields[rd.startCol], rd.loc)
		if err != nil {
			return Record{}, rowErr(row, "starttime: %v", err)
		}
		rec.StartTime = &t
	}
	if rd.clientCol >= 0 {
		rec.ClientIdentifier = fields[rd.clientCol]
	}
	rec.Variables = rd.vars(fields)
	return rec, nil
}

func (rd *Reader) adsRecord(row int, fields []string) (Record, error) {
	rec := Record{Row: row, StartTime: rd.start}
	if fields[0] == "" {
		return Record{}, rowErr(row, "the first column (numbers to dial) is empty")
	}
	for i, n := range strings.Split(fields[0], "|") {
		n = strings.TrimSpace(n)
		if n == "" {
			return Record{}, rowErr(row, "number %d of %q is empty (numbers are separated by a single |)", i+1, fields[0])
		}
		rec.Numbers = append(rec.Numbers, n)
	}
	if rd.schedCol >= 0 && fields[rd.schedCol] != "" {
		t, ext, err := ParseSchedule(fields[rd.schedCol])
		if err != nil {
			return Record{}, rowErr(row, "%s: %v", ScheduleColumn, err)
		}
		rec.StartTime = &t
		rec.ScheduleExtension = ext
	}
	rec.Variables = rd.vars(fields)
	return rec, nil
}

// ParseSchedule reads an ADS *Schedule* cell, UNIX_TIMESTAMP:EXTENSION
// (e.g. "1298635200:1101" = 2011-02-25 09:00:00 UTC-3 to agent 1101).
func ParseSchedule(s string) (time.Time, string, error) {
	ts, ext, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		return time.Time{}, "", fmt.Errorf("%q is not UNIX_TIMESTAMP:EXTENSION", s)
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil || sec <= 0 || sec > 253402300799 {
		return time.Time{}, "", fmt.Errorf("%q: %q is not a UNIX timestamp", s, ts)
	}
	ext = strings.TrimSpace(ext)
	if ext == "" {
		return time.Time{}, "", fmt.Errorf("%q: the extension after ':' is empty", s)
	}
	if strings.ContainsFunc(ext, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return time.Time{}, "", fmt.Errorf("%q: the extension contains spaces or control characters", s)
	}
	return time.Unix(sec, 0).UTC(), ext, nil
}

// Template is the CSV template for a flow: the header line built from its
// declared variables.
func Template(variables []string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	hdr := make([]string, 0, MaxNumbers+2+len(variables))
	for i := 1; i <= MaxNumbers; i++ {
		hdr = append(hdr, "tel"+strconv.Itoa(i))
	}
	hdr = append(hdr, "starttime", "client-identifier")
	for _, v := range variables {
		hdr = append(hdr, FlowKeyPrefix+v)
	}
	_ = w.Write(hdr)
	w.Flush()
	return b.Bytes()
}
