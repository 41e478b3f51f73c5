package events

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/server/cms"
)

// StateKind is the connection state of a Client.
type StateKind int

// The connection states.
const (
	// Connecting: fetching a token and opening the websocket.
	Connecting StateKind = iota + 1
	// Connected: the websocket is open and the subscriptions were sent.
	Connected
	// Disconnected: the connection failed or dropped (Err says why); the
	// client waits Retry and connects again, unless Run is returning.
	Disconnected
)

// String returns the state's name.
func (k StateKind) String() string {
	switch k {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	case Disconnected:
		return "disconnected"
	}
	return fmt.Sprintf("StateKind(%d)", int(k))
}

// State is a connection state change.
type State struct {
	Kind StateKind
	// Err is why the connection was lost (Disconnected only).
	Err error
	// Attempt counts connection attempts since the last one that got a
	// message from the bridge, from 1.
	Attempt int
	// Retry is the wait before the next attempt (Disconnected only; zero
	// when Run is returning).
	Retry time.Duration
}

// Options configures a Client.
type Options struct {
	// OnMessage receives every message from the bridge, in order. The
	// message is acknowledged when OnMessage returns, so the bridge does
	// not outrun a slow consumer. Nil drops messages (they are still
	// acknowledged).
	OnMessage func(*Message)
	// OnState receives connection state changes. It may be nil.
	OnState func(State)
	// OnAck receives the bridge's acks of the client's subscribeRequests.
	// It may be nil.
	OnAck func(Ack)
	// Backoff shapes the wait between connection attempts; Attempts is
	// ignored (the client never gives up while Run's context lives).
	// Zero values mean Base 1 s and Max 60 s.
	Backoff cms.Retry
	// Sleep waits between attempts; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// PingInterval is how often a websocket ping checks that the
	// connection is alive; a ping not answered within PingInterval drops
	// it. Zero means 30 s; negative disables pings.
	PingInterval time.Duration
	// ReadLimit bounds one frame; zero means 4 MiB (a roster of a large
	// meeting is far bigger than websocket's usual 32 KiB).
	ReadLimit int64
	// CallsElements, CallInfoElements and CallRosterElements are the
	// elements requested per subscription; nil means the ones the public
	// clients request (name, participants, ... for calls; name, uri,
	// state, audioMuted, ... for the roster).
	CallsElements, CallInfoElements, CallRosterElements []string
}

// Client keeps an Events API connection to one bridge. Create it with
// New, run it with Run, and choose the calls to follow with Watch and
// Unwatch; they may be called at any time, from any goroutine.
type Client struct {
	api  *cms.Client
	opts Options

	mu        sync.Mutex
	watched   map[string]int // call id → index of its callInfo subscription (roster is +1)
	byIndex   map[int]string // subscription index → call id
	nextIndex int
	changed   chan struct{} // signalled when the subscription set changes
}

// callsIndex is the index of the calls subscription; call subscriptions
// take pairs of indexes after it, never reused, so a late update of an
// unwatched call cannot be mistaken for another call's.
const callsIndex = 1

// New returns a client that reaches the bridge through api (for tokens,
// address and TLS trust).
func New(api *cms.Client, o Options) *Client {
	if o.Backoff.Base <= 0 {
		o.Backoff.Base = time.Second
	}
	if o.Backoff.Max <= 0 {
		o.Backoff.Max = time.Minute
	}
	o.Backoff.Max = max(o.Backoff.Max, o.Backoff.Base)
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	}
	if o.OnMessage == nil {
		o.OnMessage = func(*Message) {}
	}
	if o.PingInterval == 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.ReadLimit <= 0 {
		o.ReadLimit = 4 << 20
	}
	o.CallsElements = slices.Clone(cmpOr(o.CallsElements, defaultCallsElements))
	o.CallInfoElements = slices.Clone(cmpOr(o.CallInfoElements, defaultCallInfoElements))
	o.CallRosterElements = slices.Clone(cmpOr(o.CallRosterElements, defaultCallRosterElements))
	return &Client{
		api: api, opts: o,
		watched: map[string]int{}, byIndex: map[int]string{},
		nextIndex: callsIndex + 1,
		changed:   make(chan struct{}, 1),
	}
}

// Watch adds the callInfo and callRoster subscriptions of a call (no-op
// if already watched). A running client re-sends its subscriptions.
func (c *Client) Watch(call string) {
	c.mu.Lock()
	if _, ok := c.watched[call]; !ok {
		c.watched[call] = c.nextIndex
		c.byIndex[c.nextIndex], c.byIndex[c.nextIndex+1] = call, call
		c.nextIndex += 2
		c.signal()
	}
	c.mu.Unlock()
}

// Unwatch drops a call's subscriptions (no-op if not watched).
func (c *Client) Unwatch(call string) {
	c.mu.Lock()
	if idx, ok := c.watched[call]; ok {
		delete(c.watched, call)
		delete(c.byIndex, idx)
		delete(c.byIndex, idx+1)
		c.signal()
	}
	c.mu.Unlock()
}

func (c *Client) signal() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// Subscriptions returns the full subscription set the client sends: the
// call list, then each watched call's callInfo and callRoster.
func (c *Client) Subscriptions() []Subscription {
	c.mu.Lock()
	defer c.mu.Unlock()
	subs := []Subscription{{Index: callsIndex, Type: SubCalls, Elements: slices.Clone(c.opts.CallsElements)}}
	calls := make([]string, 0, len(c.watched))
	for id := range c.watched {
		calls = append(calls, id)
	}
	slices.SortFunc(calls, func(a, b string) int { return c.watched[a] - c.watched[b] })
	for _, id := range calls {
		idx := c.watched[id]
		subs = append(subs,
			Subscription{Index: idx, Type: SubCallInfo, Call: id, Elements: slices.Clone(c.opts.CallInfoElements)},
			Subscription{Index: idx + 1, Type: SubCallRoster, Call: id, Elements: slices.Clone(c.opts.CallRosterElements)})
	}
	return subs
}

func (c *Client) callOf(index int) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byIndex[index]
}

func (c *Client) state(s State) {
	if c.opts.OnState != nil {
		c.opts.OnState(s)
	}
}

// Run connects and keeps the connection until ctx ends, reconnecting with
// capped exponential backoff. It returns ctx's error.
func (c *Client) Run(ctx context.Context) error {
	failures := 0 // consecutive sessions that heard nothing from the bridge
	for {
		c.state(State{Kind: Connecting, Attempt: failures + 1})
		heard, err := c.session(ctx, failures+1)
		if ctx.Err() != nil {
			c.state(State{Kind: Disconnected, Err: ctx.Err(), Attempt: failures + 1})
			return ctx.Err()
		}
		if heard {
			failures = 0
		}
		failures++
		d := c.opts.Backoff.Delay(failures)
		c.state(State{Kind: Disconnected, Err: err, Attempt: failures, Retry: d})
		if err := c.opts.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

// session runs one connection. heard reports whether the bridge sent
// anything, which resets the backoff.
func (c *Client) session(ctx context.Context, attempt int) (heard bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	token, err := c.api.AuthToken(ctx)
	if err != nil {
		return false, fmt.Errorf("events: auth token: %w", err)
	}
	u := "wss://" + strings.TrimPrefix(c.api.BaseURL(), "https://") + "/events/v1?authToken=" + url.QueryEscape(token)
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: c.api.HTTPClient()})
	if err != nil {
		if resp != nil {
			return false, fmt.Errorf("events: websocket: HTTP %d: %w", resp.StatusCode, err)
		}
		return false, fmt.Errorf("events: websocket: %w", c.api.Classify(err))
	}
	defer conn.CloseNow()
	conn.SetReadLimit(c.opts.ReadLimit)

	var nextID int64
	send := func(b []byte) error {
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		return conn.Write(wctx, websocket.MessageText, b)
	}
	subscribe := func() error {
		nextID++
		return send(EncodeSubscribeRequest(nextID, c.Subscriptions()))
	}
	// Drain a stale signal: the set sent now already includes it.
	select {
	case <-c.changed:
	default:
	}
	if err := subscribe(); err != nil {
		return false, fmt.Errorf("events: subscribe: %w", err)
	}
	c.state(State{Kind: Connected, Attempt: attempt})

	type read struct {
		b   []byte
		err error
	}
	frames := make(chan read)
	go func() {
		for {
			_, b, err := conn.Read(ctx)
			select {
			case frames <- read{b, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var ping <-chan time.Time
	if c.opts.PingInterval > 0 {
		t := time.NewTicker(c.opts.PingInterval)
		defer t.Stop()
		ping = t.C
	}
	for {
		select {
		case <-ctx.Done():
			conn.Close(websocket.StatusNormalClosure, "")
			return heard, ctx.Err()
		case <-c.changed:
			if err := subscribe(); err != nil {
				return heard, fmt.Errorf("events: subscribe: %w", err)
			}
		case <-ping:
			pctx, pcancel := context.WithTimeout(ctx, c.opts.PingInterval)
			err := conn.Ping(pctx)
			pcancel()
			if err != nil {
				return heard, fmt.Errorf("events: ping: %w", err)
			}
		case r := <-frames:
			if r.err != nil {
				if st := websocket.CloseStatus(r.err); st != -1 {
					return heard, fmt.Errorf("%w (status %d)", ErrClosed, st)
				}
				return heard, fmt.Errorf("events: read: %w", r.err)
			}
			heard = true
			f, err := Decode(r.b)
			if err != nil {
				// One frame the client cannot read is not worth the
				// connection; without a messageId it cannot be acked.
				continue
			}
			if f.Ack != nil {
				if c.opts.OnAck != nil {
					c.opts.OnAck(*f.Ack)
				}
				continue
			}
			m := f.Message
			switch {
			case m.CallInfoUpdate != nil:
				m.Call = c.callOf(m.CallInfoUpdate.SubscriptionIndex)
			case m.RosterUpdate != nil:
				m.Call = c.callOf(m.RosterUpdate.SubscriptionIndex)
			}
			c.opts.OnMessage(m)
			if err := send(EncodeAck(m.ID)); err != nil {
				return heard, fmt.Errorf("events: ack %d: %w", m.ID, err)
			}
		}
	}
}

func cmpOr(a, b []string) []string {
	if a != nil {
		return a
	}
	return b
}

// ErrClosed is reported (wrapped) when the bridge closes the websocket.
var ErrClosed = errors.New("events: closed by the bridge")
