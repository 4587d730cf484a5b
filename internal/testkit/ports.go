package testkit

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// StablePort returns a loopback port free for every network named ("tcp",
// "udp"), taken below the kernel's ephemeral range. It is for a process
// the test restarts on the same port (a daemon after kill -9, an Asterisk
// after core restart): a port from 127.0.0.1:0 is an ephemeral one, and
// while the process is down any outgoing connection on the machine may be
// given it as its source port, so the restarted process cannot listen
// ("address already in use"). Below the range only listeners that chose
// the port take it.
func StablePort(networks ...string) (int, error) {
	if len(networks) == 0 {
		networks = []string{"tcp"}
	}
	lo := ephemeralLow()
	// Above the RTP ports of asterisk-conf/rtp.conf (10000-10199), which
	// Asterisk takes as calls need them.
	const floor = 20000
	if lo <= floor+1000 {
		return 0, fmt.Errorf("testkit: ephemeral range starts at %d: no room below it", lo)
	}
	for range 200 {
		port := floor + rand.IntN(lo-floor)
		if portFree(port, networks) {
			return port, nil
		}
	}
	return 0, fmt.Errorf("testkit: no free port in %d-%d", floor, lo-1)
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// ip_local_port_range; 32768, its default, elsewhere).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 0 {
				return n
			}
		}
	}
	return 32768
}

func portFree(port int, networks []string) bool {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for _, n := range networks {
		switch n {
		case "tcp":
			l, err := net.Listen("tcp4", addr)
			if err != nil {
				return false
			}
			_ = l.Close()
		case "udp":
			c, err := net.ListenPacket("udp4", addr)
			if err != nil {
				return false
			}
			_ = c.Close()
		default:
			return false
		}
	}
	return true
}
