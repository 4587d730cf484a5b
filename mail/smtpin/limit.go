package smtpin

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// limitListener caps the open connections of the SMTP listener: a
// connection over the cap is answered "421 too many connections" and
// closed at once, so idle or slow clients cannot use up the process's
// file descriptors (and with them the admin API and /healthz).
type limitListener struct {
	net.Listener
	max      int64
	open     atomic.Int64
	refused  atomic.Int64
	greeting []byte
}

func newLimitListener(l net.Listener, max int, domain string) *limitListener {
	return &limitListener{Listener: l, max: int64(max),
		greeting: []byte("421 4.7.0 " + domain + " too many connections, try again later\r\n")}
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			l.refused.Add(1)
			go l.refuse(c)
			continue
		}
		return &limitConn{Conn: c, l: l}, nil
	}
}

func (l *limitListener) refuse(c net.Conn) {
	_ = c.SetWriteDeadline(time.Now().Add(2 * time.Second))
	_, _ = c.Write(l.greeting)
	_ = c.Close()
}

type limitConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.open.Add(-1) })
	return err
}
