package cmssim

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// eventHub holds a bridge's open events websockets.
type eventHub struct {
	b        *Bridge
	mu       sync.Mutex
	sessions map[*session]struct{}
}

func newEventHub(b *Bridge) *eventHub {
	return &eventHub{b: b, sessions: map[*session]struct{}{}}
}

// session is one events websocket. Server messages carry a per-session
// messageId and wait for the client's messageAck: at most EventsAckWindow
// messages are outstanding, further ones queue until acks arrive.
type session struct {
	hub    *eventHub
	conn   *websocket.Conn
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []outMsg
	nextID  int
	unacked map[int]struct{}
	subs    []*subscription
	closed  bool
	wake    chan struct{}
}

type outMsg struct {
	ack  bool // a messageAck (not subject to the window)
	id   int
	data []byte
}

// subscription is one entry of the client's subscribeRequest, with what
// the session last told the client about each object, so later updates
// carry only the elements that changed.
type subscription struct {
	index       int
	typ         string
	call        string
	elements    []string
	sent        map[string]map[string]any
	deactivated bool
}

const maxQueuedEvents = 100000

func (h *eventHub) add(s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.sessions[s] = struct{}{}
}

func (h *eventHub) remove(s *session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.sessions, s)
}

func (h *eventHub) list() []*session {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		out = append(out, s)
	}
	return out
}

// closeAll closes every websocket with a going-away close frame.
func (h *eventHub) closeAll() {
	for _, s := range h.list() {
		s.close()
	}
}

// EventSessions returns the number of open events websockets.
func (b *Bridge) EventSessions() int {
	return len(b.hub.list())
}

func (s *session) close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.hub.remove(s)
	s.cancel()
	go func() {
		_ = s.conn.Close(websocket.StatusGoingAway, "events connection closed by server")
	}()
	// Close waits for the peer's close frame; do not let a silent peer
	// keep the TCP connection.
	go func() {
		time.Sleep(2 * time.Second)
		_ = s.conn.CloseNow()
	}()
}

func (b *Bridge) serveEvents(w http.ResponseWriter, r *http.Request) {
	b.fmu.Lock()
	refused := b.eventsRefused
	b.fmu.Unlock()
	if refused {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if !b.redeemToken(r.URL.Query().Get("authToken")) {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	if rec, ok := w.(*statusRecorder); ok {
		rec.status = http.StatusSwitchingProtocols
	}
	conn.SetReadLimit(1 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{hub: b.hub, conn: conn, ctx: ctx, cancel: cancel, nextID: 1,
		unacked: map[int]struct{}{}, wake: make(chan struct{}, 1)}
	b.hub.add(s)
	go s.writer()
	s.reader()
}

// ---- wire shapes ----

type envelope struct {
	Type       string          `json:"type"`
	Message    json.RawMessage `json:"message,omitempty"`
	MessageAck *ackBody        `json:"messageAck,omitempty"`
}

type ackBody struct {
	MessageID int    `json:"messageId"`
	Status    string `json:"status"`
}

type clientMessage struct {
	MessageID     int               `json:"messageId"`
	Type          string            `json:"type"`
	Subscriptions []subscriptionReq `json:"subscriptions"`
}

type subscriptionReq struct {
	Index    int      `json:"index"`
	Type     string   `json:"type"`
	Call     string   `json:"call,omitempty"`
	Elements []string `json:"elements"`
}

func (s *session) reader() {
	defer s.close()
	for {
		_, data, err := s.conn.Read(s.ctx)
		if err != nil {
			return
		}
		var env envelope
		if json.Unmarshal(data, &env) != nil {
			continue
		}
		switch env.Type {
		case "messageAck":
			if env.MessageAck != nil {
				s.mu.Lock()
				delete(s.unacked, env.MessageAck.MessageID)
				s.mu.Unlock()
				s.poke()
			}
		case "message":
			var m clientMessage
			if json.Unmarshal(env.Message, &m) != nil {
				continue
			}
			if m.Type != "subscribeRequest" {
				s.sendAck(m.MessageID, "failure")
				continue
			}
			s.subscribe(m)
		}
	}
}

func (s *session) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *session) writer() {
	window := s.hub.b.sim.opts.EventsAckWindow
	for {
		s.mu.Lock()
		var next *outMsg
		if len(s.queue) > 0 && (s.queue[0].ack || len(s.unacked) < window) {
			m := s.queue[0]
			next = &m
			s.queue = s.queue[1:]
			if !m.ack {
				s.unacked[m.id] = struct{}{}
			}
		}
		s.mu.Unlock()
		if next == nil {
			select {
			case <-s.ctx.Done():
				return
			case <-s.wake:
				continue
			}
		}
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		err := s.conn.Write(ctx, websocket.MessageText, next.data)
		cancel()
		if err != nil {
			s.close()
			return
		}
	}
}

// enqueueLocked queues a server message (s.mu held), assigning its id.
func (s *session) enqueueLocked(body map[string]any) {
	if s.closed {
		return
	}
	id := s.nextID
	s.nextID++
	body["messageId"] = id
	raw, _ := json.Marshal(body)
	data, _ := json.Marshal(envelope{Type: "message", Message: raw})
	s.queue = append(s.queue, outMsg{id: id, data: data})
	if len(s.queue) > maxQueuedEvents {
		// A client that never acks cannot make the bridge hold events
		// without bound.
		go s.close()
	}
	s.poke()
}

func (s *session) sendAck(id int, status string) {
	data, _ := json.Marshal(envelope{Type: "messageAck", MessageAck: &ackBody{MessageID: id, Status: status}})
	s.mu.Lock()
	s.queue = append(s.queue, outMsg{ack: true, data: data})
	s.mu.Unlock()
	s.poke()
}

var (
	callElementNames = []string{"name", "participants", "distributedInstances", "recording", "endpointRecording",
		"streaming", "lockState", "callType", "callCorrelator", "joinAudioMuteOverride"}
	rosterElementNames = []string{"name", "uri", "state", "direction", "audioMuted", "videoMuted", "importance", "layout",
		"activeSpeaker", "presenter", "endpointRecording", "canMove", "movedParticipant", "movedParticipantCallBridge", "deactivated"}
)

func activeWord(on bool) string {
	if on {
		return "active"
	}
	return "inactive"
}

func callElements(c *call) map[string]any {
	m := c.m
	lock := "notLocked"
	if m.flag("locked") {
		lock = "locked"
	}
	return map[string]any{
		"name":                  m.name,
		"participants":          m.participantCount(),
		"distributedInstances":  len(m.instances) - 1,
		"recording":             activeWord(m.recordingID != ""),
		"endpointRecording":     "inactive",
		"streaming":             activeWord(m.streamingID != ""),
		"lockState":             lock,
		"callType":              m.callType,
		"callCorrelator":        m.correlator,
		"joinAudioMuteOverride": m.flag("joinAudioMuteOverride"),
	}
}

func rosterElements(p *participant) map[string]any {
	l := p.l
	e := map[string]any{
		"name":              p.displayName(),
		"uri":               p.uri,
		"state":             l.state,
		"direction":         l.direction,
		"audioMuted":        l.flag("rxAudioMute"),
		"videoMuted":        l.flag("rxVideoMute"),
		"layout":            l.layout(),
		"activeSpeaker":     l.activeSpeaker,
		"presenter":         p.c.m.presenter == l,
		"endpointRecording": "inactive",
		"canMove":           p.canMove,
		"deactivated":       l.deactivated,
	}
	// Unset values are left out rather than sent as null.
	if p.importance != "" {
		e["importance"] = atoiOr(p.importance, 0)
	}
	if p.movedParticipant != "" {
		e["movedParticipant"] = p.movedParticipant
	}
	if p.movedParticipantCallBridge != "" {
		e["movedParticipantCallBridge"] = p.movedParticipantCallBridge
	}
	return e
}

func (p *participant) displayName() string {
	if p.nameLabelOverride != "" {
		return p.nameLabelOverride
	}
	return p.name
}

// pick keeps the requested elements (all known ones when none were named).
func pick(all map[string]any, want []string) map[string]any {
	if len(want) == 0 {
		return all
	}
	out := make(map[string]any, len(want))
	for _, k := range want {
		if v, ok := all[k]; ok {
			out[k] = v
		}
	}
	return out
}

// diff returns the elements of cur that differ from prev (all of cur when
// prev is nil).
func diff(prev, cur map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cur {
		if pv, ok := prev[k]; !ok || pv != v {
			out[k] = v
		}
	}
	for k := range prev {
		if _, ok := cur[k]; !ok {
			out[k] = nil
		}
	}
	return out
}

// subscribe replaces the session's subscriptions with the request's full
// set. Subscriptions kept from the previous set (same index, type and call)
// continue without repeating their initial data; new ones start with it.
func (s *session) subscribe(m clientMessage) {
	b := s.hub.b
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, outMsg{ack: true, data: mustJSON(envelope{Type: "messageAck", MessageAck: &ackBody{MessageID: m.MessageID, Status: "success"}})})
	old := s.subs
	var subs []*subscription
	var fresh []*subscription
	var states []map[string]any
	for _, r := range m.Subscriptions {
		var sub *subscription
		for _, o := range old {
			if o.index == r.Index && o.typ == r.Type && o.call == r.Call {
				sub = o
			}
		}
		if sub == nil {
			sub = &subscription{index: r.Index, typ: r.Type, call: r.Call, sent: map[string]map[string]any{}}
			fresh = append(fresh, sub)
		}
		sub.elements = r.Elements
		state := "active"
		switch r.Type {
		case "calls":
		case "callInfo", "callRoster":
			if b.callByID[r.Call] == nil {
				state = "deactivated"
				sub.deactivated = true
			}
		default:
			state = "deactivated"
			sub.deactivated = true
		}
		subs = append(subs, sub)
		states = append(states, map[string]any{"index": r.Index, "state": state})
	}
	s.subs = subs
	// A new subscription is first reported pending (accepted, not yet
	// started), then with its outcome in the update listing every
	// subscription; continuing ones are not reported pending again.
	if len(fresh) > 0 {
		pending := make([]map[string]any, 0, len(fresh))
		for _, sub := range fresh {
			pending = append(pending, map[string]any{"index": sub.index, "state": "pending"})
		}
		s.enqueueLocked(map[string]any{"type": "subscriptionUpdate", "subscriptions": pending})
	}
	s.enqueueLocked(map[string]any{"type": "subscriptionUpdate", "subscriptions": states})
	for _, sub := range fresh {
		if sub.deactivated {
			continue
		}
		switch sub.typ {
		case "calls":
			var updates []map[string]any
			for _, c := range b.calls {
				if u := sub.callUpdate(c, ""); u != nil {
					updates = append(updates, u)
				}
			}
			if len(updates) > 0 {
				s.enqueueLocked(map[string]any{"type": "callListUpdate", "subscriptionIndex": sub.index, "updates": updates})
			}
		case "callInfo":
			s.callInfoLocked(sub, b.callByID[sub.call], "")
		case "callRoster":
			c := b.callByID[sub.call]
			var updates []map[string]any
			for _, inst := range c.m.instances {
				for _, p := range inst.parts {
					if u := sub.rosterUpdate(p, ""); u != nil {
						updates = append(updates, u)
					}
				}
			}
			if len(updates) > 0 {
				s.enqueueLocked(map[string]any{"type": "rosterUpdate", "subscriptionIndex": sub.index, "updates": updates})
			}
		}
	}
	s.poke()
}

func mustJSON(v any) []byte {
	data, _ := json.Marshal(v)
	return data
}

// callUpdate computes the calls-subscription update for c: add, update
// (changed elements only), remove (when reason is set), or nil.
func (sub *subscription) callUpdate(c *call, reason string) map[string]any {
	prev, known := sub.sent[c.id]
	if reason != "" || c.ended {
		if !known {
			return nil
		}
		delete(sub.sent, c.id)
		if reason == "" {
			reason = "callEnded"
		}
		return map[string]any{"call": c.id, "updateType": "remove", "reason": reason}
	}
	cur := pick(callElements(c), sub.elements)
	sub.sent[c.id] = cur
	if !known {
		u := map[string]any{"call": c.id, "updateType": "add"}
		for k, v := range cur {
			u[k] = v
		}
		return u
	}
	d := diff(prev, cur)
	if len(d) == 0 {
		return nil
	}
	d["call"] = c.id
	d["updateType"] = "update"
	return d
}

func (sub *subscription) rosterUpdate(p *participant, reason string) map[string]any {
	prev, known := sub.sent[p.id]
	if reason != "" {
		if !known {
			return nil
		}
		delete(sub.sent, p.id)
		return map[string]any{"participant": p.id, "updateType": "remove", "reason": reason}
	}
	cur := pick(rosterElements(p), sub.elements)
	sub.sent[p.id] = cur
	if !known {
		u := map[string]any{"participant": p.id, "updateType": "add"}
		for k, v := range cur {
			u[k] = v
		}
		return u
	}
	d := diff(prev, cur)
	if len(d) == 0 {
		return nil
	}
	d["participant"] = p.id
	d["updateType"] = "update"
	return d
}

// callInfoLocked sends the callInfo subscription's first full or later
// partial update, or deactivates the subscription when the call is gone.
func (s *session) callInfoLocked(sub *subscription, c *call, reason string) {
	if sub.deactivated {
		return
	}
	if c == nil || c.ended || reason != "" {
		sub.deactivated = true
		s.enqueueLocked(map[string]any{"type": "subscriptionUpdate",
			"subscriptions": []map[string]any{{"index": sub.index, "state": "deactivated"}}})
		return
	}
	prev := sub.sent[c.id]
	cur := pick(callElements(c), sub.elements)
	sub.sent[c.id] = cur
	d := diff(prev, cur)
	if prev != nil && len(d) == 0 {
		return
	}
	s.enqueueLocked(map[string]any{"type": "callInfoUpdate", "subscriptionIndex": sub.index, "callInfo": d})
}

// callChanged tells every session of the bridge that call instance c
// changed (or ended, when reason is set). Cluster lock held.
func (h *eventHub) callChanged(c *call, reason string) {
	for _, s := range h.list() {
		s.mu.Lock()
		for _, sub := range s.subs {
			if sub.deactivated {
				continue
			}
			switch {
			case sub.typ == "calls":
				if u := sub.callUpdate(c, reason); u != nil {
					s.enqueueLocked(map[string]any{"type": "callListUpdate", "subscriptionIndex": sub.index, "updates": []map[string]any{u}})
				}
			case sub.typ == "callInfo" && sub.call == c.id:
				s.callInfoLocked(sub, c, reason)
			case sub.typ == "callRoster" && sub.call == c.id && (reason != "" || c.ended):
				sub.deactivated = true
				s.enqueueLocked(map[string]any{"type": "subscriptionUpdate",
					"subscriptions": []map[string]any{{"index": sub.index, "state": "deactivated"}}})
			}
		}
		s.mu.Unlock()
	}
}

// participantChanged tells every roster subscription on instance c about
// p (added, changed, or removed when reason is set). Cluster lock held.
func (h *eventHub) participantChanged(c *call, p *participant, reason string) {
	for _, s := range h.list() {
		s.mu.Lock()
		for _, sub := range s.subs {
			if sub.deactivated || sub.typ != "callRoster" || sub.call != c.id {
				continue
			}
			if u := sub.rosterUpdate(p, reason); u != nil {
				s.enqueueLocked(map[string]any{"type": "rosterUpdate", "subscriptionIndex": sub.index, "updates": []map[string]any{u}})
			}
		}
		s.mu.Unlock()
	}
}

// notifyMeetingLocked refreshes calls/callInfo subscribers of every
// instance of m.
func (cl *Cluster) notifyMeetingLocked(m *meeting) {
	for _, c := range m.instances {
		c.b.hub.callChanged(c, "")
	}
}

// notifyParticipantLocked refreshes roster subscribers of every instance
// of p's meeting.
func (cl *Cluster) notifyParticipantLocked(p *participant, reason string) {
	for _, c := range slices.Clone(p.c.m.instances) {
		c.b.hub.participantChanged(c, p, reason)
	}
}

func atoiOr(s string, def int) int {
	n := 0
	if s == "" {
		return def
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return def
		}
		n = n*10 + int(r-'0')
	}
	return n
}
