package calllist

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// uploadName matches the common-start-time file name of a call list,
// upload_<ddMMyyyyHHmmss>.csv (any digit count, so a wrong one is reported
// instead of silently ignored).
var uploadName = regexp.MustCompile(`(?i)^upload_([0-9]+)\.csv$`)

// FileStartTimeLayout is ddMMyyyyHHmmss as a Go layout.
const FileStartTimeLayout = "02012006150405"

// FileStartTime reads the common start time from a file named
// upload_<ddMMyyyyHHmmss>.csv (e.g. upload_08022020211200.csv is
// 8 Feb 2020 21:12:00), in loc (UTC if nil). ok is false for any other
// name; a name of that shape with an impossible date is an error.
func FileStartTime(name string, loc *time.Location) (t time.Time, ok bool, err error) {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	m := uploadName.FindStringSubmatch(base)
	if m == nil {
		return time.Time{}, false, nil
	}
	if len(m[1]) != len(FileStartTimeLayout) {
		return time.Time{}, false, fmt.Errorf("file name %q: the start time must be 14 digits, ddMMyyyyHHmmss (e.g. upload_08022020211200.csv), got %d digits", base, len(m[1]))
	}
	if loc == nil {
		loc = time.UTC
	}
	t, err = time.ParseInLocation(FileStartTimeLayout, m[1], loc)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("file name %q: %s is not a valid ddMMyyyyHHmmss date-time", base, m[1])
	}
	return t, true, nil
}
