package calllist

import (
	"regexp"
	"regexp/syntax"
	"sync"
	"sync/atomic"
)

// digitDFA matches a fully anchored pattern ("^(?:…)$") against strings of
// ASCII digits with a lazily built DFA (Go's regexp re-runs an NFA or
// backtracker per call: ~1 µs for a metadata pattern; a DFA step is an
// array load). It is exact: states are sets of the compiled program's
// instructions. Anything it cannot handle (a non-digit input, an unusual
// empty-width assertion, too many states) falls back to the regexp.
type digitDFA struct {
	re    *regexp.Regexp
	prog  *syntax.Prog
	ok    bool // the program only uses what the DFA supports
	mu    sync.Mutex
	cache map[string]*dstate
	start *dstate
	full  atomic.Bool // state cap reached: use the regexp
	// prefix: the pattern is "^(?:…)" without "$": it matches when any
	// prefix of the input does.
	prefix bool
}

type dstate struct {
	pcs     []uint32 // consuming instructions (runes) in the state
	pending []uint32 // EmptyWidth(end) instructions, resolved at the end
	accept  bool     // a Match is reachable at the end of input from here
	match   bool     // a Match is reachable without consuming more input anywhere
	next    [10]atomic.Pointer[dstate]
}

const maxDFAStates = 4096

func newDigitDFA(pattern string) *digitDFA {
	d := &digitDFA{re: regexp.MustCompile(pattern), cache: map[string]*dstate{}}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return d
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return d
	}
	d.prog = prog
	d.ok = true
	for _, in := range prog.Inst {
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch, syntax.InstCapture, syntax.InstNop, syntax.InstMatch, syntax.InstFail,
			syntax.InstRune, syntax.InstRune1, syntax.InstRuneAny, syntax.InstRuneAnyNotNL:
		case syntax.InstEmptyWidth:
			if syntax.EmptyOp(in.Arg)&^(syntax.EmptyBeginText|syntax.EmptyEndText|syntax.EmptyBeginLine|syntax.EmptyEndLine) != 0 {
				d.ok = false
			}
		default:
			d.ok = false
		}
	}
	if d.ok {
		d.mu.Lock()
		d.start = d.closure([]uint32{uint32(prog.Start)}, syntax.EmptyBeginText|syntax.EmptyBeginLine)
		d.mu.Unlock()
	}
	return d
}

// newDigitPrefixDFA matches "^(?:pattern)" at the start of the input.
func newDigitPrefixDFA(pattern string) *digitDFA {
	d := newDigitDFA("^(?:" + pattern + ")")
	d.prefix = true
	return d
}

// closure follows non-consuming instructions from pcs under the empty-width
// flags; EmptyEnd* ones that are not satisfied stay pending. Caller holds mu.
func (d *digitDFA) closure(pcs []uint32, flags syntax.EmptyOp) *dstate {
	seen := make(map[uint32]bool)
	var cons, pend []uint32
	match := false
	var add func(pc uint32)
	add = func(pc uint32) {
		if seen[pc] {
			return
		}
		seen[pc] = true
		in := &d.prog.Inst[pc]
		switch in.Op {
		case syntax.InstAlt, syntax.InstAltMatch:
			add(in.Out)
			add(in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			add(in.Out)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			if op&flags == op {
				add(in.Out)
			} else if op&(syntax.EmptyEndText|syntax.EmptyEndLine) != 0 && op&(syntax.EmptyBeginText|syntax.EmptyBeginLine) == 0 {
				pend = append(pend, pc)
			}
		case syntax.InstMatch:
			match = true
		case syntax.InstFail:
		default:
			cons = append(cons, pc)
		}
	}
	for _, pc := range pcs {
		add(pc)
	}
	sortU32(cons)
	sortU32(pend)
	key := make([]byte, 0, 4*(len(cons)+len(pend))+1)
	for _, pc := range cons {
		key = append(key, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
	}
	key = append(key, 0xff)
	for _, pc := range pend {
		key = append(key, byte(pc), byte(pc>>8), byte(pc>>16), byte(pc>>24))
	}
	if match {
		key = append(key, 'M')
	}
	if s, ok := d.cache[string(key)]; ok {
		return s
	}
	s := &dstate{pcs: cons, pending: pend}
	// Accept at end: a Match already reached (only possible when the
	// pattern's end needs no assertion) or reachable through pending
	// end-of-text assertions.
	s.accept, s.match = match, match
	if !s.accept && len(pend) > 0 {
		s.accept = d.acceptsAtEnd(pend)
	}
	d.cache[string(key)] = s
	if len(d.cache) > maxDFAStates {
		d.full.Store(true)
	}
	return s
}

func (d *digitDFA) acceptsAtEnd(pcs []uint32) bool {
	flags := syntax.EmptyEndText | syntax.EmptyEndLine
	seen := map[uint32]bool{}
	var walk func(pc uint32) bool
	walk = func(pc uint32) bool {
		if seen[pc] {
			return false
		}
		seen[pc] = true
		in := &d.prog.Inst[pc]
		switch in.Op {
		case syntax.InstMatch:
			return true
		case syntax.InstAlt, syntax.InstAltMatch:
			return walk(in.Out) || walk(in.Arg)
		case syntax.InstCapture, syntax.InstNop:
			return walk(in.Out)
		case syntax.InstEmptyWidth:
			op := syntax.EmptyOp(in.Arg)
			if op&flags == op {
				return walk(in.Out)
			}
		}
		return false
	}
	for _, pc := range pcs {
		if walk(pc) {
			return true
		}
	}
	return false
}

func sortU32(a []uint32) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

func (d *digitDFA) step(s *dstate, c byte) *dstate {
	if n := s.next[c-'0'].Load(); n != nil {
		return n
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if n := s.next[c-'0'].Load(); n != nil {
		return n
	}
	var outs []uint32
	for _, pc := range s.pcs {
		if d.prog.Inst[pc].MatchRune(rune(c)) {
			outs = append(outs, d.prog.Inst[pc].Out)
		}
	}
	n := d.closure(outs, 0)
	s.next[c-'0'].Store(n)
	return n
}

// MatchString reports whether s matches the pattern.
func (d *digitDFA) MatchString(s string) bool {
	if !d.ok || d.full.Load() {
		return d.re.MatchString(s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return d.re.MatchString(s)
		}
	}
	st := d.start
	if d.prefix && st.match {
		return true
	}
	for i := 0; i < len(s); i++ {
		st = d.step(st, s[i])
		if d.prefix && st.match {
			return true
		}
		if len(st.pcs) == 0 && len(st.pending) == 0 && !st.accept {
			return false
		}
	}
	return st.accept
}
