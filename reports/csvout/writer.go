package csvout

import (
	"io"
	"sync"
)

// CSV writing for the report downloads: RFC 4180 quoting plus formula
// neutralising. A cell a spreadsheet would run as a formula — one that
// starts with '=', '+', '-', '@', a tab or a carriage return — is written
// with a leading apostrophe ("'=1+1"), which spreadsheets show as text,
// except a phone number ('+' and digits only; see package csvout).
// Rows go into a pooled buffer that is flushed to the destination whenever
// it passes flushAt bytes, so memory stays constant however many rows a
// report has.

const (
	flushAt = 32 << 10
	bufCap  = 64 << 10
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, bufCap); return &b }}

// Writer writes CSV rows to w.
type Writer struct {
	w   io.Writer
	buf *[]byte
	err error
	// Flushed is called after each flush to w (e.g. http.Flusher.Flush).
	Flushed func()
}

// NewWriter returns a writer; Close returns its buffer to the pool.
func NewWriter(w io.Writer) *Writer {
	b := bufPool.Get().(*[]byte)
	*b = (*b)[:0]
	return &Writer{w: w, buf: b}
}

// needsQuote reports whether a cell must be quoted.
func needsQuote(c []byte) bool {
	for _, b := range c {
		switch b {
		case ',', '"', '\n', '\r':
			return true
		}
	}
	// A leading space is kept verbatim but quoted, as encoding/csv does.
	return len(c) > 0 && (c[0] == ' ' || c[0] == '\t')
}

// isFormula is the shared rule (package csvout).
func isFormula(c []byte) bool { return IsFormula(c) }

// AppendCell appends one CSV cell (without separator) to dst.
func AppendCell(dst, c []byte) []byte {
	formula := isFormula(c)
	if !needsQuote(c) {
		if formula {
			dst = append(dst, '\'')
		}
		return append(dst, c...)
	}
	dst = append(dst, '"')
	if formula {
		dst = append(dst, '\'')
	}
	for {
		i := indexQuote(c)
		if i < 0 {
			dst = append(dst, c...)
			break
		}
		dst = append(dst, c[:i+1]...)
		dst = append(dst, '"')
		c = c[i+1:]
	}
	return append(dst, '"')
}

func indexQuote(c []byte) int {
	for i, b := range c {
		if b == '"' {
			return i
		}
	}
	return -1
}

// Write writes one row of cells.
func (w *Writer) Write(cells [][]byte) error {
	if w.err != nil {
		return w.err
	}
	b := *w.buf
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendCell(b, c)
	}
	b = append(b, '\r', '\n')
	*w.buf = b
	if len(b) >= flushAt {
		return w.Flush()
	}
	return nil
}

// WriteStrings writes one row of string cells.
func (w *Writer) WriteStrings(cells ...string) error {
	if w.err != nil {
		return w.err
	}
	b := *w.buf
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendCell(b, []byte(c))
	}
	b = append(b, '\r', '\n')
	*w.buf = b
	if len(b) >= flushAt {
		return w.Flush()
	}
	return nil
}

// WriteRaw appends bytes as they are (no CSV quoting), flushing like Write:
// the writer doubles as a pooled, flushing buffer for other streamed
// formats (a JSON report).
func (w *Writer) WriteRaw(b []byte) error {
	if w.err != nil {
		return w.err
	}
	*w.buf = append(*w.buf, b...)
	if len(*w.buf) >= flushAt {
		return w.Flush()
	}
	return nil
}

// Flush writes the buffered rows to the destination.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(*w.buf) == 0 {
		return nil
	}
	_, w.err = w.w.Write(*w.buf)
	*w.buf = (*w.buf)[:0]
	if w.err == nil && w.Flushed != nil {
		w.Flushed()
	}
	return w.err
}

// Discard drops the rows buffered since the last flush (on an error, so
// that a response not yet started can still become an error response).
func (w *Writer) Discard() {
	if w.buf != nil {
		*w.buf = (*w.buf)[:0]
	}
}

// Close flushes and releases the buffer; the writer must not be used
// afterwards.
func (w *Writer) Close() error {
	err := w.Flush()
	if w.buf != nil {
		if cap(*w.buf) <= 4*bufCap {
			bufPool.Put(w.buf)
		}
		w.buf = nil
	}
	if w.err == nil {
		w.err = io.ErrClosedPipe
	}
	return err
}
