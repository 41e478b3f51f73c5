package meetings

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/server/cms/cdr"
	"github.com/switchboardhq/switchboard/server/cms/events"
)

// live is one active meeting of the model with its participants.
type live struct {
	m     Meeting
	parts map[string]*Participant // by id (the call leg id)
}

// bridgeInfo is what the model needs to know of a bridge.
type bridgeInfo struct {
	ID          int
	Name        string
	ClusterID   int
	ClusterName string
	Managed     bool // its cluster has meeting management on
}

// callKey names a call on one bridge.
type callKey struct {
	bridge int
	call   string
}

// model is the live meeting model: the active meetings and the indexes
// that find a meeting from what bridges report (a call on a bridge, a
// call leg, a bridge's participant id). It is not safe for concurrent
// use: the Service serialises every change and guards reads.
//
// Every change is also recorded as dirty so that the Service can write it
// to the database and tell the watchers in one step (commit).
type model struct {
	meetings map[string]*live
	calls    map[callKey]string // → meeting id
	legs     map[string]string  // call leg id → meeting id
	// pending holds call legs that started before the bridge said which
	// call they belong to (an IVR, a lobby in transit).
	pending map[string]*Participant
	// cmsParts maps a bridge's participant id to our participant (call
	// leg) id: the events roster speaks in participant ids. "" means the
	// participant has no call leg on the bridge that reported it.
	cmsParts map[string]string
	// pidPending holds roster entries of participants whose call legs
	// are being looked up; legPending those of call legs whose CDR has
	// not been applied yet.
	pidPending map[string]events.RosterEntry
	legPending map[string]pendingRoster

	dirty delta
}

// delta is what one step changed.
type delta struct {
	meetings map[string]*live        // by id: meetings that changed
	parts    map[string]*Participant // by id: participants that changed
	events   []Event
	eventsOf []string // meeting id of each of events
	// inferred marks the events of this step as having inferred times
	// (a reconciliation found what happened, not when: MT-20).
	inferred bool
}

func newModel() *model {
	return &model{meetings: map[string]*live{}, calls: map[callKey]string{}, legs: map[string]string{},
		pending: map[string]*Participant{}, cmsParts: map[string]string{},
		pidPending: map[string]events.RosterEntry{}, legPending: map[string]pendingRoster{}, dirty: newChanges()}
}

func newChanges() delta {
	return delta{meetings: map[string]*live{}, parts: map[string]*Participant{}}
}

// take returns the changes since the last take and starts afresh.
func (md *model) take() delta {
	c := md.dirty
	md.dirty = newChanges()
	return c
}

func (md *model) touch(l *live) { md.dirty.meetings[l.m.ID] = l }

func (md *model) touchPart(l *live, p *Participant) {
	md.dirty.parts[p.ID] = p
	md.recount(l)
}

// event appends an event-log entry to the meeting's log.
func (md *model) event(l *live, at time.Time, kind EventKind, description string, p *Participant) {
	e := Event{Time: at.UTC(), Kind: kind, Description: description, Inferred: md.dirty.inferred}
	if p != nil {
		e.ParticipantID, e.ParticipantName = p.ID, p.Name
	}
	md.dirty.events = append(md.dirty.events, e)
	md.dirty.eventsOf = append(md.dirty.eventsOf, l.m.ID)
}

// recount derives the meeting's participant counts from its participants.
func (md *model) recount(l *live) {
	connected, lobby := 0, 0
	for _, p := range l.parts {
		switch p.State {
		case ParticipantConnected, ParticipantOnHold:
			connected++
		case ParticipantLobby:
			lobby++
		}
	}
	if connected != l.m.Participants || lobby != l.m.Lobby || connected > l.m.Peak {
		l.m.Participants, l.m.Lobby, l.m.Peak = connected, lobby, max(l.m.Peak, connected)
		md.touch(l)
	}
}

// restore puts a stored active meeting back into the model.
func (md *model) restore(m Meeting, parts []Participant) {
	l := &live{m: m, parts: map[string]*Participant{}}
	md.meetings[m.ID] = l
	for _, in := range m.Instances {
		md.calls[callKey{in.BridgeID, in.CallID}] = m.ID
	}
	for i := range parts {
		p := parts[i]
		l.parts[p.ID] = &p
		md.legs[p.ID] = m.ID
		if p.CMSParticipantID != "" {
			md.cmsParts[p.CMSParticipantID] = p.ID
		}
	}
}

// meetingOfCall returns the active meeting a call on a bridge belongs to.
func (md *model) meetingOfCall(bridge int, call string) *live {
	if id, ok := md.calls[callKey{bridge, call}]; ok {
		return md.meetings[id]
	}
	return nil
}

// callInfo is what starting a call instance needs.
type callInfo struct {
	CallID, Name, CallType, SpaceID, Correlator string
	Start                                       time.Time
	Locked, Recording, Streaming, JoinMuted     *bool
}

// startCall adds a call instance on bridge b: a new meeting, or a new
// instance of a distributed one (same correlator). It returns the meeting.
func (md *model) startCall(b bridgeInfo, c callInfo) *live {
	if l := md.meetingOfCall(b.ID, c.CallID); l != nil {
		return l
	}
	id := cmp.Or(c.Correlator, c.CallID)
	l, ok := md.meetings[id]
	if !ok {
		l = &live{m: Meeting{ID: id, Name: c.Name, ClusterID: b.ClusterID, ClusterName: b.ClusterName,
			SpaceID: c.SpaceID, CallType: callTypeOf(c.CallType), State: Active, Start: c.Start.UTC(),
			Correlator: c.Correlator}, parts: map[string]*Participant{}}
		md.meetings[id] = l
		md.event(l, c.Start, EventMeetingStarted, "Meeting started on "+b.Name, nil)
	} else if c.Start.Before(l.m.Start) {
		l.m.Start = c.Start.UTC()
	}
	l.m.Instances = append(l.m.Instances, Instance{BridgeID: b.ID, BridgeName: b.Name, CallID: c.CallID})
	md.calls[callKey{b.ID, c.CallID}] = id
	if l.m.Name == "" {
		l.m.Name = c.Name
	}
	setBool(&l.m.Locked, c.Locked)
	setBool(&l.m.Recording, c.Recording)
	setBool(&l.m.Streaming, c.Streaming)
	setBool(&l.m.JoinAudioMuted, c.JoinMuted)
	md.touch(l)
	return l
}

func setBool(dst *bool, v *bool) {
	if v != nil {
		*dst = *v
	}
}

// endCall ends a call instance; the meeting ends with its last instance.
func (md *model) endCall(bridge int, call string, at time.Time) {
	l := md.meetingOfCall(bridge, call)
	if l == nil {
		return
	}
	delete(md.calls, callKey{bridge, call})
	l.m.Instances = slices.DeleteFunc(l.m.Instances, func(in Instance) bool { return in.BridgeID == bridge && in.CallID == call })
	for _, p := range l.parts {
		if p.BridgeID == bridge && p.State != ParticipantDisconnected {
			md.leave(l, p, at, "")
		}
	}
	md.touch(l)
	if len(l.m.Instances) == 0 {
		md.end(l, at)
	}
}

// end ends a meeting: it leaves the model (its rows stay for the history).
func (md *model) end(l *live, at time.Time) {
	for _, p := range l.parts {
		if p.State != ParticipantDisconnected {
			md.leave(l, p, at, "")
		}
		delete(md.legs, p.ID)
		if p.CMSParticipantID != "" {
			delete(md.cmsParts, p.CMSParticipantID)
		}
	}
	for _, in := range l.m.Instances {
		delete(md.calls, callKey{in.BridgeID, in.CallID})
	}
	l.m.State, l.m.End = Ended, at.UTC()
	md.event(l, at, EventMeetingEnded, "Meeting ended", nil)
	md.touch(l)
	delete(md.meetings, l.m.ID)
}

// join adds participant p to meeting l (or moves it there).
func (md *model) join(l *live, p *Participant, at time.Time) {
	if cur, ok := md.legs[p.ID]; ok && cur != l.m.ID {
		if from := md.meetings[cur]; from != nil {
			if old := from.parts[p.ID]; old != nil {
				md.leave(from, old, at, "moved")
				delete(from.parts, p.ID)
			}
		}
	}
	p.MeetingID = l.m.ID
	if p.Joined.IsZero() {
		p.Joined = at.UTC()
	}
	if pend, ok := md.legPending[p.ID]; ok {
		// The roster told of it before its CDR was applied.
		delete(md.legPending, p.ID)
		p.CMSParticipantID = pend.pid
		applyRoster(p, pend.entry)
	}
	l.parts[p.ID] = p
	md.legs[p.ID] = l.m.ID
	if p.CMSParticipantID != "" {
		md.cmsParts[p.CMSParticipantID] = p.ID
	}
	md.event(l, at, EventParticipantJoined, who(*p)+" joined", p)
	md.touchPart(l, p)
}

// leave marks p disconnected.
func (md *model) leave(l *live, p *Participant, at time.Time, reason string) {
	if p.State == ParticipantDisconnected {
		return
	}
	p.State, p.Left = ParticipantDisconnected, at.UTC()
	if reason != "" {
		p.DisconnectReason = reason
	}
	what := who(*p) + " left"
	if reason != "" {
		what += " (" + reason + ")"
	}
	md.event(l, at, EventParticipantLeft, what, p)
	md.touchPart(l, p)
}

// participant returns the meeting and participant of a call leg.
func (md *model) participant(legID string) (*live, *Participant) {
	l := md.meetings[md.legs[legID]]
	if l == nil {
		return nil, nil
	}
	return l, l.parts[legID]
}

// apply applies one stored CDR from bridge b.
func (md *model) apply(b bridgeInfo, r *cdr.Record) {
	switch {
	case r.CallStart != nil:
		if !b.Managed {
			return
		}
		c := r.CallStart
		md.startCall(b, callInfo{CallID: c.ID, Name: c.Name, CallType: c.CallType, SpaceID: c.CoSpace,
			Correlator: c.CallCorrelator, Start: r.Time})
	case r.CallEnd != nil:
		md.endCall(b.ID, r.CallEnd.ID, r.Time)
	case r.CallLegStart != nil:
		s := r.CallLegStart
		if s.Recording != nil && *s.Recording || s.Streaming != nil && *s.Streaming {
			return // the recorder's or streamer's own leg is not a participant
		}
		p := &Participant{ID: s.ID, CallLegID: s.ID, BridgeID: b.ID, Name: cmp.Or(s.DisplayName, s.RemoteParty, s.RemoteAddress),
			RemoteAddress: cmp.Or(s.RemoteParty, s.RemoteAddress), LocalAddress: s.LocalAddress,
			Direction: directionOf(s.Direction), CallType: legType(s.Type, s.SubType), State: ParticipantConnecting,
			Joined: r.Time.UTC()}
		if l := md.meetingOfCall(b.ID, s.Call); l != nil {
			if _, had := l.parts[p.ID]; !had {
				md.join(l, p, r.Time)
			}
			return
		}
		md.pending[p.ID] = p
	case r.CallLegUpdate != nil:
		md.legUpdate(b, r.CallLegUpdate, r.Time)
	case r.CallLegEnd != nil:
		e := r.CallLegEnd
		delete(md.pending, e.ID)
		if l, p := md.participant(e.ID); p != nil {
			md.leave(l, p, r.Time, reasonText(e.Reason))
		}
	case r.RecordingStart != nil, r.RecordingEnd != nil, r.StreamingStart != nil, r.StreamingEnd != nil:
		md.media(b, r)
	}
}

func (md *model) legUpdate(b bridgeInfo, u *cdr.CallLegUpdateBody, at time.Time) {
	l, p := md.participant(u.ID)
	if u.Call != "" {
		// The leg is (now) in this call: attach a pending leg, or follow
		// a move to another meeting.
		if dst := md.meetingOfCall(b.ID, u.Call); dst != nil && (l == nil || dst != l) {
			if p == nil {
				p = md.pending[u.ID]
				delete(md.pending, u.ID)
			}
			if p == nil {
				p = &Participant{ID: u.ID, CallLegID: u.ID, BridgeID: b.ID, State: ParticipantConnecting}
			} else {
				cp := *p
				p = &cp
				p.State, p.Left, p.DisconnectReason = ParticipantConnecting, time.Time{}, ""
			}
			md.join(dst, p, at)
			l = dst
		}
	}
	if p == nil {
		if q := md.pending[u.ID]; q != nil {
			q.Name = cmp.Or(u.DisplayName, q.Name)
		}
		return
	}
	was := *p
	if u.DisplayName != "" {
		p.Name = u.DisplayName
	}
	if u.RemoteAddress != "" {
		p.RemoteAddress = u.RemoteAddress
	}
	if p.State != ParticipantDisconnected {
		switch {
		case u.Deactivated != nil && *u.Deactivated:
			p.State = ParticipantLobby
		case u.State == "connected":
			p.State = ParticipantConnected
		}
	}
	md.changed(l, was, p, at)
}

// changed records what changed between was and p.
func (md *model) changed(l *live, was Participant, p *Participant, at time.Time) {
	var what []string
	if was.State != p.State {
		switch p.State {
		case ParticipantLobby:
			what = append(what, "is waiting in the lobby")
		case ParticipantConnected:
			if was.State == ParticipantLobby {
				what = append(what, "was admitted")
			} else {
				what = append(what, "connected")
			}
		case ParticipantOnHold:
			what = append(what, "is on hold")
		}
	}
	if was.AudioMuted != p.AudioMuted {
		what = append(what, map[bool]string{true: "audio muted", false: "audio unmuted"}[p.AudioMuted])
	}
	if was.VideoMuted != p.VideoMuted {
		what = append(what, map[bool]string{true: "video stopped", false: "video started"}[p.VideoMuted])
	}
	if was.Important != p.Important {
		what = append(what, map[bool]string{true: "made important", false: "no longer important"}[p.Important])
	}
	if was.Layout != p.Layout && was.Layout != "" && p.Layout != "" {
		// A layout learnt for the first time is no change worth a line.
		what = append(what, "layout "+p.Layout)
	}
	if len(what) > 0 {
		md.event(l, at, EventParticipantChanged, who(*p)+": "+strings.Join(what, ", "), p)
	}
	if len(what) > 0 || was.Name != p.Name || was.RemoteAddress != p.RemoteAddress || was.Speaking != p.Speaking ||
		was.CMSParticipantID != p.CMSParticipantID || !slices.Equal(was.Alarms, p.Alarms) {
		md.touchPart(l, p)
	}
}

// media applies a recording or streaming start or end.
func (md *model) media(b bridgeInfo, r *cdr.Record) {
	var body *cdr.MediaBody
	var flag *bool
	on := false
	switch {
	case r.RecordingStart != nil:
		body, on = r.RecordingStart, true
	case r.RecordingEnd != nil:
		body = r.RecordingEnd
	case r.StreamingStart != nil:
		body, on = r.StreamingStart, true
	default:
		body = r.StreamingEnd
	}
	l := md.meetingOfCall(b.ID, body.Call)
	if l == nil {
		return
	}
	if r.RecordingStart != nil || r.RecordingEnd != nil {
		flag = &l.m.Recording
	} else {
		flag = &l.m.Streaming
	}
	if *flag != on {
		*flag = on
		md.event(l, r.Time, EventMeetingChanged, string(r.Type), nil)
		md.touch(l)
	}
}

// meetingFlags applies the flags a bridge reports for a call (events and
// reconciliation), recording what changed.
func (md *model) meetingFlags(l *live, name *string, locked, recording, streaming, joinMuted *bool, at time.Time) {
	was := l.m
	if name != nil && *name != "" {
		l.m.Name = *name
	}
	setBool(&l.m.Locked, locked)
	setBool(&l.m.Recording, recording)
	setBool(&l.m.Streaming, streaming)
	setBool(&l.m.JoinAudioMuted, joinMuted)
	var what []string
	if was.Locked != l.m.Locked {
		what = append(what, map[bool]string{true: "locked", false: "unlocked"}[l.m.Locked])
	}
	if was.Recording != l.m.Recording {
		what = append(what, map[bool]string{true: "recording started", false: "recording stopped"}[l.m.Recording])
	}
	if was.Streaming != l.m.Streaming {
		what = append(what, map[bool]string{true: "streaming started", false: "streaming stopped"}[l.m.Streaming])
	}
	if was.JoinAudioMuted != l.m.JoinAudioMuted {
		what = append(what, map[bool]string{true: "new participants join muted", false: "new participants join unmuted"}[l.m.JoinAudioMuted])
	}
	if len(what) > 0 {
		md.event(l, at, EventMeetingChanged, "Meeting "+strings.Join(what, ", "), nil)
	}
	if len(what) > 0 || was.Name != l.m.Name {
		md.touch(l)
	}
}

func callTypeOf(s string) CallType {
	switch s {
	case "coSpace":
		return CallTypeSpace
	case "adHoc":
		return CallTypeAdHoc
	case "lyncConferencing":
		return CallTypeLync
	case "forwarding":
		return CallTypeForwarding
	}
	return CallTypeUnknown
}

func directionOf(s string) Direction {
	switch s {
	case "incoming":
		return DirectionIncoming
	case "outgoing":
		return DirectionOutgoing
	}
	return DirectionUnknown
}

func participantStateOf(s string) ParticipantState {
	switch s {
	case "initial", "ringing":
		return ParticipantConnecting
	case "connected":
		return ParticipantConnected
	case "onHold":
		return ParticipantOnHold
	}
	return ParticipantUnknown
}

// legType names a leg's kind: the subtype when the bridge gives one
// (lync, avaya), else the type (sip, acano = a web app or app user).
func legType(typ, sub string) string {
	if sub != "" {
		return sub
	}
	return typ
}

// reasonText turns a callLegEnd reason into words for the event log.
func reasonText(reason string) string {
	switch reason {
	case "", "remoteTeardown", "localTeardown":
		return ""
	}
	return reason
}
