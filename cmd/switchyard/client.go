package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/calllistapi"
)

// Client is the CLI's HTTP client: it uploads call lists to a running
// server (`switchyard upload`) and reads their reports.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	APIKey  string
	HTTP    *http.Client // nil: http.DefaultClient
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) url(p string, q url.Values) string {
	u := strings.TrimSuffix(c.BaseURL, "/") + "/api/v1" + p
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// apiError reads the JSON error envelope of a failed response.
func apiError(resp *http.Response) error {
	var body api.ErrorBody
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &body) == nil && body.Error.Message != "" {
		if body.Error.Field != "" {
			return fmt.Errorf("%s (HTTP %d): %s: %s", body.Error.Code, resp.StatusCode, body.Error.Field, body.Error.Message)
		}
		return fmt.Errorf("%s (HTTP %d): %s", body.Error.Code, resp.StatusCode, body.Error.Message)
	}
	return fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
}

// Upload streams one file (.csv or .zip) to /api/v1/calllists/uploads;
// progress, if not nil, is called with the bytes sent so far and the file
// size.
func (c *Client) Upload(ctx context.Context, flowID, file, format string, progress func(done, total int64)) (calllistapi.UploadResponse, error) {
	f, err := os.Open(file)
	if err != nil {
		return calllistapi.UploadResponse{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return calllistapi.UploadResponse{}, err
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", filepath.Base(file))
		if err == nil {
			_, err = io.Copy(part, &countingReader{r: f, total: st.Size(), progress: progress})
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	q := url.Values{"flow_id": {flowID}}
	if format != "" {
		q.Set("format", format)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url("/calllists/uploads", q), pr)
	if err != nil {
		_ = pr.Close()
		return calllistapi.UploadResponse{}, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	resp, err := c.http().Do(req)
	if err != nil {
		_ = pr.CloseWithError(err)
		return calllistapi.UploadResponse{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return calllistapi.UploadResponse{}, apiError(resp)
	}
	var out calllistapi.UploadResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return calllistapi.UploadResponse{}, fmt.Errorf("reading the answer: %w", err)
	}
	return out, nil
}

type countingReader struct {
	r        io.Reader
	n, total int64
	progress func(done, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.progress != nil && (n > 0 || errors.Is(err, io.EOF)) {
		c.progress(c.n, c.total)
	}
	return n, err
}

// Report streams a request's status report CSV to w.
func (c *Client) Report(ctx context.Context, requestID string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/calllists/requests/"+url.PathEscape(requestID)+"/report.csv", nil), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.APIKey)
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return apiError(resp)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

// ProgressBar returns a progress callback drawing a one-line bar on w.
func ProgressBar(w io.Writer, label string) func(done, total int64) {
	return func(done, total int64) {
		const width = 30
		frac := 1.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		n := int(frac * width)
		fmt.Fprintf(w, "\r%s [%s%s] %3.0f%% %.1f/%.1f MB", label, strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100,
			float64(done)/(1<<20), float64(total)/(1<<20))
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}

// WriteSummary prints the per-file results and, for each accepted file,
// every record that was not added with its row and reason (from the
// status report). It returns the number of rejected files.
func (c *Client) WriteSummary(ctx context.Context, w io.Writer, up calllistapi.UploadResponse) (rejectedFiles int, err error) {
	for _, f := range up.Files {
		if f.Request == nil {
			rejectedFiles++
			fmt.Fprintf(w, "%s: REJECTED: %s\n", f.File, f.Error)
			continue
		}
		r := f.Request
		fmt.Fprintf(w, "%s: request %s (%s): %d records loaded, %d added, %d invalid, %d DNC-scrubbed\n",
			f.File, r.ID, r.Status, r.Uploaded, r.Added, r.Invalid, r.Scrubbed)
		if r.Invalid+r.Scrubbed == 0 {
			continue
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(c.Report(ctx, r.ID, pw)) }()
		cr := csv.NewReader(pr)
		hdr, err := cr.Read()
		if err != nil {
			_ = pr.CloseWithError(err)
			return rejectedFiles, fmt.Errorf("report of %s: %w", r.ID, err)
		}
		col := map[string]int{}
		for i, h := range hdr {
			col[h] = i
		}
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				_ = pr.CloseWithError(err)
				return rejectedFiles, fmt.Errorf("report of %s: %w", r.ID, err)
			}
			if st := rec[col["status"]]; st == "INVALID" || st == "SCRUBBED" {
				fmt.Fprintf(w, "  row %s %s: %s: %s\n", rec[col["row"]], rec[col["number"]], st, rec[col["reason"]])
			}
		}
	}
	return rejectedFiles, nil
}
