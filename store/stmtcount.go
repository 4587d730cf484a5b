package store

import (
	"maps"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// stmtCounter counts the SQL statements the store runs, by kind (verb and
// table), while counting is on (CountStatements): how many statements a
// call costs, for benchmarks and tests. Off, it costs one atomic load per
// statement.
type stmtCounter struct {
	on atomic.Bool
	mu sync.Mutex
	n  map[string]int64
}

// CountStatements starts counting the store's SQL statements (all pools;
// transaction BEGIN/COMMIT are not statements of the store's and are not
// counted, savepoints are) and returns the function that stops counting
// and returns the counts by kind ("UPDATE call_attempts", "SELECT
// call_list_records"…). One count runs at a time.
func (s *Store) CountStatements() (stop func() map[string]int64) {
	c := s.stmts
	c.mu.Lock()
	c.n = map[string]int64{}
	c.mu.Unlock()
	c.on.Store(true)
	return func() map[string]int64 {
		c.on.Store(false)
		c.mu.Lock()
		defer c.mu.Unlock()
		return maps.Clone(c.n)
	}
}

func (c *stmtCounter) counting() bool { return c != nil && c.on.Load() }

func (c *stmtCounter) add(sql string) {
	k := stmtKind(sql)
	c.mu.Lock()
	if c.n != nil {
		c.n[k]++
	}
	c.mu.Unlock()
}

var (
	stmtTable = regexp.MustCompile(`(?i)^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM|SELECT\b.*?\bFROM)\s+["` + "`" + `]?([a-z0-9_]+)`)
	stmtWith  = regexp.MustCompile(`(?i)^\s*WITH\s+\w+\s+AS\s*\(\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+["` + "`" + `]?([a-z0-9_]+)`)
	stmtVerb  = regexp.MustCompile(`^\s*([A-Za-z]+)`)
)

// stmtKind names a statement by its verb and first table; a statement
// whose first common table expression writes is named by that write
// ("WITH UPDATE call_attempts").
func stmtKind(sql string) string {
	sql = strings.Join(strings.Fields(sql), " ")
	if m := stmtWith.FindStringSubmatch(sql); m != nil {
		return "WITH " + strings.ToUpper(strings.Fields(m[1])[0]) + " " + m[2]
	}
	if m := stmtTable.FindStringSubmatch(sql); m != nil {
		verb := strings.ToUpper(strings.Fields(m[1])[0])
		return verb + " " + m[2]
	}
	if m := stmtVerb.FindStringSubmatch(sql); m != nil {
		return strings.ToUpper(m[1])
	}
	return "?"
}
