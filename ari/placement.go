package ari

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// An originate whose answer is lost with the link (the request went out
// whole, then the connection was cut) may or may not have created the
// channel. Dialing again could ring the customer twice; not dialing could
// leave the customer never called. To tell the two apart, every originate
// carries a placement mark: a global variable that Asterisk sets to the
// channel's ID as it creates the channel, before dialing it. After the
// reconnect, with the same Asterisk run (not restarted, dialplan not
// reloaded):
//   - the channel still up, or the mark holding the channel's ID, proves
//     the call was placed: it is followed (or recorded) as placed;
//   - neither proves it was not: the attempt is made again, once.
//
// When the run changed, or Asterisk cannot be asked within settleMax, the
// call counts as placed (never dialed twice) and reconciliation settles it.
//
// Global variables are used because ARI may write them with
// live_dangerously = no (AstDB's DB() may not be written from ARI then).
// There is one mark per originate in flight, reused afterwards, so the
// number of globals stays at the peak of originates in flight.

// settleGrace is the least time after a failed originate before Asterisk
// is asked: it may still be working on a request it received before the
// link failed. The client's request timeout, when longer, is used instead
// (a busy Asterisk takes up to that long to answer a request).
const settleGrace = time.Second

// settleMax bounds the wait for the link to come back to settle an
// originate in doubt.
const settleMax = 2 * time.Minute

// placementMarks hands out the global variables that mark originates in
// flight: one per originate until its outcome is known.
type placementMarks struct {
	prefix string
	mu     sync.Mutex
	free   []int
	next   int
}

func newPlacementMarks(node, app string) *placementMarks {
	h := fnv.New32a()
	_, _ = h.Write([]byte(node + "\x00" + app))
	return &placementMarks{prefix: fmt.Sprintf("SWITCHYARD_PLACED_%08x_", h.Sum32())}
}

// take returns a free mark's variable name and its slot.
func (p *placementMarks) take() (string, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var slot int
	if n := len(p.free); n > 0 {
		slot, p.free = p.free[n-1], p.free[:n-1]
	} else {
		slot = p.next
		p.next++
	}
	return p.prefix + strconv.Itoa(slot), slot
}

// give returns a mark once its originate's outcome is known.
func (p *placementMarks) give(slot int) {
	p.mu.Lock()
	p.free = append(p.free, slot)
	p.mu.Unlock()
}

// clear removes the marks this manager used (and its probe) from
// Asterisk's global variables when it stops: Asterisk scans its list of
// globals on every write, and each new application name (every test run
// on a shared Asterisk) would otherwise leave its marks for good. Best
// effort: a mark left behind is harmless.
func (p *placementMarks) clear(ctx context.Context, c *Client) {
	p.mu.Lock()
	n := p.next
	p.mu.Unlock()
	names := []string{p.prefix + "probe"}
	for i := range n {
		names = append(names, p.prefix+strconv.Itoa(i))
	}
	for _, name := range names {
		if err := c.UnsetGlobalVar(ctx, name); err != nil {
			return
		}
	}
}

// probe checks that Asterisk writes marks the way originates do (through
// the GLOBAL() function, from func_global.so) and reads them back; without
// it an in-doubt originate cannot be settled and counts as placed.
func (p *placementMarks) probe(ctx context.Context, c *Client) error {
	name := p.prefix + "probe"
	want := strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := c.SetGlobalVar(ctx, "GLOBAL("+name+")", want); err != nil {
		return fmt.Errorf("write placement mark: %w", err)
	}
	got, err := c.GlobalVar(ctx, name)
	if err != nil {
		return fmt.Errorf("read placement mark: %w", err)
	}
	if got != want {
		return fmt.Errorf("placement mark not kept by Asterisk (is func_global.so loaded?)")
	}
	return nil
}

// asteriskRun identifies one run of Asterisk: a restart or a dialplan
// reload may clear global variables.
type asteriskRun struct{ startup, reload time.Time }

func (m *Manager) currentRun(ctx context.Context) (asteriskRun, error) {
	st, err := m.client.Status(ctx)
	if err != nil {
		return asteriskRun{}, err
	}
	return asteriskRun{startup: time.Time(st.StartupTime), reload: time.Time(st.LastReloadTime)}, nil
}

// runOfThisLink is the Asterisk run the placement marks of the current
// link belong to (zero: marks unavailable). The stream reports itself
// connected before the link's Connected hook has read the run and probed
// the marks: an originate issued in that moment waits for it (up to 2 s,
// or ctx), or it would count as placed if its answer were lost.
func (m *Manager) runOfThisLink(ctx context.Context) asteriskRun {
	deadline := time.Now().Add(2 * time.Second)
	for {
		st := m.stream.State()
		m.mu.Lock()
		run, hooked := m.run, !m.connectedAt.Before(st.Since)
		m.mu.Unlock()
		if hooked || !st.Connected || time.Now().After(deadline) {
			return run
		}
		select {
		case <-ctx.Done():
			return run
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// placement is what settling an originate in doubt found.
type placement int

const (
	placementUnknown placement = iota // Asterisk could not tell: counted as placed
	placedLive                        // the channel is up
	placedGone                        // the channel was created and has ended
	notPlaced                         // no channel was created
)

func (p placement) String() string {
	return [...]string{"unknown", "placed, channel up", "placed, channel ended", "not placed"}[p]
}

// settle finds out whether an originate whose answer was lost created its
// channel: it waits for the link to be back (and settleGrace after the
// failure), then asks Asterisk, retrying while the link fails, up to
// settleMax or ctx's end.
func (m *Manager) settle(ctx context.Context, id, mark string, run asteriskRun, failedAt time.Time) placement {
	if run == (asteriskRun{}) {
		return placementUnknown // the run at originate time is not known
	}
	// Asked on the originate lane: after a reconnect every originate in
	// doubt asks at once, and the calls that are up must not wait.
	ctx = onOriginateLane(ctx)
	giveUp := time.NewTimer(settleMax)
	defer giveUp.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		if time.Since(failedAt) >= max(settleGrace, m.client.timeout) && m.stream.State().Connected {
			p, err := m.checkPlacement(ctx, id, mark, run)
			if err == nil {
				return p
			}
			m.log.Debug("settle originate in doubt: Asterisk not answering yet", "channel", id, "error", err)
		}
		select {
		case <-ctx.Done():
			return placementUnknown
		case <-giveUp.C:
			return placementUnknown
		case <-tick.C:
		}
	}
}

// checkPlacement asks Asterisk once; an error means ask again later.
func (m *Manager) checkPlacement(ctx context.Context, id, mark string, run asteriskRun) (placement, error) {
	now, err := m.currentRun(ctx)
	if err != nil {
		return 0, err
	}
	if now != run {
		return placementUnknown, nil // restarted or reloaded: the mark may be gone
	}
	if _, err := m.client.Channel(ctx, id); err == nil {
		return placedLive, nil
	} else if !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	v, err := m.client.GlobalVar(ctx, mark)
	if err != nil {
		return 0, err
	}
	// The run is checked again: a restart between the two questions
	// would have cleared the mark.
	if again, err := m.currentRun(ctx); err != nil {
		return 0, err
	} else if again != run {
		return placementUnknown, nil
	}
	if v == id {
		return placedGone, nil
	}
	return notPlaced, nil
}

// recheck settles a tracked call whose originate was in doubt after the
// link's reconcile has run: a live channel gets Resync (its answer may
// have been missed), a gone one ChannelGone. If Asterisk cannot be asked,
// the next reconnect's reconciliation does it.
func (m *Manager) recheck(ctx context.Context, id string) {
	ctx = onOriginateLane(ctx)
	ch, err := m.client.Channel(ctx, id)
	switch {
	case err == nil:
		m.router.Dispatch(&Resync{EventData: ariv6.EventData{Type: typeResync, Application: m.client.app, Timestamp: ariv6.DateTime(time.Now())},
			ChannelID: id, Channel: ch})
	case errors.Is(err, ErrNotFound):
		m.router.Dispatch(&ChannelGone{EventData: ariv6.EventData{Type: typeChannelGone, Application: m.client.app}, ChannelID: id})
	default:
		m.log.Warn("recheck originate in doubt: left to the next reconciliation", "channel", id, "error", err)
	}
}
