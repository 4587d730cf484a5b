package dialer

import (
	"strings"
	"sync"
	"time"

	"github.com/nyaruka/phonenumbers"
)

// TimeZoneVariables are the record variables (call-list columns, with or
// without the $flow.key. prefix) that name a record's IANA time zone; the
// first valid one wins over the zone derived from the number.
var TimeZoneVariables = []string{"timezone", "time_zone", "tz"}

// NextOpen returns the first instant at or after t when the window allows
// calls in loc (t itself when it already does). Local times are built with
// time.Date, so a start minute skipped by a DST change opens at the
// instant the clock jumps to, and a repeated hour opens at its first
// occurrence.
func (w Window) NextOpen(t time.Time, loc *time.Location) time.Time {
	if w.Allows(t, loc) {
		return t
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	for d := 0; d <= 2; d++ {
		c := time.Date(lt.Year(), lt.Month(), lt.Day()+d, w.StartMinute/60, w.StartMinute%60, 0, 0, loc)
		if c.After(t) && w.Allows(c, loc) {
			return c
		}
		// DST gap: the start minute does not exist that day; the first
		// allowed minute after the jump.
		if c.After(t) {
			for m := 1; m <= 120; m++ {
				if cc := c.Add(time.Duration(m) * time.Minute); w.Allows(cc, loc) {
					return cc.Truncate(time.Minute)
				}
			}
		}
	}
	return t.Add(24 * time.Hour) // unreachable for a valid non-empty window
}

var zoneCache sync.Map // string → *time.Location (nil value: invalid)

func loadZone(name string) *time.Location {
	if v, ok := zoneCache.Load(name); ok {
		loc, _ := v.(*time.Location)
		return loc
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "" || strings.EqualFold(name, "local") {
		loc = nil
	}
	zoneCache.Store(name, loc)
	return loc
}

// RecordLocation is the time zone the calling window is applied in for a
// record: a time-zone variable of the record, else the zone of the
// number's country or area when it has exactly one (libphonenumber's
// prefix → time-zone map; numbers without a country code are read in
// defaultRegion), else fallback (else UTC).
func RecordLocation(rec Record, number, defaultRegion string, fallback *time.Location) *time.Location {
	for _, k := range TimeZoneVariables {
		for _, key := range []string{k, "$flow.key." + k} {
			if v := strings.TrimSpace(rec.Variables[key]); v != "" {
				if loc := loadZone(v); loc != nil {
					return loc
				}
			}
		}
	}
	if loc := NumberLocation(number, defaultRegion); loc != nil {
		return loc
	}
	if fallback != nil {
		return fallback
	}
	return time.UTC
}

// NumberLocation is the single time zone of a number's area (nil when
// the number cannot be parsed or spans several zones, e.g. a US mobile
// prefix with no geographic area).
func NumberLocation(number, defaultRegion string) *time.Location {
	number = strings.TrimSpace(number)
	if number == "" {
		return nil
	}
	region := strings.ToUpper(defaultRegion)
	if region == "" && !strings.HasPrefix(number, "+") {
		number = "+" + number
	}
	pn, err := phonenumbers.Parse(number, region)
	if err != nil {
		return nil
	}
	zones, err := phonenumbers.GetTimezonesForNumber(pn)
	if err != nil || len(zones) != 1 || zones[0] == "Etc/Unknown" {
		return nil
	}
	return loadZone(zones[0])
}
