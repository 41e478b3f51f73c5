package events

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/server/cms"
)

// fakeBridge is the Events side of a Call Bridge: one-use tokens from
// /api/v1/authTokens and a websocket whose conversation each test scripts
// per connection.
type fakeBridge struct {
	t       *testing.T
	srv     *httptest.Server
	scripts chan func(*wsPeer)

	mu     sync.Mutex
	issued map[string]bool // token → used
	tokens int
}

// wsPeer is the server end of one connection, with helpers that fail the
// test on protocol mistakes.
type wsPeer struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context
}

func (p *wsPeer) read() *Frame {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	_, b, err := p.conn.Read(ctx)
	if err != nil {
		p.t.Errorf("bridge read: %v", err)
		return nil
	}
	f, err := Decode(b)
	if err != nil {
		p.t.Errorf("bridge got an undecodable frame %s: %v", b, err)
		return nil
	}
	return f
}

func (p *wsPeer) send(s string) {
	p.t.Helper()
	if err := p.conn.Write(p.ctx, websocket.MessageText, []byte(s)); err != nil {
		p.t.Errorf("bridge write: %v", err)
	}
}

// expectSubscribe reads a subscribeRequest, acks it and returns it.
func (p *wsPeer) expectSubscribe() *Message {
	p.t.Helper()
	f := p.read()
	if f == nil || f.Message == nil || f.Message.Type != TypeSubscribeRequest {
		p.t.Errorf("want a subscribeRequest, got %+v", f)
		return &Message{}
	}
	p.send(string(EncodeAck(f.Message.ID)))
	return f.Message
}

// expectAck reads the client's ack of message id.
func (p *wsPeer) expectAck(id int64) {
	p.t.Helper()
	f := p.read()
	if f == nil || f.Ack == nil || f.Ack.MessageID != id || f.Ack.Status != "success" {
		p.t.Errorf("want messageAck %d, got %+v", id, f)
	}
}

func newFakeBridge(t *testing.T) *fakeBridge {
	fb := &fakeBridge{t: t, scripts: make(chan func(*wsPeer), 8), issued: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/authTokens", func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); u != "admin" || p != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fb.mu.Lock()
		fb.tokens++
		tok := fmt.Sprintf("token-%d", fb.tokens)
		fb.issued[tok] = false
		fb.mu.Unlock()
		w.Header().Set("X-Cisco-CMS-Auth-Token", tok)
	})
	mux.HandleFunc("GET /events/v1", func(w http.ResponseWriter, r *http.Request) {
		tok := r.URL.Query().Get("authToken")
		fb.mu.Lock()
		used, ok := fb.issued[tok]
		fb.issued[tok] = true
		fb.mu.Unlock()
		if !ok || used {
			t.Errorf("websocket opened with token %q (issued %v, already used %v)", tok, ok, used)
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		var script func(*wsPeer)
		select {
		case script = <-fb.scripts:
		case <-time.After(5 * time.Second):
			t.Error("no script for a websocket connection")
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		defer conn.CloseNow()
		script(&wsPeer{t: t, conn: conn, ctx: r.Context()})
	})
	fb.srv = httptest.NewTLSServer(mux)
	t.Cleanup(fb.srv.Close)
	return fb
}

func (fb *fakeBridge) api(t *testing.T) *cms.Client {
	c, err := cms.New(cms.Config{Address: strings.TrimPrefix(fb.srv.URL, "https://"), Username: "admin", Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type recorder struct {
	mu     sync.Mutex
	states []State
	msgs   []*Message
	acks   []Ack
	sleeps []time.Duration
}

func (r *recorder) kinds() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s []string
	for _, st := range r.states {
		s = append(s, st.Kind.String())
	}
	return strings.Join(s, ",")
}

func TestClientAcksEveryMessageResubscribesAndReconnects(t *testing.T) {
	fb := newFakeBridge(t)
	rec := &recorder{}
	var client *Client
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const call = "430aa8e9-1d22-425b-9d10-ffa07e7deee1"
	client = New(fb.api(t), Options{
		OnMessage: func(m *Message) {
			rec.mu.Lock()
			rec.msgs = append(rec.msgs, m)
			rec.mu.Unlock()
			if m.CallListUpdate != nil && m.CallListUpdate.Updates[0].UpdateType == Add {
				client.Watch(m.CallListUpdate.Updates[0].Call)
			}
		},
		OnState: func(s State) { rec.mu.Lock(); rec.states = append(rec.states, s); rec.mu.Unlock() },
		OnAck:   func(a Ack) { rec.mu.Lock(); rec.acks = append(rec.acks, a); rec.mu.Unlock() },
		Sleep: func(ctx context.Context, d time.Duration) error {
			rec.mu.Lock()
			rec.sleeps = append(rec.sleeps, d)
			rec.mu.Unlock()
			return ctx.Err()
		},
	})

	done := make(chan struct{})
	fb.scripts <- func(p *wsPeer) {
		first := p.expectSubscribe()
		if subs := first.SubscribeRequest; len(subs) != 1 || subs[0].Type != SubCalls || subs[0].Index != 1 || len(subs[0].Elements) == 0 {
			t.Errorf("first subscribeRequest: %+v", subs)
		}
		p.send(`{"type":"message","message":{"messageId":1,"type":"callListUpdate","subscriptionIndex":1,"updates":[{"call":"` + call + `","updateType":"add","name":"Weekly sync"}]}}`)
		p.expectAck(1)
		// Watching the call re-sends the full set, not a delta.
		second := p.expectSubscribe()
		if subs := second.SubscribeRequest; len(subs) != 3 || subs[0].Type != SubCalls ||
			subs[1].Type != SubCallInfo || subs[1].Call != call || subs[2].Type != SubCallRoster || subs[2].Call != call ||
			subs[1].Index == subs[2].Index || second.ID <= first.ID {
			t.Errorf("second subscribeRequest: id %d after %d, %+v", second.ID, first.ID, subs)
		}
		p.send(fmt.Sprintf(`{"type":"message","message":{"messageId":2,"type":"rosterUpdate","subscriptionIndex":%d,"updates":[{"participant":"p1","updateType":"add","name":"Ada"}]}}`, second.SubscribeRequest[2].Index))
		p.expectAck(2)
		p.send(`{"type":"message","message":{"messageId":3,"type":"somethingNew","x":1}}`)
		p.expectAck(3)
		p.conn.Close(websocket.StatusGoingAway, "restarting")
	}
	fb.scripts <- func(p *wsPeer) {
		again := p.expectSubscribe()
		if subs := again.SubscribeRequest; len(subs) != 3 || subs[1].Call != call {
			t.Errorf("after reconnecting the client must subscribe to the full set again: %+v", subs)
		}
		p.send(`{"type":"message","message":{"messageId":1,"type":"subscriptionUpdate","subscriptions":[{"index":1,"state":"active"}]}}`)
		p.expectAck(1)
		close(done)
		<-p.ctx.Done()
	}

	errc := make(chan error, 1)
	go func() { errc <- client.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("conversation did not finish")
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}

	if got := rec.kinds(); got != "connecting,connected,disconnected,connecting,connected,disconnected" {
		t.Errorf("states: %s", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if err := rec.states[2].Err; !errors.Is(err, ErrClosed) || rec.states[2].Retry <= 0 {
		t.Errorf("the drop must be reported with its cause and the wait: %+v", rec.states[2])
	}
	if len(rec.sleeps) != 1 || rec.sleeps[0] > time.Second {
		t.Errorf("after a session that heard the bridge, the wait restarts from Base: %v", rec.sleeps)
	}
	if len(rec.msgs) != 4 {
		t.Fatalf("messages: %d", len(rec.msgs))
	}
	if m := rec.msgs[1]; m.RosterUpdate == nil || m.Call != call || *m.RosterUpdate.Updates[0].Name != "Ada" {
		t.Errorf("a roster update must name its call: %+v", m)
	}
	if m := rec.msgs[2]; m.Type != "somethingNew" || m.Raw == nil {
		t.Errorf("an unknown message must still be delivered and acked: %+v", m)
	}
	if len(rec.acks) != 3 {
		t.Errorf("bridge acks of subscribeRequests: %+v", rec.acks)
	}
	fb.mu.Lock()
	defer fb.mu.Unlock()
	if fb.tokens != 2 {
		t.Errorf("want a fresh token per connection, %d issued", fb.tokens)
	}
}

func TestClientBacksOffExponentiallyWithCap(t *testing.T) {
	fb := newFakeBridge(t)
	// No script: every websocket upgrade fails, so the client never hears
	// the bridge and its waits grow.
	fb.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/authTokens" {
			w.Header().Set("X-Cisco-CMS-Auth-Token", "t")
			return
		}
		http.Error(w, "no events here", http.StatusNotFound)
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sleeps []time.Duration
	var states []State
	c := New(fb.api(t), Options{
		OnMessage: func(*Message) {},
		OnState:   func(s State) { states = append(states, s) },
		Backoff:   cms.Retry{Base: 100 * time.Millisecond, Max: 800 * time.Millisecond},
		Sleep: func(ctx context.Context, d time.Duration) error {
			sleeps = append(sleeps, d)
			if len(sleeps) == 7 {
				cancel()
				return ctx.Err()
			}
			return nil
		},
	})
	if err := c.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	for i, d := range sleeps {
		ceil := min(100*time.Millisecond<<i, 800*time.Millisecond)
		if d < ceil/2 || d > ceil {
			t.Errorf("wait %d = %v, want in [%v, %v]", i+1, d, ceil/2, ceil)
		}
	}
	var last State
	for _, s := range states {
		if s.Kind == Disconnected {
			last = s
		}
	}
	if last.Attempt != 7 || last.Err == nil || !strings.Contains(last.Err.Error(), "404") {
		t.Errorf("last disconnect: %+v", last)
	}
}

func TestWatchUnwatchSubscriptions(t *testing.T) {
	c := New(nil, Options{OnMessage: func(*Message) {}})
	c.Watch("a")
	c.Watch("b")
	c.Watch("a")
	c.Unwatch("a")
	c.Watch("a")
	subs := c.Subscriptions()
	if len(subs) != 5 || subs[1].Call != "b" || subs[3].Call != "a" {
		t.Fatalf("subscriptions: %+v", subs)
	}
	if subs[3].Index == 2 {
		t.Errorf("indexes must not be reused after Unwatch: %+v", subs)
	}
	if c.callOf(2) != "" || c.callOf(subs[4].Index) != "a" {
		t.Errorf("index map: %v", c.byIndex)
	}
}
