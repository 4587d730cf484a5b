package ari

import (
	"context"
	"sync"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Mailbox is an unbounded FIFO of events for one call. Put never blocks and
// never drops, so the router can never be slowed or forced to discard by a
// busy call; the call goroutine drains it at its own pace.
type Mailbox struct {
	mu     sync.Mutex
	q      []ariv6.Event // q[head:] are pending
	head   int
	notify chan struct{} // capacity 1: "something may be pending"
}

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox {
	return &Mailbox{notify: make(chan struct{}, 1)}
}

// Put appends an event. It never blocks.
func (m *Mailbox) Put(ev ariv6.Event) {
	m.mu.Lock()
	m.q = append(m.q, ev)
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// TryNext returns the oldest pending event, if any.
func (m *Mailbox) TryNext() (ariv6.Event, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.head == len(m.q) {
		return nil, false
	}
	ev := m.q[m.head]
	m.q[m.head] = nil
	m.head++
	if m.head == len(m.q) { // drained: reuse the backing array
		m.q = m.q[:0]
		m.head = 0
	} else if m.head > 64 && m.head*2 > len(m.q) { // compact a long-lived backlog
		n := copy(m.q, m.q[m.head:])
		clear(m.q[n:])
		m.q = m.q[:n]
		m.head = 0
	}
	return ev, true
}

// Len reports how many events are pending.
func (m *Mailbox) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.q) - m.head
}

// Ready is signalled after Put; use it in a select with TryNext.
func (m *Mailbox) Ready() <-chan struct{} { return m.notify }

// Next waits for the next event or the end of ctx.
func (m *Mailbox) Next(ctx context.Context) (ariv6.Event, error) {
	for {
		if ev, ok := m.TryNext(); ok {
			return ev, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-m.notify:
		}
	}
}
