package calllist

import (
	"fmt"
	"strconv"
	"strings"
)

// ErrHeaderTypo rejects a file whose header has no tel1 column but a
// column that looks like one of the standard CSV headers (tell1, "tel 1",
// Tel_2, startime, client_identifer, $flow.key.name…). Auto-detection
// would otherwise read it as an ADS list — its numbers column the first
// one, every other header a variable — and dial the wrong thing without a
// word. It wraps ErrRejected.
var ErrHeaderTypo = fmt.Errorf("%w: header looks like a mistyped standard CSV header", ErrRejected)

// standardHeaders are the CSV headers a near miss is compared with.
var standardHeaders = func() []string {
	hs := []string{"starttime", "client-identifier"}
	for i := 1; i <= MaxNumbers; i++ {
		hs = append(hs, "tel"+strconv.Itoa(i))
	}
	return hs
}()

// squash lowercases h and drops spaces, '_' and '-'.
func squash(h string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, h)
}

// nearStandard returns the standard header h was probably meant to be
// ("" if none): the same after squashing, or within a small edit
// distance (1 for telN, 2 for the longer names). A tel near miss must
// hold a digit: "tel", "phone" or "numbers" name an ADS numbers column.
func nearStandard(h string) string {
	if strings.HasPrefix(strings.ToLower(h), "$flow") {
		return FlowKeyPrefix + "<variable>"
	}
	sq := squash(h)
	if sq == "" {
		return ""
	}
	for _, std := range standardHeaders {
		if sq == squash(std) {
			return std
		}
	}
	for _, std := range standardHeaders {
		ssq := squash(std)
		if strings.HasPrefix(std, "tel") {
			if !strings.ContainsAny(sq, "0123456789") || editDistance(sq, ssq) > 1 {
				continue
			}
			return std
		}
		if len(sq) >= 6 && editDistance(sq, ssq) <= 2 {
			return std
		}
	}
	return ""
}

// checkHeaderTypo is the auto-detection's guard: header has no tel1.
func checkHeaderTypo(header []string) error {
	for i, h := range header {
		if h == ScheduleColumn {
			continue
		}
		if std := nearStandard(h); std != "" {
			return fmt.Errorf("%w: column %d header %q looks like %q, but the file has no tel1 column. Fix the header to upload it as a standard CSV (tel1…tel%d, starttime, client-identifier, %s<variable>), or choose format=ads to upload it as an ADS list",
				ErrHeaderTypo, i+1, clipHeader(h), std, MaxNumbers, FlowKeyPrefix)
		}
	}
	return nil
}

func clipHeader(h string) string {
	if len(h) > 64 {
		return h[:64] + "…"
	}
	return h
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
