package asterisktest

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// CutProxy is a TCP proxy between Switchyard and ARI that a test can cut:
// every connection through it (the events websocket and the REST
// keep-alive connections) is closed at once, and new ones are refused for a
// while (the port is closed: connection refused), like a network failure
// between the two.
type CutProxy struct {
	// Info is the proxied ARI (URL and WSURL through the proxy).
	Info
	ln     net.Listener
	target string

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	refuse  time.Time
	cuts    int
	stopped bool
}

// StartCutProxy proxies the ARI of info on a free loopback port; it is
// closed when the test ends.
func StartCutProxy(t testing.TB, info Info) *CutProxy {
	t.Helper()
	u, err := url.Parse(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CutProxy{ln: ln, target: u.Host, conns: map[net.Conn]struct{}{}}
	pu := *u
	pu.Host = ln.Addr().String()
	p.Info = info
	p.URL = strings.TrimRight(pu.String(), "/")
	p.WSURL = wsURL(p.URL)
	go p.accept(ln)
	t.Cleanup(p.close)
	return p
}

// Cut closes every connection through the proxy and refuses new ones for
// hold: the listening port is closed meanwhile (a client's connect is
// refused, it never gets a connection that then drops its request) and
// opened again on the same address after hold.
func (p *CutProxy) Cut(hold time.Duration) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refuse = time.Now().Add(hold)
	p.cuts++
	n := len(p.conns)
	for c := range p.conns {
		_ = c.Close()
	}
	addr := p.ln.Addr().String()
	_ = p.ln.Close()
	cut := p.cuts
	time.AfterFunc(hold, func() { p.reopen(addr, cut) })
	return n
}

// reopen listens on addr again after cut number cut (unless the proxy was
// stopped or cut again meanwhile).
func (p *CutProxy) reopen(addr string, cut int) {
	for try := 0; try < 50; try++ {
		p.mu.Lock()
		if p.stopped || p.cuts != cut {
			p.mu.Unlock()
			return
		}
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			p.ln = ln
			p.mu.Unlock()
			go p.accept(ln)
			return
		}
		p.mu.Unlock()
		time.Sleep(20 * time.Millisecond) // the port may linger a moment
	}
}

func (p *CutProxy) close() {
	p.mu.Lock()
	p.stopped = true
	for c := range p.conns {
		_ = c.Close()
	}
	ln := p.ln
	p.mu.Unlock()
	_ = ln.Close()
}

func (p *CutProxy) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refused := p.stopped || time.Now().Before(p.refuse)
		p.mu.Unlock()
		if refused {
			_ = c.Close()
			continue
		}
		go p.pipe(c)
	}
}

func (p *CutProxy) pipe(c net.Conn) {
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		_ = c.Close()
		_ = up.Close()
		return
	}
	p.conns[c], p.conns[up] = struct{}{}, struct{}{}
	p.mu.Unlock()
	var wg sync.WaitGroup
	cp := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		_ = dst.Close()
		_ = src.Close()
	}
	wg.Add(2)
	go cp(up, c)
	go cp(c, up)
	wg.Wait()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}
