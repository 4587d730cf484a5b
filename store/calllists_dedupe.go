package store

import "github.com/bits-and-blooms/bloom/v3"

// dupTracker finds, while a call list streams in, which primary numbers
// may repeat, so the duplicate marking after the insert only has to look at
// those numbers (and is skipped when there are none) instead of sorting
// every record of the request.
//
// Memory stays bounded whatever the file size: the first exactLimit numbers
// are kept exactly; past that they all go into one fixed-size Bloom filter
// (no false negatives, so no duplicate is ever missed; a false positive
// only adds a number to check). Numbers that hit are kept as candidates up
// to candLimit; past that the tracker gives up (overflow) and the import
// falls back to marking duplicates over the whole request.
type dupTracker struct {
	exact    map[string]struct{}
	filter   *bloom.BloomFilter
	cands    map[string]struct{}
	overflow bool
}

// The filter: 2^26 bits (8 MiB) and 7 hash functions give a false-positive
// rate of about 1e-7 at a million numbers and 0.8 % at ten million.
const (
	dupFilterBits   = 1 << 26
	dupFilterHashes = 7
)

var (
	dupExactLimit = 8192
	dupCandLimit  = 1 << 16
	// newDupFilter is replaceable by tests (a tiny filter forces false
	// positives).
	newDupFilter = func() *bloom.BloomFilter { return bloom.New(dupFilterBits, dupFilterHashes) }
)

func newDupTracker() *dupTracker {
	return &dupTracker{exact: make(map[string]struct{}), cands: make(map[string]struct{})}
}

// add records a valid record's primary number.
func (d *dupTracker) add(num string) {
	if d.overflow || num == "" {
		return
	}
	if d.filter == nil {
		if _, ok := d.exact[num]; ok {
			d.cand(num)
			return
		}
		d.exact[num] = struct{}{}
		if len(d.exact) > dupExactLimit {
			d.filter = newDupFilter()
			for n := range d.exact {
				d.filter.AddString(n)
			}
			d.exact = nil
		}
		return
	}
	if d.filter.TestAndAddString(num) {
		d.cand(num)
	}
}

func (d *dupTracker) cand(num string) {
	d.cands[num] = struct{}{}
	if len(d.cands) > dupCandLimit {
		d.overflow, d.cands = true, nil
	}
}
