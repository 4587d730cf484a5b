package calllist

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Zip guards (besides MaxZipBytes for the archive and MaxCSVBytes per file).
const (
	// MaxZipEntries caps the number of files in an archive.
	MaxZipEntries = 1000
	// MaxZipTotal caps the uncompressed bytes of all files together.
	MaxZipTotal = 200 << 20
	// MaxZipRatio caps a file's compression ratio (zip-bomb guard); CSVs
	// of phone numbers compress 5–20×.
	MaxZipRatio = 200
)

// ZipFile is one member of an archive handed to the callback of ReadZip.
type ZipFile struct {
	Name string // path inside the archive
	Size int64  // declared uncompressed size
}

// ReadZip checks an archive of size bytes and calls fn for each CSV in it,
// in archive order, with a reader capped at MaxCSVBytes that also enforces
// the declared size and the compression ratio. A member that is not a
// usable CSV is passed to reject with the reason instead (per-file result,
// the other files go on). An error from fn or reject stops the walk. The
// archive itself failing the guards rejects it as a whole (ErrRejected).
func ReadZip(ra io.ReaderAt, size int64, fn func(f ZipFile, r io.Reader) error, reject func(f ZipFile, reason string) error) error {
	if size > MaxZipBytes {
		return fmt.Errorf("%w: the zip is %d bytes, limit %d MB", ErrTooLarge, size, MaxZipBytes>>20)
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return fmt.Errorf("%w: not a readable zip archive: %v", ErrRejected, err)
	}
	if n := len(zr.File); n > MaxZipEntries {
		return fmt.Errorf("%w: the zip has %d entries, limit %d", ErrRejected, n, MaxZipEntries)
	}
	var total uint64
	files := 0
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		files++
		zf := ZipFile{Name: f.Name, Size: int64(f.UncompressedSize64)}
		base := path.Base(f.Name)
		switch {
		case strings.HasPrefix(base, "._") || strings.HasPrefix(f.Name, "__MACOSX/"):
			if err := reject(zf, "macOS metadata file, not a call list"); err != nil {
				return err
			}
			continue
		case !strings.EqualFold(path.Ext(base), ".csv"):
			if err := reject(zf, "not a .csv file (a zip may only contain .csv call lists)"); err != nil {
				return err
			}
			continue
		case f.UncompressedSize64 > MaxCSVBytes:
			if err := reject(zf, fmt.Sprintf("%d bytes uncompressed, limit %d MB per CSV", f.UncompressedSize64, MaxCSVBytes>>20)); err != nil {
				return err
			}
			continue
		case f.CompressedSize64 > 0 && f.UncompressedSize64/f.CompressedSize64 > MaxZipRatio:
			if err := reject(zf, fmt.Sprintf("compression ratio %d:1 exceeds %d:1 (zip bomb guard)", f.UncompressedSize64/f.CompressedSize64, MaxZipRatio)); err != nil {
				return err
			}
			continue
		}
		total += f.UncompressedSize64
		if total > MaxZipTotal {
			return fmt.Errorf("%w: the zip expands to more than %d MB", ErrTooLarge, MaxZipTotal>>20)
		}
		rc, err := f.Open()
		if err != nil {
			if err := reject(zf, fmt.Sprintf("cannot open: %v", err)); err != nil {
				return err
			}
			continue
		}
		// The declared size can lie: never read more than it says (+1 to
		// detect the lie), and never more than the per-file cap.
		lr := &lieReader{r: rc, max: int64(f.UncompressedSize64)}
		err = fn(zf, lr)
		_ = rc.Close()
		if err != nil {
			return err
		}
	}
	if files == 0 {
		return fmt.Errorf("%w: the zip contains no files", ErrRejected)
	}
	return nil
}

// ErrZipLies: a member decompresses to more bytes than its header declares.
var ErrZipLies = errors.New("zip member is larger than its declared size (zip bomb guard)")

type lieReader struct {
	r   io.Reader
	max int64
	n   int64
}

func (l *lieReader) Read(p []byte) (int, error) {
	if l.n > l.max {
		return 0, ErrZipLies
	}
	if rem := l.max + 1 - l.n; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.max {
		return n, ErrZipLies
	}
	return n, err
}
