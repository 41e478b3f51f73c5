package cmssim

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// evClient is a minimal events client written from the reference, with
// nothing shared with the simulator's code.
type evClient struct {
	t      testing.TB
	conn   *websocket.Conn
	nextID int
	ack    bool
	frames chan []byte
	err    chan error
}

// pump reads frames in the background: a timed-out Read would close the
// connection, so timeouts are applied to the channel instead.
func (c *evClient) pump() {
	for {
		_, data, err := c.conn.Read(context.Background())
		if err != nil {
			c.err <- err
			return
		}
		c.frames <- data
	}
}

type evMsg struct {
	Type       string          `json:"type"`
	Message    json.RawMessage `json:"message"`
	MessageAck *struct {
		MessageID int    `json:"messageId"`
		Status    string `json:"status"`
	} `json:"messageAck"`
}

type evBody struct {
	MessageID         int              `json:"messageId"`
	Type              string           `json:"type"`
	SubscriptionIndex int              `json:"subscriptionIndex"`
	Subscriptions     []map[string]any `json:"subscriptions"`
	Updates           []map[string]any `json:"updates"`
	CallInfo          map[string]any   `json:"callInfo"`
}

func token(t testing.TB, s *Sim, b *Bridge) string {
	t.Helper()
	r := newAPI(t, s, b).do("POST", "/authTokens", nil)
	tok := r.header.Get("X-Cisco-CMS-Auth-Token")
	if r.status != 200 || tok == "" {
		t.Fatalf("authTokens: %d %q", r.status, tok)
	}
	return tok
}

func dialEvents(s *Sim, b *Bridge, tok string) (*websocket.Conn, *http.Response, error) {
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CACertPool()}}}
	u := strings.Replace(b.URL(), "https://", "wss://", 1) + "/events/v1?authToken=" + tok
	return websocket.Dial(context.Background(), u, &websocket.DialOptions{HTTPClient: hc})
}

func connectEvents(t testing.TB, s *Sim, b *Bridge) *evClient {
	t.Helper()
	conn, _, err := dialEvents(s, b, token(t, s, b))
	if err != nil {
		t.Fatalf("dial events: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	c := &evClient{t: t, conn: conn, nextID: 1, ack: true, frames: make(chan []byte, 1000), err: make(chan error, 1)}
	go c.pump()
	return c
}

func (c *evClient) send(v any) {
	c.t.Helper()
	data, _ := json.Marshal(v)
	if err := c.conn.Write(context.Background(), websocket.MessageText, data); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// subscribe sends a subscribeRequest and returns its messageId.
func (c *evClient) subscribe(subs ...map[string]any) int {
	id := c.nextID
	c.nextID++
	c.send(map[string]any{"type": "message", "message": map[string]any{"messageId": id, "type": "subscribeRequest", "subscriptions": subs}})
	return id
}

// next reads the next frame (acknowledging messages when c.ack is set).
func (c *evClient) next(timeout time.Duration) (evMsg, *evBody, error) {
	var data []byte
	select {
	case data = <-c.frames:
	case err := <-c.err:
		c.err <- err
		return evMsg{}, nil, err
	case <-time.After(timeout):
		return evMsg{}, nil, context.DeadlineExceeded
	}
	var m evMsg
	if err := json.Unmarshal(data, &m); err != nil {
		c.t.Fatalf("bad frame %s: %v", data, err)
	}
	if m.Type != "message" {
		return m, nil, nil
	}
	var body evBody
	if err := json.Unmarshal(m.Message, &body); err != nil {
		c.t.Fatalf("bad message %s: %v", m.Message, err)
	}
	if c.ack {
		c.send(map[string]any{"type": "messageAck", "messageAck": map[string]any{"messageId": body.MessageID, "status": "success"}})
	}
	return m, &body, nil
}

// expect reads messages until one of type typ arrives.
func (c *evClient) expect(typ string) *evBody {
	c.t.Helper()
	for {
		_, body, err := c.next(5 * time.Second)
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", typ, err)
		}
		if body != nil && body.Type == typ {
			return body
		}
	}
}

func TestEventsSubscriptions(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	ev := connectEvents(t, s, b)

	sid := ev.subscribe(map[string]any{"index": 3, "type": "calls", "elements": []string{"name", "participants", "recording", "lockState", "callCorrelator"}})
	m, _, err := ev.next(5 * time.Second)
	if err != nil || m.Type != "messageAck" || m.MessageAck.MessageID != sid || m.MessageAck.Status != "success" {
		t.Fatalf("subscribe ack: %+v %v", m, err)
	}
	su := ev.expect("subscriptionUpdate")
	if len(su.Subscriptions) != 1 || su.Subscriptions[0]["state"] != "pending" || su.Subscriptions[0]["index"] != float64(3) {
		t.Fatalf("first subscriptionUpdate: %+v", su.Subscriptions)
	}
	su = ev.expect("subscriptionUpdate")
	if len(su.Subscriptions) != 1 || su.Subscriptions[0]["state"] != "active" || su.Subscriptions[0]["index"] != float64(3) {
		t.Fatalf("subscriptionUpdate: %+v", su.Subscriptions)
	}

	call, _ := b.StartCall(CallOptions{Name: "Weekly sync"})
	add := ev.expect("callListUpdate")
	u := add.Updates[0]
	if add.SubscriptionIndex != 3 || u["updateType"] != "add" || u["call"] != call.ID || u["name"] != "Weekly sync" ||
		u["participants"] != float64(0) || u["lockState"] != "notLocked" || u["recording"] != "inactive" || u["callCorrelator"] != call.Correlator {
		t.Fatalf("calls add: %+v", add)
	}
	if _, has := u["streaming"]; has {
		t.Errorf("an element that was not requested was sent")
	}

	// Adding callInfo and callRoster re-sends the full set; calls continues.
	ev.subscribe(
		map[string]any{"index": 3, "type": "calls", "elements": []string{"name", "participants", "recording", "lockState", "callCorrelator"}},
		map[string]any{"index": 2, "type": "callInfo", "call": call.ID, "elements": []string{"name", "participants", "lockState", "recording"}},
		map[string]any{"index": 1, "type": "callRoster", "call": call.ID, "elements": []string{"name", "uri", "state", "direction", "audioMuted", "videoMuted", "layout", "importance"}},
	)
	ev.expect("subscriptionUpdate")
	info := ev.expect("callInfoUpdate")
	if info.SubscriptionIndex != 2 || info.CallInfo["name"] != "Weekly sync" || info.CallInfo["participants"] != float64(0) {
		t.Fatalf("callInfo first update: %+v", info)
	}

	ada, _ := b.Join(call.ID, LegOptions{Name: "Ada", Remote: "ada@example.com"})
	var sawRoster, sawCount, sawInfo bool
	for !(sawRoster && sawCount && sawInfo) {
		_, body, err := ev.next(5 * time.Second)
		if err != nil {
			t.Fatalf("after join: %v", err)
		}
		switch body.Type {
		case "rosterUpdate":
			for _, u := range body.Updates {
				if u["participant"] == ada.ParticipantID && u["updateType"] == "add" {
					if u["name"] != "Ada" || u["uri"] != "ada@example.com" || u["direction"] != "incoming" || u["audioMuted"] != false {
						t.Errorf("roster add: %+v", u)
					}
					sawRoster = true
				}
			}
		case "callListUpdate":
			if u := body.Updates[0]; u["updateType"] == "update" && u["participants"] == float64(1) {
				if _, has := u["name"]; has {
					t.Errorf("update repeats unchanged elements: %+v", u)
				}
				sawCount = true
			}
		case "callInfoUpdate":
			if body.CallInfo["participants"] == float64(1) {
				sawInfo = true
			}
		}
	}

	b.MuteAudio(ada.ID, true)
	for {
		body := ev.expect("rosterUpdate")
		u := body.Updates[0]
		if u["updateType"] == "update" && u["audioMuted"] == true {
			if _, has := u["uri"]; has {
				t.Errorf("roster update repeats unchanged elements: %+v", u)
			}
			break
		}
	}
	b.SetLocked(call.ID, true)
	for {
		if body := ev.expect("callListUpdate"); body.Updates[0]["lockState"] == "locked" {
			break
		}
	}

	b.Leave(ada.ID)
	var sawRemove, sawCallRemove bool
	for !(sawRemove && sawCallRemove) {
		_, body, err := ev.next(5 * time.Second)
		if err != nil {
			t.Fatalf("after leave: %v", err)
		}
		for _, u := range body.Updates {
			if body.Type == "rosterUpdate" && u["updateType"] == "remove" && u["participant"] == ada.ParticipantID && u["reason"] != nil {
				sawRemove = true
			}
			if body.Type == "callListUpdate" && u["updateType"] == "remove" && u["call"] == call.ID && u["reason"] == "allLeft" {
				sawCallRemove = true
			}
		}
	}
}

func TestEventsAckWindow(t *testing.T) {
	s := newSim(t, Options{EventsAckWindow: 2})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	ev := connectEvents(t, s, b)
	ev.ack = false
	ev.subscribe(map[string]any{"index": 1, "type": "calls", "elements": []string{"name"}})
	ids := []int{ev.expect("subscriptionUpdate").MessageID}
	for i := 0; i < 4; i++ {
		b.StartCall(CallOptions{Name: "c"})
	}
	_, body, err := ev.next(5 * time.Second)
	if err != nil {
		t.Fatalf("second message: %v", err)
	}
	ids = append(ids, body.MessageID)
	if _, extra, err := ev.next(300 * time.Millisecond); err == nil {
		t.Fatalf("a third message arrived without acks: %+v", extra)
	}
	if ids[0] != 1 || ids[1] != 2 {
		t.Errorf("messageIds %v, want 1, 2", ids)
	}
	ev.send(map[string]any{"type": "messageAck", "messageAck": map[string]any{"messageId": 1, "status": "success"}})
	_, body, err = ev.next(5 * time.Second)
	if err != nil || body.MessageID != 3 {
		t.Fatalf("after one ack: %+v %v", body, err)
	}
}

func TestEventsTokens(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	tok := token(t, s, b)
	conn, _, err := dialEvents(s, b, tok)
	if err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	conn.CloseNow()
	if _, resp, err := dialEvents(s, b, tok); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("re-used token: %v", err)
	}
	if _, resp, err := dialEvents(s, b, "forged"); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Errorf("forged token: %v", err)
	}
	b.SetEventsRefused(true)
	if _, resp, err := dialEvents(s, b, token(t, s, b)); err == nil || resp == nil || resp.StatusCode != 503 {
		t.Errorf("refused events: %v", err)
	}
	b.SetEventsRefused(false)
	ev := connectEvents(t, s, b)
	ev.subscribe(map[string]any{"index": 1, "type": "callRoster", "call": "00000000-0000-4000-8000-000000000000"})
	if su := ev.expect("subscriptionUpdate"); su.Subscriptions[0]["state"] != "pending" {
		t.Errorf("roster of an unknown call, first update: %+v", su.Subscriptions)
	}
	if su := ev.expect("subscriptionUpdate"); su.Subscriptions[0]["state"] != "deactivated" {
		t.Errorf("roster of an unknown call: %+v", su.Subscriptions)
	}
}

func TestCloseEventsDropsSocket(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	ev := connectEvents(t, s, b)
	ev.subscribe(map[string]any{"index": 1, "type": "calls"})
	ev.expect("subscriptionUpdate") // pending
	ev.expect("subscriptionUpdate") // active
	if b.EventSessions() != 1 {
		t.Fatalf("sessions %d", b.EventSessions())
	}
	b.CloseEvents()
	for {
		_, _, err := ev.next(5 * time.Second)
		if err == nil {
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) && websocket.CloseStatus(err) != websocket.StatusGoingAway {
			t.Logf("closed with %v", err)
		}
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("socket still open")
		}
		break
	}
	if b.EventSessions() != 0 {
		t.Errorf("sessions after close: %d", b.EventSessions())
	}
	// Reconnecting works.
	ev = connectEvents(t, s, b)
	ev.subscribe(map[string]any{"index": 1, "type": "calls"})
	ev.expect("subscriptionUpdate")
}

// TestEventsPendingFirst: a new subscription is reported pending before its
// outcome and before any data; one re-sent unchanged is not pending again.
func TestEventsPendingFirst(t *testing.T) {
	s := newSim(t, Options{})
	cl := addCluster(t, s, ClusterOptions{Name: "Lab"})
	b := cl.Bridges[0]
	call, _ := b.StartCall(CallOptions{Name: "Weekly sync"})
	ev := connectEvents(t, s, b)
	calls := map[string]any{"index": 1, "type": "calls", "elements": []string{"name"}}
	ev.subscribe(calls)
	var order []string
	for len(order) < 4 {
		_, body, err := ev.next(5 * time.Second)
		if err != nil {
			t.Fatalf("after subscribe: %v (so far %v)", err, order)
		}
		if body == nil {
			order = append(order, "messageAck")
			continue
		}
		entry := body.Type
		if body.Type == "subscriptionUpdate" {
			entry += ":" + body.Subscriptions[0]["state"].(string)
		}
		order = append(order, entry)
	}
	want := []string{"messageAck", "subscriptionUpdate:pending", "subscriptionUpdate:active", "callListUpdate"}
	if !slices.Equal(order, want) {
		t.Fatalf("order %v, want %v", order, want)
	}

	// Adding callInfo: only the new subscription is pending; the full set
	// follows with both active.
	ev.subscribe(calls, map[string]any{"index": 2, "type": "callInfo", "call": call.ID, "elements": []string{"name"}})
	su := ev.expect("subscriptionUpdate")
	if len(su.Subscriptions) != 1 || su.Subscriptions[0]["index"] != float64(2) || su.Subscriptions[0]["state"] != "pending" {
		t.Fatalf("pending update: %+v", su.Subscriptions)
	}
	su = ev.expect("subscriptionUpdate")
	if len(su.Subscriptions) != 2 || su.Subscriptions[0]["state"] != "active" || su.Subscriptions[1]["state"] != "active" {
		t.Fatalf("full update: %+v", su.Subscriptions)
	}
	ev.expect("callInfoUpdate")

	// The same set again: no pending.
	ev.subscribe(calls, map[string]any{"index": 2, "type": "callInfo", "call": call.ID, "elements": []string{"name"}})
	if su := ev.expect("subscriptionUpdate"); len(su.Subscriptions) != 2 {
		t.Fatalf("re-sent set: %+v", su.Subscriptions)
	}
}
