package cmssim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CallOptions describes a call to start on a bridge.
type CallOptions struct {
	// Name is the call's name; it defaults to the coSpace's name.
	Name string
	// CoSpace is the id of the coSpace the call is for. If another member
	// of the cluster already hosts a call for it, the new call is a
	// distributed instance of that call (same callCorrelator).
	CoSpace string
	// OwnerName becomes the call's ownerName (CMS copies the coSpace's
	// meetingScheduler there).
	OwnerName string
	// CDRTag is copied into the callStart CDR; it defaults to the coSpace's.
	CDRTag string
	// ActiveWhenEmpty keeps the call running after its last participant
	// leaves. Calls created with POST /calls always do.
	ActiveWhenEmpty bool
	// Locked starts the call locked.
	Locked bool
	// CallType overrides the call type of a new meeting (default coSpace
	// for a coSpace call, else adHoc). "lyncConferencing" makes a
	// dual-homed meeting, whose lock state the bridge refuses to change.
	CallType string
}

// Call is a snapshot of one bridge's instance of a call.
type Call struct {
	ID           string
	Name         string
	CoSpace      string
	Correlator   string
	Bridge       string // callBridge id of the hosting bridge
	Start        time.Time
	Participants int // local participants
	Recording    bool
	Streaming    bool
	Locked       bool
}

// LegOptions describes a participant joining a call.
type LegOptions struct {
	// Name is the participant's display name.
	Name string
	// Remote is the remote party's address, e.g. "ada@example.com".
	Remote string
	// Outgoing makes the leg a dial-out from the bridge (direction
	// outgoing); otherwise the participant dialled in.
	Outgoing bool
	// Guest marks a WebRTC guest (guestConnection true).
	Guest bool
	// NeedsActivation puts the participant in the lobby until an activator
	// (a participant without NeedsActivation) is present.
	NeedsActivation bool
	// AudioMuted and VideoMuted start the leg muted (rxAudioMute/rxVideoMute).
	AudioMuted, VideoMuted bool
	// Layout is the leg's chosenLayout.
	Layout string
	// Importance is the participant's importance; 0 means unset.
	Importance int
	// UserJid marks the participant as a known user.
	UserJid string
	// CannotMove makes the participant report canMove false, so that the
	// bridge refuses to move it (participantCannotBeModified).
	CannotMove bool
}

// Leg is a snapshot of a call leg and the participant it belongs to.
type Leg struct {
	ID            string
	ParticipantID string
	CallID        string
	Name          string
	Remote        string
	Direction     string
	State         string
	Start         time.Time
	Deactivated   bool
	AudioMuted    bool
	VideoMuted    bool
	Layout        string
}

// ErrNotFound is returned by Go methods given an unknown call, leg or
// participant id.
var ErrNotFound = errors.New("cmssim: no such object")

func (c *call) snapshot() Call {
	return Call{
		ID: c.id, Name: c.m.name, CoSpace: c.m.coSpace, Correlator: c.m.correlator, Bridge: c.b.id,
		Start: c.start, Participants: len(c.parts), Recording: c.m.recordingID != "",
		Streaming: c.m.streamingID != "", Locked: c.m.flag("locked"),
	}
}

func (l *leg) snapshot() Leg {
	return Leg{
		ID: l.id, ParticipantID: l.p.id, CallID: l.p.c.id, Name: l.name, Remote: l.remoteParty,
		Direction: l.direction, State: l.state, Start: l.start, Deactivated: l.deactivated,
		AudioMuted: l.flag("rxAudioMute"), VideoMuted: l.flag("rxVideoMute"), Layout: l.layout(),
	}
}

// ---- Go API (takes the cluster lock) ----

// StartCall starts a call on the bridge, emitting callStart and a calls
// "add" event.
func (b *Bridge) StartCall(o CallOptions) (Call, error) {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	c, err := b.startCallLocked(o, b.sim.clock.Now())
	if err != nil {
		return Call{}, err
	}
	return c.snapshot(), nil
}

// Join adds a participant to a call hosted on this bridge, emitting
// callLegStart and callLegUpdate CDRs and roster events.
func (b *Bridge) Join(callID string, o LegOptions) (Leg, error) {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	c := b.callByID[callID]
	if c == nil {
		return Leg{}, ErrNotFound
	}
	l := b.joinLocked(c, o, b.sim.clock.Now())
	return l.snapshot(), nil
}

// JoinCoSpace adds a participant to the coSpace's call on this bridge,
// starting the local call instance (possibly a distributed one) if needed.
func (b *Bridge) JoinCoSpace(coSpaceID string, o LegOptions) (Leg, error) {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	now := b.sim.clock.Now()
	c := b.localCallForCoSpaceLocked(coSpaceID)
	if c == nil {
		var err error
		if c, err = b.startCallLocked(CallOptions{CoSpace: coSpaceID}, now); err != nil {
			return Leg{}, err
		}
	}
	return b.joinLocked(c, o, now).snapshot(), nil
}

// Leave ends a leg as if the remote party hung up (reason remoteTeardown).
// The call ends when its last participant leaves, unless it is
// activeWhenEmpty.
func (b *Bridge) Leave(legID string) error {
	return b.endLeg(legID, "remoteTeardown", true)
}

// Disconnect ends a leg from the bridge's side (reason localTeardown), as
// DELETE /callLegs/<id> does.
func (b *Bridge) Disconnect(legID string) error {
	return b.endLeg(legID, "localTeardown", false)
}

func (b *Bridge) endLeg(legID, reason string, remote bool) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	l := b.legs[legID]
	if l == nil {
		return ErrNotFound
	}
	b.endLegLocked(l, reason, remote, b.sim.clock.Now())
	return nil
}

// EndCall ends the call (every distributed instance of it), as DELETE
// /calls/<id> does.
func (b *Bridge) EndCall(callID string) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	c := b.callByID[callID]
	if c == nil {
		return ErrNotFound
	}
	b.cl.endMeetingLocked(c.m, "callDeactivated", b.sim.clock.Now())
	return nil
}

// Calls returns the calls hosted on this bridge.
func (b *Bridge) Calls() []Call {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	out := make([]Call, 0, len(b.calls))
	for _, c := range b.calls {
		out = append(out, c.snapshot())
	}
	return out
}

// Legs returns the call legs hosted on this bridge.
func (b *Bridge) Legs() []Leg {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	var out []Leg
	for _, c := range b.calls {
		for _, p := range c.parts {
			out = append(out, p.l.snapshot())
		}
	}
	return out
}

// UpdateLeg applies PUT /callLegs/<id> parameters (rxAudioMute,
// chosenLayout, needsActivation, ...) as the API would.
func (b *Bridge) UpdateLeg(legID string, params map[string]string) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	l := b.legs[legID]
	if l == nil {
		return ErrNotFound
	}
	form := map[string][]string{}
	for k, v := range params {
		form[k] = []string{v}
	}
	if e := b.updateLegLocked(l, form, b.sim.clock.Now()); e != nil {
		return e
	}
	return nil
}

// MuteAudio sets the leg's rxAudioMute (others stop hearing it).
func (b *Bridge) MuteAudio(legID string, muted bool) error {
	return b.UpdateLeg(legID, map[string]string{"rxAudioMute": strconv.FormatBool(muted)})
}

// MuteVideo sets the leg's rxVideoMute (others stop seeing it).
func (b *Bridge) MuteVideo(legID string, muted bool) error {
	return b.UpdateLeg(legID, map[string]string{"rxVideoMute": strconv.FormatBool(muted)})
}

// SetLayout sets the leg's chosenLayout.
func (b *Bridge) SetLayout(legID, layout string) error {
	return b.UpdateLeg(legID, map[string]string{"chosenLayout": layout})
}

// SetActiveSpeaker makes the leg the active speaker of its call.
func (b *Bridge) SetActiveSpeaker(legID string) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	l := b.legs[legID]
	if l == nil {
		return ErrNotFound
	}
	b.setActiveSpeakerLocked(l)
	return nil
}

// SetPresenter makes the leg the presenter of its call (or clears it).
func (b *Bridge) SetPresenter(legID string, on bool) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	l := b.legs[legID]
	if l == nil {
		return ErrNotFound
	}
	m := l.p.c.m
	old := m.presenter
	switch {
	case on:
		m.presenter = l
	case old == l:
		m.presenter = nil
	default:
		return nil
	}
	for _, x := range []*leg{old, m.presenter} {
		if x != nil {
			b.cl.notifyParticipantLocked(x.p, "")
		}
	}
	return nil
}

// UpdateCall applies PUT /calls/<id> parameters (locked, recording,
// streaming, ...) as the API would.
func (b *Bridge) UpdateCall(callID string, params map[string]string) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	c := b.callByID[callID]
	if c == nil {
		return ErrNotFound
	}
	form := map[string][]string{}
	for k, v := range params {
		form[k] = []string{v}
	}
	if e := b.updateCallLocked(c, form, b.sim.clock.Now()); e != nil {
		return e
	}
	return nil
}

// SetRecording starts or stops recording the call.
func (b *Bridge) SetRecording(callID string, on bool) error {
	return b.UpdateCall(callID, map[string]string{"recording": strconv.FormatBool(on)})
}

// SetStreaming starts or stops streaming the call.
func (b *Bridge) SetStreaming(callID string, on bool) error {
	return b.UpdateCall(callID, map[string]string{"streaming": strconv.FormatBool(on)})
}

// SetLocked locks or unlocks the call.
func (b *Bridge) SetLocked(callID string, on bool) error {
	return b.UpdateCall(callID, map[string]string{"locked": strconv.FormatBool(on)})
}

// UpdateParticipant applies PUT /participants/<id> parameters (importance,
// nameLabelOverride, deactivated, dtmfSequence) as the API would.
func (b *Bridge) UpdateParticipant(participantID string, params map[string]string) error {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	p := b.parts[participantID]
	if p == nil {
		return ErrNotFound
	}
	form := map[string][]string{}
	for k, v := range params {
		form[k] = []string{v}
	}
	if e := b.updateParticipantLocked(p, form, b.sim.clock.Now()); e != nil {
		return e
	}
	return nil
}

// Move moves a participant of this bridge into another call of the
// cluster, as POST /calls/<to>/participants with movedParticipant does.
func (b *Bridge) Move(participantID, toCallID string) (Leg, error) {
	b.cl.mu.Lock()
	defer b.cl.mu.Unlock()
	p := b.parts[participantID]
	if p == nil {
		return Leg{}, ErrNotFound
	}
	to := b.cl.callLocked(toCallID)
	if to == nil {
		return Leg{}, ErrNotFound
	}
	l := to.b.moveLocked(p, to, nil, b.sim.clock.Now())
	return l.snapshot(), nil
}

// ---- internals (cluster lock held) ----

func (cl *Cluster) callLocked(id string) *call {
	for _, b := range cl.Bridges {
		if c := b.callByID[id]; c != nil {
			return c
		}
	}
	return nil
}

func (cl *Cluster) participantLocked(id string) *participant {
	for _, b := range cl.Bridges {
		if p := b.parts[id]; p != nil {
			return p
		}
	}
	return nil
}

func (cl *Cluster) meetingForCoSpaceLocked(coSpace string) *meeting {
	if coSpace == "" {
		return nil
	}
	for _, m := range cl.meetings {
		if m.coSpace == coSpace {
			return m
		}
	}
	return nil
}

func (b *Bridge) localCallForCoSpaceLocked(coSpace string) *call {
	for _, c := range b.calls {
		if c.m.coSpace == coSpace {
			return c
		}
	}
	return nil
}

func (b *Bridge) startCallLocked(o CallOptions, now time.Time) (*call, error) {
	cl := b.cl
	cl.recordUsageLocked(now)
	var cs *object
	if o.CoSpace != "" {
		if cs = cl.db.coSpaces.get(o.CoSpace); cs == nil {
			return nil, badRequest("coSpaceDoesNotExist")
		}
		if b.localCallForCoSpaceLocked(o.CoSpace) != nil {
			return nil, badRequest("invalidOperation")
		}
	}
	m := cl.meetingForCoSpaceLocked(o.CoSpace)
	if m == nil {
		m = &meeting{correlator: cl.sim.ids.guid(), coSpace: o.CoSpace, name: o.Name, callType: "adHoc",
			ownerName: o.OwnerName, cdrTag: o.CDRTag, props: map[string]string{}}
		if cs != nil {
			m.callType = "coSpace"
			if m.name == "" {
				m.name = cs.f["name"]
			}
			if m.cdrTag == "" {
				m.cdrTag = cs.f["cdrTag"]
			}
			if m.ownerName == "" {
				m.ownerName = cs.f["meetingScheduler"]
			}
			m.tenant = cs.f["tenant"]
			if cp := cl.db.callProfiles.get(cs.f["callProfile"]); cp != nil && cp.f["locked"] == "true" {
				m.props["locked"] = "true"
			}
		}
		if o.ActiveWhenEmpty {
			m.props["activeWhenEmpty"] = "true"
		}
		if o.Locked {
			m.props["locked"] = "true"
		}
		if o.CallType != "" {
			m.callType = o.CallType
		}
		cl.meetings[m.correlator] = m
	}
	c := &call{id: cl.sim.ids.guid(), m: m, b: b, start: now}
	m.instances = append(m.instances, c)
	b.calls = append(b.calls, c)
	b.callByID[c.id] = c

	w := fragment()
	w.open("call", "id", c.id)
	w.leaf("name", m.name)
	w.leaf("ownerName", m.ownerName)
	w.leaf("callType", m.callType)
	w.opt("coSpace", m.coSpace)
	w.leaf("callCorrelator", m.correlator)
	w.opt("tenant", m.tenant)
	w.opt("cdrTag", m.cdrTag)
	w.close("call")
	b.emitLocked("callStart", now, w.bytes())
	cl.notifyMeetingLocked(m)
	return c, nil
}

// localAddress is what a dial-in reached: the coSpace URI at the bridge's
// (simulated) SIP domain.
func (b *Bridge) localAddressFor(c *call) string {
	user := "call"
	if cs := b.cl.db.coSpaces.get(c.m.coSpace); cs != nil && cs.f["uri"] != "" {
		user = cs.f["uri"]
	}
	return user + "@" + b.name + ".sim.invalid"
}

func (b *Bridge) joinLocked(c *call, o LegOptions, now time.Time) *leg {
	p, l := b.newLegLocked(c, o, now)
	if o.Outgoing {
		b.dialLocked(l, now)
		return l
	}
	b.emitLegStartLocked(l, now)
	b.cl.notifyParticipantLocked(p, "")
	b.connectLocked(l, now)
	return l
}

func (b *Bridge) newLegLocked(c *call, o LegOptions, now time.Time) (*participant, *leg) {
	b.cl.recordUsageLocked(now)
	ids := b.sim.ids
	remote := o.Remote
	if remote == "" {
		remote = strings.ToLower(strings.ReplaceAll(o.Name, " ", ".")) + "@example.com"
	}
	name := o.Name
	if name == "" {
		name = remote
	}
	p := &participant{id: ids.guid(), c: c, name: name, uri: remote, originalURI: remote,
		userJid: o.UserJid, canMove: !o.CannotMove}
	if o.Importance > 0 {
		p.importance = strconv.Itoa(o.Importance)
	}
	dir := "incoming"
	if o.Outgoing {
		dir = "outgoing"
	}
	typ := "sip"
	if o.Guest {
		typ = "acano"
	}
	l := &leg{id: ids.guid(), p: p, name: name, remoteParty: remote, originalRemoteParty: remote,
		localAddress: b.localAddressFor(c), typ: typ, direction: dir, guest: o.Guest, start: now,
		state: "initial", cfg: map[string]string{}, sipCallID: ids.guid(), groupID: ids.guid(), quality: ids.uint64()}
	l.profile, l.baseLayout = b.inheritedProfile(c)
	if o.AudioMuted || c.m.flag("joinAudioMuteOverride") {
		l.cfg["rxAudioMute"] = "true"
	}
	if o.VideoMuted {
		l.cfg["rxVideoMute"] = "true"
	}
	if o.Layout != "" {
		l.cfg["chosenLayout"] = o.Layout
	}
	if o.NeedsActivation {
		l.cfg["needsActivation"] = "true"
	}
	p.l = l
	c.parts = append(c.parts, p)
	b.parts[p.id] = p
	b.legs[l.id] = l
	if n := len(c.parts); n > c.legsMaxActive {
		c.legsMaxActive = n
	}
	if n := len(b.legs); n > b.legsMaxActive {
		b.legsMaxActive = n
	}
	return p, l
}

// dialLocked runs a dial-out: ringing, then answered or failed after the
// configured ring time.
func (b *Bridge) dialLocked(l *leg, now time.Time) {
	b.fmu.Lock()
	rule := b.dialOut
	b.fmu.Unlock()
	l.failReason = rule(l.remoteParty)
	b.cl.recordUsageLocked(now)
	l.state = "ringing"
	b.emitLegStartLocked(l, now)
	b.cl.notifyParticipantLocked(l.p, "")
	ring := b.sim.opts.RingTime
	if ring <= 0 {
		b.finishDialLocked(l, now)
		return
	}
	t := b.sim.clock.NewTimer(ring)
	go func() {
		at := <-t.C()
		b.cl.mu.Lock()
		defer b.cl.mu.Unlock()
		if b.legs[l.id] == l && l.state == "ringing" {
			b.finishDialLocked(l, at)
		}
	}()
}

func (b *Bridge) finishDialLocked(l *leg, now time.Time) {
	if l.failReason != "" {
		b.endLegLocked(l, l.failReason, false, now)
		return
	}
	b.connectLocked(l, now)
}

func (b *Bridge) connectLocked(l *leg, now time.Time) {
	b.cl.recordUsageLocked(now)
	l.state = "connected"
	m := l.p.c.m
	l.deactivated = b.wantDeactivatedLocked(l)
	if l.deactivated {
		l.deactSince = now
	}
	b.emitLegUpdateLocked(l, now)
	b.cl.notifyParticipantLocked(l.p, "")
	b.cl.notifyMeetingLocked(m)
	b.cl.recomputeActivationLocked(m, now)
}

// wantDeactivatedLocked decides whether a leg waits in the lobby: an
// explicit PUT /participants deactivated wins; otherwise a leg that needs
// activation waits until an activator is connected.
func (b *Bridge) wantDeactivatedLocked(l *leg) bool {
	if l.p.deactOverride != nil {
		return *l.p.deactOverride
	}
	if !l.flag("needsActivation") {
		return false
	}
	for _, c := range l.p.c.m.instances {
		for _, p := range c.parts {
			if p.l.state == "connected" && !p.l.flag("needsActivation") && p.deactOverride == nil {
				return false
			}
		}
	}
	return true
}

func (cl *Cluster) recomputeActivationLocked(m *meeting, now time.Time) {
	for _, c := range m.instances {
		for _, p := range c.parts {
			l := p.l
			if l.state != "connected" {
				continue
			}
			want := c.b.wantDeactivatedLocked(l)
			if want == l.deactivated {
				continue
			}
			l.deactivated = want
			if want {
				l.deactSince = now
			} else {
				l.deactTotal += now.Sub(l.deactSince)
			}
			c.b.emitLegUpdateLocked(l, now)
			cl.notifyParticipantLocked(p, "")
		}
	}
}

func (b *Bridge) setActiveSpeakerLocked(l *leg) {
	m := l.p.c.m
	for _, c := range m.instances {
		for _, p := range c.parts {
			if p.l.activeSpeaker && p.l != l {
				p.l.activeSpeaker = false
				b.cl.notifyParticipantLocked(p, "")
			}
		}
	}
	if !l.activeSpeaker {
		l.activeSpeaker = true
		b.cl.notifyParticipantLocked(l.p, "")
	}
}

// endLegLocked ends a leg: callLegEnd, roster remove, and the call's end if
// it was the last participant of a call that is not activeWhenEmpty.
func (b *Bridge) endLegLocked(l *leg, reason string, remote bool, now time.Time) {
	p := l.p
	c := p.c
	if b.legs[l.id] != l {
		return
	}
	b.cl.recordUsageLocked(now)
	b.emitLegEndLocked(l, reason, remote, now)
	delete(b.legs, l.id)
	delete(b.parts, p.id)
	for i, x := range c.parts {
		if x == p {
			c.parts = append(c.parts[:i], c.parts[i+1:]...)
			break
		}
	}
	c.legsCompleted++
	b.legsCompleted++
	m := c.m
	if m.presenter == l {
		m.presenter = nil
	}
	b.cl.notifyParticipantLocked(p, rosterReason(reason))
	b.cl.notifyMeetingLocked(m)
	if len(c.parts) == 0 && !m.flag("activeWhenEmpty") {
		if m.participantCount() == 0 {
			b.cl.endMeetingLocked(m, "allLeft", now)
		} else {
			b.endCallLocked(c, "allLeft", now)
		}
		return
	}
	b.cl.recomputeActivationLocked(m, now)
}

// rosterReason is the reason a rosterUpdate remove carries. CMS's own
// vocabulary is only partly known (a capture shows "timeout"); the
// simulator reuses the callLegEnd reason.
func rosterReason(reason string) string { return reason }

// endMeetingLocked ends every instance of a meeting.
func (cl *Cluster) endMeetingLocked(m *meeting, reason string, now time.Time) {
	for len(m.instances) > 0 {
		c := m.instances[0]
		c.b.endCallLocked(c, reason, now)
	}
}

// endCallLocked ends one bridge's instance: its legs end with
// callDeactivated, recording/streaming hosted here stop, callEnd is sent.
func (b *Bridge) endCallLocked(c *call, reason string, now time.Time) {
	if c.ended {
		return
	}
	b.cl.recordUsageLocked(now)
	c.ended = true
	for len(c.parts) > 0 {
		l := c.parts[0].l
		b.emitLegEndLocked(l, "callDeactivated", false, now)
		delete(b.legs, l.id)
		delete(b.parts, l.p.id)
		c.parts = c.parts[1:]
		c.legsCompleted++
		b.legsCompleted++
		b.cl.notifyParticipantLocked(l.p, "callDeactivated")
	}
	m := c.m
	if m.recordingBridge == b && m.recordingID != "" {
		b.stopRecordingLocked(c, now)
	}
	if m.streamingBridge == b && m.streamingID != "" {
		b.stopStreamingLocked(c, now)
	}
	w := fragment()
	w.open("call", "id", c.id)
	w.intLeaf("callLegsCompleted", int64(c.legsCompleted))
	w.intLeaf("callLegsMaxActive", int64(c.legsMaxActive))
	w.intLeaf("durationSeconds", int64(now.Sub(c.start)/time.Second))
	w.boolLeaf("endpointRecorded", false)
	w.close("call")
	b.emitLocked("callEnd", now, w.bytes())
	b.removeCallLocked(c, reason)
}

// dropCallLocked removes a call without any record, as a restart does.
func (b *Bridge) dropCallLocked(c *call, now time.Time) {
	b.cl.recordUsageLocked(now)
	c.ended = true
	for _, p := range c.parts {
		delete(b.legs, p.l.id)
		delete(b.parts, p.id)
	}
	parts := c.parts
	c.parts = nil
	m := c.m
	if m.recordingBridge == b {
		m.recordingID, m.recordingBridge = "", nil
	}
	if m.streamingBridge == b {
		m.streamingID, m.streamingBridge = "", nil
	}
	for _, p := range parts {
		b.cl.notifyParticipantLocked(p, "timeout")
	}
	b.removeCallLocked(c, "timeout")
}

func (b *Bridge) removeCallLocked(c *call, reason string) {
	m := c.m
	if m.presenter != nil && m.presenter.p.c == c {
		m.presenter = nil
	}
	for i, x := range m.instances {
		if x == c {
			m.instances = append(m.instances[:i], m.instances[i+1:]...)
			break
		}
	}
	for i, x := range b.calls {
		if x == c {
			b.calls = append(b.calls[:i], b.calls[i+1:]...)
			break
		}
	}
	delete(b.callByID, c.id)
	b.hub.callChanged(c, reason)
	if len(m.instances) == 0 {
		delete(b.cl.meetings, m.correlator)
		return
	}
	b.cl.notifyMeetingLocked(m)
}

// moveLocked moves p into call to (hosted on b): the old leg ends and a new
// participant and leg start with movedParticipant / movedCallLeg set.
func (b *Bridge) moveLocked(p *participant, to *call, extra map[string]string, now time.Time) *leg {
	old := p.l
	from := p.c.b
	o := LegOptions{Name: p.name, Remote: p.uri, Outgoing: old.direction == "outgoing", Guest: old.guest, UserJid: p.userJid}
	from.endLegLocked(old, "callMoved", false, now)
	np, nl := b.newLegLocked(to, o, now)
	for k, v := range old.cfg {
		nl.cfg[k] = v
	}
	for k, v := range extra {
		nl.cfg[k] = v
	}
	np.importance = p.importance
	np.nameLabelOverride = p.nameLabelOverride
	np.movedParticipant = p.id
	nl.movedCallLeg = old.id
	if from != b {
		np.movedParticipantCallBridge = from.id
		nl.movedCallLegBridge = from.id
	}
	b.emitLegStartLocked(nl, now)
	b.cl.notifyParticipantLocked(np, "")
	b.connectLocked(nl, now)
	return nl
}

func (b *Bridge) startRecordingLocked(c *call, now time.Time) {
	b.cl.recordUsageLocked(now)
	m := c.m
	m.recordingID, m.recordingBridge = b.sim.ids.guid(), b
	path := "sip:recorder@" + b.name + ".sim.invalid"
	if cs := b.cl.db.coSpaces.get(m.coSpace); cs != nil {
		if cp := b.cl.db.callProfiles.get(cs.f["callProfile"]); cp != nil && cp.f["sipRecorderUri"] != "" {
			path = cp.f["sipRecorderUri"]
		}
	}
	w := fragment()
	w.open("recording", "id", m.recordingID)
	w.leaf("call", c.id)
	w.leaf("path", path)
	w.close("recording")
	b.emitLocked("recordingStart", now, w.bytes())
}

func (b *Bridge) stopRecordingLocked(c *call, now time.Time) {
	b.cl.recordUsageLocked(now)
	m := c.m
	w := fragment()
	w.open("recording", "id", m.recordingID)
	w.leaf("call", c.id)
	w.close("recording")
	b.emitLocked("recordingEnd", now, w.bytes())
	m.recordingID, m.recordingBridge = "", nil
}

func (b *Bridge) startStreamingLocked(c *call, now time.Time) {
	b.cl.recordUsageLocked(now)
	m := c.m
	m.streamingID, m.streamingBridge = b.sim.ids.guid(), b
	url := "rtmp://streamer." + b.name + ".sim.invalid/live/" + m.correlator
	if cs := b.cl.db.coSpaces.get(m.coSpace); cs != nil && cs.f["streamUrl"] != "" {
		url = cs.f["streamUrl"]
	}
	w := fragment()
	w.open("streaming", "id", m.streamingID)
	w.leaf("call", c.id)
	w.leaf("streamUrl", url)
	w.close("streaming")
	b.emitLocked("streamingStart", now, w.bytes())
}

func (b *Bridge) stopStreamingLocked(c *call, now time.Time) {
	b.cl.recordUsageLocked(now)
	m := c.m
	w := fragment()
	w.open("streaming", "id", m.streamingID)
	w.leaf("call", c.id)
	w.close("streaming")
	b.emitLocked("streamingEnd", now, w.bytes())
	m.streamingID, m.streamingBridge = "", nil
}

// ---- CDR bodies for legs ----

func (b *Bridge) emitLegStartLocked(l *leg, now time.Time) {
	w := fragment()
	w.open("callLeg", "id", l.id)
	w.leaf("displayName", l.name)
	w.leaf("localAddress", l.localAddress)
	w.leaf("remoteAddress", l.remoteParty)
	w.leaf("remoteParty", l.remoteParty)
	w.opt("cdrTag", l.p.c.m.cdrTag)
	w.boolLeaf("guestConnection", l.guest)
	w.leaf("type", l.typ)
	w.leaf("direction", l.direction)
	if legStartsInCall(l) {
		w.leaf("call", l.p.c.id)
	}
	w.opt("ownerId", l.p.userJid)
	w.leaf("sipCallId", l.sipCallID)
	w.leaf("groupId", l.groupID)
	w.boolLeaf("recording", false)
	w.boolLeaf("streaming", false)
	w.boolLeaf("canMove", l.p.canMove)
	w.opt("movedCallLeg", l.movedCallLeg)
	w.opt("movedCallLegCallBridge", l.movedCallLegBridge)
	w.close("callLeg")
	b.emitLocked("callLegStart", now, w.bytes())
}

// legStartsInCall tells whether a leg's callLegStart names its call. A
// dial-out starts in its call, and so does an incoming Web app / WebRTC
// (acano) leg, which joins a known space (a 2017 capture of such a leg has
// <call>). An incoming SIP leg is started before the dial plan has placed
// it, so its call arrives in the first callLegUpdate, as in the CDR guide's
// example flow.
func legStartsInCall(l *leg) bool {
	return l.direction == "outgoing" || l.typ == "acano"
}

func (b *Bridge) emitLegUpdateLocked(l *leg, now time.Time) {
	w := fragment()
	w.open("callLeg", "id", l.id)
	if l.state == "connected" {
		w.leaf("state", "connected")
	}
	w.boolLeaf("deactivated", l.deactivated)
	w.leaf("call", l.p.c.id)
	w.leaf("displayName", l.displayName())
	w.leaf("remoteAddress", l.remoteParty)
	w.opt("cdrTag", l.p.c.m.cdrTag)
	w.opt("ownerId", l.p.userJid)
	w.leaf("sipCallId", l.sipCallID)
	w.leaf("groupId", l.groupID)
	w.boolLeaf("canMove", l.p.canMove)
	w.leaf("confirmationStatus", "notRequired")
	w.close("callLeg")
	b.emitLocked("callLegUpdate", now, w.bytes())
}

func (l *leg) displayName() string {
	if l.p.nameLabelOverride != "" {
		return l.p.nameLabelOverride
	}
	return l.name
}

func (b *Bridge) emitLegEndLocked(l *leg, reason string, remote bool, now time.Time) {
	w := fragment()
	w.open("callLeg", "id", l.id)
	w.leaf("reason", reason)
	w.boolLeaf("remoteTeardown", remote)
	dur := now.Sub(l.start)
	w.intLeaf("durationSeconds", int64(dur/time.Second))
	if l.state == "connected" {
		act := dur - l.deactTotal
		if l.deactivated {
			act -= now.Sub(l.deactSince)
		}
		if act < 0 {
			act = 0
		}
		w.intLeaf("activatedDuration", int64(act/time.Second))
		writeLegEndMedia(w, l, now)
	}
	w.leaf("sipCallId", l.sipCallID)
	w.close("callLeg")
	b.emitLocked("callLegEnd", now, w.bytes())
}

func writeLegEndMedia(w *xw, l *leg, now time.Time) {
	st := legStats(l, now)
	w.open("mediaUsagePercentages")
	viewer := "100.0"
	contrib := "100.0"
	if l.flag("rxVideoMute") {
		contrib = "0.0"
	}
	w.leaf("mainVideoViewer", viewer)
	w.leaf("mainVideoContributor", contrib)
	w.leaf("presentationViewer", "0.0")
	w.leaf("presentationContributor", "0.0")
	w.close("mediaUsagePercentages")
	seen, pct := legAlarmHistory(l.quality, int64(now.Sub(l.start)/time.Second))
	for i, a := range seen {
		w.empty("alarm", "type", a, "durationPercentage", fmt.Sprintf("%.1f", pct[i]))
	}
	if st.encrypted {
		w.boolLeaf("encryptedMedia", true)
	} else {
		w.boolLeaf("unencryptedMedia", true)
	}
	pkt := func() {
		w.open("packetStatistics")
		w.open("packetLossBursts")
		w.leaf("duration", fmt.Sprintf("%.1f", st.burstDuration))
		w.leaf("density", fmt.Sprintf("%.1f", st.burstDensity))
		w.close("packetLossBursts")
		w.open("packetGap")
		w.leaf("duration", fmt.Sprintf("%.1f", st.gapDuration))
		w.leaf("density", fmt.Sprintf("%.1f", st.gapDensity))
		w.close("packetGap")
		w.close("packetStatistics")
	}
	w.open("rxAudio")
	w.leaf("codec", st.audioCodec)
	pkt()
	w.close("rxAudio")
	w.open("txAudio")
	w.leaf("codec", st.audioCodec)
	w.close("txAudio")
	w.open("rxVideo")
	w.leaf("codec", st.videoCodec)
	w.intLeaf("maxSizeWidth", int64(st.rxWidth))
	w.intLeaf("maxSizeHeight", int64(st.rxHeight))
	pkt()
	w.close("rxVideo")
	w.open("txVideo")
	w.leaf("codec", st.videoCodec)
	w.intLeaf("maxSizeWidth", int64(st.txWidth))
	w.intLeaf("maxSizeHeight", int64(st.txHeight))
	w.close("txVideo")
}

// layout is the leg's effective layout: its own choice, else the coSpace
// or profile default, else automatic.
func (l *leg) layout() string {
	for _, k := range []string{"chosenLayout", "layout", "defaultLayout"} {
		if v := l.cfg[k]; v != "" {
			return v
		}
	}
	if l.baseLayout != "" {
		return l.baseLayout
	}
	return "automatic"
}

// inheritedProfile returns the call leg profile values a new leg of c
// starts with (the coSpace's callLegProfile) and the coSpace's default
// layout.
func (b *Bridge) inheritedProfile(c *call) (map[string]string, string) {
	prof := map[string]string{}
	layout := ""
	cs := b.cl.db.coSpaces.get(c.m.coSpace)
	if cs == nil {
		return prof, layout
	}
	if p := b.cl.db.callLegProfiles.get(cs.f["callLegProfile"]); p != nil {
		for k, v := range p.f {
			prof[k] = v
		}
		layout = p.f["defaultLayout"]
	}
	if cs.f["defaultLayout"] != "" {
		layout = cs.f["defaultLayout"]
	}
	return prof, layout
}
