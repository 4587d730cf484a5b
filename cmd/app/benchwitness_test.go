package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

// witnessEnv selects the benchmark's witness process: the test binary run
// again with it set runs witnessMain instead of the tests.
const witnessEnv = "SWITCHYARD_BENCH_WITNESS"

func TestMain(m *testing.M) {
	if v := os.Getenv(witnessEnv); v != "" {
		os.Exit(witnessMain(v, os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// witness is the product-path benchmark's independent witness, in a
// process of its own so that the test process's CPU time is the daemon's
// alone: the observer (its own ARI application subscribed to all
// channels) and the polling of the request summary run there. The
// benchmark talks to it over its stdin and stdout, a line each way.
type witness struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startWitness starts the witness process on the Asterisk of info and
// waits until its observer is connected; it stops when the benchmark
// ends.
func startWitness(b *testing.B, info asterisktest.Info) *witness {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	infoJSON, err := json.Marshal(info)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), witnessEnv+"="+string(infoJSON))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := &witness{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	w.out.Buffer(make([]byte, 64<<10), 64<<20)
	b.Cleanup(func() {
		_ = w.in.Close() // the witness exits at the end of its input
		if err := w.cmd.Wait(); err != nil {
			b.Errorf("witness process: %v", err)
		}
	})
	if line := w.reply(b); line != "ready" {
		b.Fatalf("witness: %s", line)
	}
	return w
}

// pid is the witness process's id (its CPU time is read from /proc).
func (w *witness) pid() int { return w.cmd.Process.Pid }

func (w *witness) reply(b *testing.B) string {
	b.Helper()
	if !w.out.Scan() {
		b.Fatalf("witness process ended: %v", w.out.Err())
	}
	return w.out.Text()
}

func (w *witness) send(b *testing.B, cmd ...string) string {
	b.Helper()
	if _, err := fmt.Fprintln(w.in, strings.Join(cmd, " ")); err != nil {
		b.Fatalf("witness: %v", err)
	}
	return w.reply(b)
}

// waitCompleted has the witness poll the request summary (every 100 ms)
// until n records are completed.
func (w *witness) waitCompleted(b *testing.B, addr, key, reqID string, n int, limit time.Duration) {
	b.Helper()
	if line := w.send(b, "wait", addr, key, reqID, strconv.Itoa(n), limit.String()); line != "done" {
		b.Fatal(line)
	}
}

// witnessCount is the observer's count of outbound Local channels
// created per dialed extension, and how many times its websocket
// connected (more than once: it was cut, and may have missed events).
type witnessCount struct {
	Created  map[string]int `json:"created"`
	Connects int            `json:"connects"`
}

func (w *witness) created(b *testing.B) witnessCount {
	b.Helper()
	var c witnessCount
	if err := json.Unmarshal([]byte(w.send(b, "created")), &c); err != nil {
		b.Fatalf("witness created: %v", err)
	}
	return c
}

// witnessMain is the witness process: it starts the observer on the
// Asterisk described by infoJSON, answers "ready", then one line per
// command until its input ends:
//
//	wait <addr> <api key> <request id> <n> <limit> → "done" or "error: …"
//	created                                      → the observer's witnessCount as JSON
func witnessMain(infoJSON string, stdin io.Reader, stdout io.Writer) int {
	var info asterisktest.Info
	if err := json.Unmarshal([]byte(infoJSON), &info); err != nil {
		fmt.Fprintf(stdout, "error: %s: %v\n", witnessEnv, err)
		return 2
	}
	obs, err := asterisktest.StartObserver(info, 15*time.Second)
	if err != nil {
		fmt.Fprintf(stdout, "error: %v\n", err)
		return 1
	}
	defer obs.Stop()
	fmt.Fprintln(stdout, "ready")
	sc := bufio.NewScanner(stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 6 && f[0] == "wait":
			n, err1 := strconv.Atoi(f[4])
			limit, err2 := time.ParseDuration(f[5])
			if err1 != nil || err2 != nil {
				fmt.Fprintf(stdout, "error: wait %q\n", f[4:])
				continue
			}
			if err := pollCompleted(f[1], f[2], f[3], n, limit); err != nil {
				fmt.Fprintf(stdout, "error: %v\n", err)
				continue
			}
			fmt.Fprintln(stdout, "done")
		case len(f) == 1 && f[0] == "created":
			settle(obs)
			out, err := json.Marshal(witnessCount{Created: obs.Created(), Connects: obs.Connects()})
			if err != nil {
				fmt.Fprintf(stdout, "error: %v\n", err)
				continue
			}
			fmt.Fprintf(stdout, "%s\n", out)
		default:
			fmt.Fprintf(stdout, "error: unknown command %q\n", sc.Text())
		}
	}
	return 0
}

// settle waits for the observer's last events in flight: until its count
// of created channels has not moved for 2 s (at most a minute). With both
// cores saturated Asterisk's event stream to the observer can lag the
// calls by seconds.
func settle(obs *asterisktest.Observer) {
	total := func() int {
		n := 0
		for _, k := range obs.Created() {
			n += k
		}
		return n
	}
	last, since := total(), time.Now()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && time.Since(since) < 2*time.Second; {
		time.Sleep(100 * time.Millisecond)
		if n := total(); n != last {
			last, since = n, time.Now()
		}
	}
}

// pollCompleted polls the request summary every 100 ms until n records
// are completed (and the request is then Completed).
func pollCompleted(addr, key, reqID string, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	last := -1
	for {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/calllists/requests?request_id="+reqID, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return fmt.Errorf("request summary: %w", err)
		}
		var out struct {
			Requests []struct {
				Completed int    `json:"records_completed"`
				Status    string `json:"status"`
			} `json:"requests"`
		}
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || len(out.Requests) != 1 {
			return fmt.Errorf("request summary: %d %v %+v", resp.StatusCode, err, out)
		}
		last = out.Requests[0].Completed
		if last >= n {
			if out.Requests[0].Status != "Completed" {
				return fmt.Errorf("request summary: %d of %d completed but status %q", last, n, out.Requests[0].Status)
			}
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("request %s: %d of %d records completed after %v", reqID, last, n, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
