package meetings

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/cms/cdr"
	"github.com/switchboardhq/switchboard/server/cms/events"
)

// The model's rules, from CDRs alone: the integration tests in server/app
// run the same through a simulated bridge, events and the API.

var (
	t0       = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	london1  = bridgeInfo{ID: 1, Name: "London 1", ClusterID: 7, ClusterName: "London", Managed: true}
	london2  = bridgeInfo{ID: 2, Name: "London 2", ClusterID: 7, ClusterName: "London", Managed: true}
	oslo     = bridgeInfo{ID: 3, Name: "Oslo", ClusterID: 8, ClusterName: "Oslo"}
	yes, not = true, false
)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

func callStart(s int, call, name, correlator string) *cdr.Record {
	return &cdr.Record{Type: cdr.CallStart, Time: at(s), CallStart: &cdr.CallStartBody{ID: call, Name: name,
		CallType: "coSpace", CoSpace: "space-1", CallCorrelator: correlator}}
}

func callEnd(s int, call string) *cdr.Record {
	return &cdr.Record{Type: cdr.CallEnd, Time: at(s), CallEnd: &cdr.CallEndBody{ID: call}}
}

func legStart(s int, leg, call, name string) *cdr.Record {
	return &cdr.Record{Type: cdr.CallLegStart, Time: at(s), CallLegStart: &cdr.CallLegStartBody{ID: leg, Call: call,
		DisplayName: name, RemoteParty: strings.ToLower(name) + "@example.com", Direction: "incoming", Type: "sip"}}
}

func legUpdate(s int, leg, call string, deactivated *bool) *cdr.Record {
	return &cdr.Record{Type: cdr.CallLegUpdate, Time: at(s), CallLegUpdate: &cdr.CallLegUpdateBody{ID: leg, Call: call,
		State: "connected", Deactivated: deactivated}}
}

func legEnd(s int, leg, reason string) *cdr.Record {
	return &cdr.Record{Type: cdr.CallLegEnd, Time: at(s), CallLegEnd: &cdr.CallLegEndBody{ID: leg, Reason: reason}}
}

func applyAll(md *model, b bridgeInfo, recs ...*cdr.Record) {
	for _, r := range recs {
		md.apply(b, r)
	}
}

func kinds(evs []Event) []EventKind {
	out := make([]EventKind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

func TestModelMeetingLifecycle(t *testing.T) {
	md := newModel()
	applyAll(md, london1,
		callStart(0, "c1", "Weekly sync", "m1"),
		legStart(1, "l1", "c1", "Ada"),
		legUpdate(2, "l1", "c1", nil),
		legStart(3, "l2", "c1", "Grace"),
		legUpdate(4, "l2", "c1", nil))
	l := md.meetings["m1"]
	if l == nil {
		t.Fatal("no meeting m1")
	}
	if l.m.Name != "Weekly sync" || l.m.ClusterID != 7 || l.m.ClusterName != "London" || !l.m.Start.Equal(at(0)) ||
		l.m.CallType != CallTypeSpace || l.m.State != Active || len(l.m.Instances) != 1 {
		t.Fatalf("meeting %+v", l.m)
	}
	if l.m.Participants != 2 || l.m.Peak != 2 {
		t.Fatalf("counts %d peak %d", l.m.Participants, l.m.Peak)
	}
	ada := l.parts["l1"]
	if ada.State != ParticipantConnected || !ada.Joined.Equal(at(1)) || ada.RemoteAddress != "ada@example.com" ||
		ada.Direction != DirectionIncoming || ada.BridgeID != 1 {
		t.Fatalf("Ada %+v", ada)
	}
	applyAll(md, london1, legEnd(10, "l1", "remoteTeardown"))
	if ada.State != ParticipantDisconnected || !ada.Left.Equal(at(10)) || l.m.Participants != 1 || l.m.Peak != 2 {
		t.Fatalf("after Ada left: %+v, meeting %d/%d", ada, l.m.Participants, l.m.Peak)
	}
	md.take()
	applyAll(md, london1, callEnd(20, "c1"))
	if md.meetings["m1"] != nil || len(md.calls) != 0 || len(md.legs) != 0 {
		t.Fatal("an ended meeting stays in the model")
	}
	d := md.take()
	if d.meetings["m1"] == nil || d.meetings["m1"].m.State != Ended || !d.meetings["m1"].m.End.Equal(at(20)) {
		t.Fatalf("the end is not a change: %+v", d.meetings)
	}
	if d.parts["l2"] == nil || d.parts["l2"].State != ParticipantDisconnected {
		t.Fatal("Grace did not leave with the meeting's end")
	}
	if got := kinds(d.events); len(got) != 2 || got[0] != EventParticipantLeft || got[1] != EventMeetingEnded {
		t.Fatalf("events %v", got)
	}
}

func TestModelReappliedRecordsChangeNothing(t *testing.T) {
	md := newModel()
	recs := []*cdr.Record{callStart(0, "c1", "Sync", "m1"), legStart(1, "l1", "c1", "Ada"), legUpdate(2, "l1", "c1", nil)}
	applyAll(md, london1, recs...)
	first := md.take()
	applyAll(md, london1, recs...)
	again := md.take()
	if len(again.events) != 0 || len(again.meetings) != 0 || len(again.parts) != 0 {
		t.Fatalf("re-applied records changed the model: %+v", again)
	}
	if len(first.events) != 3 || len(md.meetings["m1"].m.Instances) != 1 {
		t.Fatalf("first pass: %v", kinds(first.events))
	}
}

func TestModelDistributedMeeting(t *testing.T) {
	md := newModel()
	applyAll(md, london1, callStart(5, "c1", "All hands", "m1"), legStart(6, "l1", "c1", "Ada"), legUpdate(6, "l1", "c1", nil))
	applyAll(md, london2, callStart(3, "c2", "All hands", "m1"), legStart(7, "l2", "c2", "Grace"), legUpdate(7, "l2", "c2", nil))
	l := md.meetings["m1"]
	if len(md.meetings) != 1 || len(l.m.Instances) != 2 || l.m.Participants != 2 {
		t.Fatalf("meetings %d, instances %+v, participants %d", len(md.meetings), l.m.Instances, l.m.Participants)
	}
	if !l.m.Start.Equal(at(3)) {
		t.Fatalf("start %v: the earliest instance's start is the meeting's", l.m.Start)
	}
	applyAll(md, london1, callEnd(30, "c1"))
	if l.m.State != Active || len(l.m.Instances) != 1 || l.parts["l1"].State != ParticipantDisconnected || l.m.Participants != 1 {
		t.Fatalf("after one instance ended: %+v", l.m)
	}
	applyAll(md, london2, callEnd(40, "c2"))
	if l.m.State != Ended || md.meetings["m1"] != nil {
		t.Fatal("the meeting did not end with its last instance")
	}
}

func TestModelLobbyAndAdmission(t *testing.T) {
	md := newModel()
	applyAll(md, london1, callStart(0, "c1", "Board", "m1"), legStart(1, "l1", "c1", "Ada"), legUpdate(2, "l1", "c1", &yes))
	l := md.meetings["m1"]
	if p := l.parts["l1"]; p.State != ParticipantLobby || l.m.Lobby != 1 || l.m.Participants != 0 {
		t.Fatalf("in the lobby: %+v lobby %d", p, l.m.Lobby)
	}
	md.take()
	applyAll(md, london1, legUpdate(9, "l1", "c1", &not))
	d := md.take()
	if p := l.parts["l1"]; p.State != ParticipantConnected || l.m.Lobby != 0 || l.m.Participants != 1 {
		t.Fatalf("admitted: %+v", p)
	}
	if len(d.events) != 1 || !strings.Contains(d.events[0].Description, "admitted") {
		t.Fatalf("events %+v", d.events)
	}
}

func TestModelPendingLegJoinsLater(t *testing.T) {
	md := newModel()
	// An IVR leg starts outside any call, then is routed to the meeting.
	applyAll(md, london1, callStart(0, "c1", "Sync", "m1"), legStart(1, "l1", "", "Ada"))
	if len(md.meetings["m1"].parts) != 0 || md.pending["l1"] == nil {
		t.Fatal("a leg without a call joined a meeting")
	}
	applyAll(md, london1, legUpdate(4, "l1", "c1", nil))
	p := md.meetings["m1"].parts["l1"]
	if p == nil || p.Name != "Ada" || p.State != ParticipantConnected || !p.Joined.Equal(at(1)) || len(md.pending) != 0 {
		t.Fatalf("pending leg: %+v", p)
	}
}

func TestModelMoveBetweenMeetings(t *testing.T) {
	md := newModel()
	applyAll(md, london1, callStart(0, "c1", "One", "m1"), callStart(0, "c2", "Two", "m2"),
		legStart(1, "l1", "c1", "Ada"), legUpdate(2, "l1", "c1", nil))
	applyAll(md, london1, legUpdate(5, "l1", "c2", nil))
	one, two := md.meetings["m1"], md.meetings["m2"]
	if one.parts["l1"] != nil || one.m.Participants != 0 {
		t.Fatalf("still in the first meeting: %+v", one.parts)
	}
	if p := two.parts["l1"]; p == nil || p.State != ParticipantConnected || md.legs["l1"] != "m2" {
		t.Fatalf("not in the second meeting: %+v", two.parts)
	}
}

func TestModelIgnoresUnmanagedBridges(t *testing.T) {
	md := newModel()
	applyAll(md, oslo, callStart(0, "c1", "Oslo sync", "m9"), legStart(1, "l1", "c1", "Ada"))
	if len(md.meetings) != 0 || len(md.pending) != 1 {
		t.Fatalf("a meeting of a cluster without meeting management: %d", len(md.meetings))
	}
}

func TestModelRecordingAndRecorderLeg(t *testing.T) {
	md := newModel()
	applyAll(md, london1, callStart(0, "c1", "Sync", "m1"))
	rec := &cdr.Record{Type: cdr.CallLegStart, Time: at(1), CallLegStart: &cdr.CallLegStartBody{ID: "rec", Call: "c1", Recording: &yes}}
	applyAll(md, london1, rec,
		&cdr.Record{Type: cdr.RecordingStart, Time: at(1), RecordingStart: &cdr.MediaBody{ID: "r1", Call: "c1"}})
	l := md.meetings["m1"]
	if !l.m.Recording || len(l.parts) != 0 {
		t.Fatalf("recording %v, participants %d", l.m.Recording, len(l.parts))
	}
	applyAll(md, london1, &cdr.Record{Type: cdr.RecordingEnd, Time: at(9), RecordingEnd: &cdr.MediaBody{ID: "r1", Call: "c1"}})
	if l.m.Recording {
		t.Fatal("recording did not stop")
	}
}

func TestModelRestoreRebuildsIndexes(t *testing.T) {
	md := newModel()
	applyAll(md, london1, callStart(0, "c1", "Sync", "m1"), legStart(1, "l1", "c1", "Ada"), legUpdate(2, "l1", "c1", nil))
	l := md.meetings["m1"]
	l.parts["l1"].CMSParticipantID = "p1"
	restored := newModel()
	var parts []Participant
	for _, p := range l.parts {
		parts = append(parts, *p)
	}
	restored.restore(l.m, parts)
	if restored.meetingOfCall(1, "c1") == nil || restored.legs["l1"] != "m1" || restored.cmsParts["p1"] != "l1" {
		t.Fatal("indexes not rebuilt")
	}
	applyAll(restored, london1, legEnd(5, "l1", ""), callEnd(6, "c1"))
	if len(restored.meetings) != 0 {
		t.Fatal("a restored meeting did not end")
	}
}

func TestModelEventTexts(t *testing.T) {
	md := newModel()
	applyAll(md, london1, callStart(0, "c1", "Sync", "m1"), legStart(1, "l1", "c1", "Ada"), legEnd(3, "l1", "ringingTimeout"))
	d := md.take()
	var texts []string
	for _, e := range d.events {
		texts = append(texts, e.Description)
	}
	want := []string{"Meeting started on London 1", "Ada joined", "Ada left (ringingTimeout)"}
	if strings.Join(texts, "|") != strings.Join(want, "|") {
		t.Fatalf("events %q, want %q", texts, want)
	}
	if d.events[1].ParticipantID != "l1" || d.events[1].ParticipantName != "Ada" {
		t.Fatalf("join event %+v", d.events[1])
	}
}

// TestModelRosterBeforeCDR: the events roster often tells of a participant
// before its CDR is applied, and in participant ids: what it says is kept
// until the participant's call leg is known and has joined.
func TestModelRosterBeforeCDR(t *testing.T) {
	md := newModel()
	applyAll(md, london1, callStart(0, "c1", "Sync", "m1"))
	muted, layout := true, "speakerOnly"
	md.pidPending["p1"] = mergeRoster(events.RosterEntry{}, events.RosterEntry{Participant: "p1", AudioMuted: &muted})
	md.pidPending["p1"] = mergeRoster(md.pidPending["p1"], events.RosterEntry{Participant: "p1", Layout: &layout})
	md.resolved("p1", []string{"l1"}, at(1))
	if len(md.pidPending) != 0 || md.legPending["l1"].pid != "p1" {
		t.Fatalf("pending %v / %v", md.pidPending, md.legPending)
	}
	applyAll(md, london1, legStart(2, "l1", "c1", "Ada"), legUpdate(3, "l1", "c1", nil))
	p := md.meetings["m1"].parts["l1"]
	if !p.AudioMuted || p.Layout != "speakerOnly" || p.CMSParticipantID != "p1" || md.cmsParts["p1"] != "l1" || len(md.legPending) != 0 {
		t.Fatalf("participant %+v", p)
	}
	// Once known, roster changes apply at once.
	unmuted := false
	md.applyRosterTo("l1", "p1", events.RosterEntry{Participant: "p1", AudioMuted: &unmuted}, at(4))
	if p.AudioMuted {
		t.Fatal("unmute not applied")
	}
	// A participant with no leg on this bridge is remembered as such.
	md.resolved("p2", nil, at(5))
	if leg, known := md.cmsParts["p2"]; !known || leg != "" {
		t.Fatalf("remote participant %q %v", leg, known)
	}
}
