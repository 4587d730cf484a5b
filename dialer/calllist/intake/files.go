package intake

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/store"
)

// MaxUploadBytes caps one upload (a 25 MB zip plus form overhead).
const MaxUploadBytes = calllist.MaxZipBytes + 1<<20

// FileResult is the outcome of one uploaded file (or one CSV of a zip):
// the request it created, or why it was rejected.
type FileResult struct {
	File    string                 `json:"file"`
	Request *store.CallListRequest `json:"request,omitempty"`
	Error   string                 `json:"error,omitempty"`
	// Code classifies Error: csv_header_typo (a mistyped standard CSV
	// header in a file without tel1: fix it, or send format=ads),
	// file_rejected (any other problem of the file).
	Code string `json:"code,omitempty"`
}

// fileErrorCode is FileResult.Code for a rejected file.
func fileErrorCode(err error) string {
	if errors.Is(err, calllist.ErrHeaderTypo) {
		return "csv_header_typo"
	}
	return "file_rejected"
}

// Upload is one upload's context: its files go to one flow, are read in
// one format and are screened with the account's validator as it was when
// the upload began.
type Upload struct {
	Account int64
	Flow    Flow
	Format  calllist.Format
	Source  string // store.SourceUpload, store.SourceEmail, ...
	v       *calllist.Validator
}

// Begin starts an upload of files for flow f of acc.
func (im *Importer) Begin(ctx context.Context, acc int64, f Flow, format calllist.Format, source string) (*Upload, error) {
	v, err := im.validator(ctx, acc, f)
	if err != nil {
		return nil, err
	}
	return &Upload{Account: acc, Flow: f, Format: format, Source: source, v: v}, nil
}

// IsMaxBytes reports whether err is the HTTP transport's body cap
// (http.MaxBytesReader) being hit.
func IsMaxBytes(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// ErrUnsupportedFile is the FileResult.Error of an uploaded file that is
// neither a CSV nor a zip.
const ErrUnsupportedFile = "unsupported file type: upload a .csv or a .zip of .csv files"

// Import imports one uploaded file by its extension: a .csv/.txt is one
// request, a .zip one per CSV inside, anything else is rejected. The error
// is for a zip that could not be spooled (the upload itself is broken).
func (im *Importer) Import(ctx context.Context, u *Upload, name string, r io.Reader) ([]FileResult, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".csv", ".txt":
		return []FileResult{im.ImportFile(ctx, u, name, r)}, nil
	case ".zip":
		return im.ImportZip(ctx, u, name, r)
	}
	return []FileResult{{File: name, Error: ErrUnsupportedFile}}, nil
}

// ImportFile imports one CSV/ADS file as one request.
func (im *Importer) ImportFile(ctx context.Context, u *Upload, name string, r io.Reader) FileResult {
	res := FileResult{File: name}
	f := u.Flow
	rd, err := calllist.NewReader(r, calllist.Options{Format: u.Format, FileName: name, Location: im.Location(ctx, u.Account), Variables: f.Variables, MaxBytes: calllist.MaxCSVBytes})
	if err != nil {
		res.Error, res.Code = fileError(err), fileErrorCode(err)
		return res
	}
	req, err := im.c.Store.ImportCallList(ctx, store.CallListImport{
		AccountID: u.Account, FlowID: f.ID, FlowName: f.Name, FlowType: f.Type, Source: u.Source, FileName: name,
	}, source(rd.Next, u.v))
	if err != nil {
		res.Error, res.Code = fileError(err), fileErrorCode(err)
		if res.Error == "" {
			im.log.Error("call list import failed", "file", name, "err", err)
			res.Error = "internal error while storing the call list"
		}
		return res
	}
	res.Request = &req
	return res
}

// fileError is the client message for a file-level rejection ("" if the
// error is not the client's).
func fileError(err error) string {
	switch {
	case errors.Is(err, calllist.ErrRejected):
		// The reader's own rejection (the store returns it unwrapped).
		return err.Error()
	case errors.Is(err, store.ErrInvalid):
		return switchyard.ClientMessage(err)
	case IsMaxBytes(err):
		return fmt.Sprintf("the upload exceeds %d MB", MaxUploadBytes>>20)
	case errors.Is(err, calllist.ErrZipLies):
		return err.Error()
	}
	return ""
}

// ImportZip imports each CSV of a zip as its own request (File is
// "<zip>/<entry>"). The zip is spooled to a temporary file: its directory
// is at the end.
func (im *Importer) ImportZip(ctx context.Context, u *Upload, name string, r io.Reader) ([]FileResult, error) {
	tmp, err := os.CreateTemp("", "switchyard-upload-*.zip")
	if err != nil {
		return nil, fmt.Errorf("spool zip: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := io.Copy(tmp, io.LimitReader(r, calllist.MaxZipBytes+1))
	if err != nil {
		if IsMaxBytes(err) {
			return []FileResult{{File: name, Error: fmt.Sprintf("the upload exceeds %d MB", MaxUploadBytes>>20)}}, nil
		}
		return nil, err
	}
	if n > calllist.MaxZipBytes {
		return []FileResult{{File: name, Error: fmt.Sprintf("%s: the zip exceeds %d MB", calllist.ErrTooLarge, calllist.MaxZipBytes>>20)}}, nil
	}
	var out []FileResult
	err = calllist.ReadZip(tmp, n, func(zf calllist.ZipFile, zr io.Reader) error {
		res := im.ImportFile(ctx, u, zf.Name, zr)
		res.File = name + "/" + zf.Name
		out = append(out, res)
		return nil
	}, func(zf calllist.ZipFile, reason string) error {
		out = append(out, FileResult{File: name + "/" + zf.Name, Error: reason})
		return nil
	})
	if err != nil {
		out = append(out, FileResult{File: name, Error: err.Error()})
	}
	return out, nil
}

// Attachment is one file attached to an emailed call list.
type Attachment struct {
	Name string
	Data []byte
}

// ImportAttachments imports the .csv/.txt/.zip attachments of a mail (other
// extensions are skipped: the mail transport reports them). A CSV over
// calllist.MaxCSVBytes and an unreadable zip are rejected files.
func (im *Importer) ImportAttachments(ctx context.Context, u *Upload, atts []Attachment) []FileResult {
	var results []FileResult
	for _, a := range atts {
		switch strings.ToLower(path.Ext(a.Name)) {
		case ".csv", ".txt":
			if len(a.Data) > calllist.MaxCSVBytes {
				results = append(results, FileResult{File: a.Name, Error: fmt.Sprintf("%v: %d bytes, limit %d MB per CSV", calllist.ErrTooLarge, len(a.Data), calllist.MaxCSVBytes>>20)})
				continue
			}
			results = append(results, im.ImportFile(ctx, u, a.Name, bytes.NewReader(a.Data)))
		case ".zip":
			res, err := im.ImportZip(ctx, u, a.Name, bytes.NewReader(a.Data))
			if err != nil {
				res = []FileResult{{File: a.Name, Error: "could not read the zip: " + err.Error()}}
			}
			results = append(results, res...)
		}
	}
	return results
}

// CheckListMeta refuses a bad list name or accountcode for an upload
// before anything is imported.
func CheckListMeta(name, code string) error {
	if err := (store.CallListMeta{Name: &name}).Validate(); err != nil {
		return switchyard.Invalid("name", "at most 200 characters, no control characters")
	}
	if err := (store.CallListMeta{Accountcode: &code}).Validate(); err != nil {
		return switchyard.Invalid("accountcode", "at most 64 printable ASCII characters without spaces")
	}
	return nil
}

// ApplyListMeta gives the requests of an upload a list name and
// accountcode (empty: left as they are); files get the updated requests.
func (im *Importer) ApplyListMeta(ctx context.Context, acc int64, files []FileResult, name, code string) error {
	if name == "" && code == "" {
		return nil
	}
	m := store.CallListMeta{}
	if name != "" {
		m.Name = &name
	}
	if code != "" {
		m.Accountcode = &code
	}
	for i, f := range files {
		if f.Request == nil {
			continue
		}
		r, err := im.c.Store.SetCallListMeta(ctx, acc, f.Request.ID, m)
		if err != nil {
			return err
		}
		files[i].Request = &r
	}
	return nil
}

// ReportHeader is the status report's CSV header.
var ReportHeader = []string{"row", "client-identifier", "number", "numbers", "status", "reason", "starttime", "schedule-extension", "attempts", "updated"}

// WriteReport writes a request's status report CSV: one line per uploaded
// row with its status and reason, times in the account's zone.
func (im *Importer) WriteReport(ctx context.Context, out io.Writer, acc int64, requestID string) error {
	bw := bufio.NewWriter(out)
	cw := csv.NewWriter(bw)
	_ = cw.Write(ReportHeader)
	loc := im.Location(ctx, acc)
	err := im.c.Store.EachCallListRecord(ctx, acc, requestID, func(r store.CallListRecord) error {
		st := ""
		if r.StartTime != nil {
			st = r.StartTime.In(loc).Format(time.RFC3339)
		}
		// Client-supplied cells (identifier, numbers, reasons quoting
		// them) are neutralised: the report is opened in spreadsheets.
		return cw.Write(csvout.Row([]string{strconv.FormatInt(r.Row, 10), r.ClientIdentifier, r.PrimaryNumber, strings.Join(r.Numbers, "|"), r.Status, r.Reason,
			st, r.ScheduleExtension, strconv.Itoa(r.Attempts), r.UpdatedAt.In(loc).Format(time.RFC3339)}))
	})
	cw.Flush()
	if err == nil {
		err = cw.Error()
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}
