package meetings

// Operator actions against the Call Bridge simulator over real sockets.
// These tests build the action's target by hand from the simulator's state
// (what the live model's target() returns), perform the action, and check
// the bridge's state and the requests it received.

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/server/cms"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// actFixture is a simulated cluster with a wire client per bridge.
// Switchboard's bridge id of Bridges[i] is i+1.
type actFixture struct {
	sim     *cmssim.Sim
	cluster *cmssim.Cluster
	clients map[int]*cms.Client
}

func newActFixture(t *testing.T, name string, bridges int) *actFixture {
	t.Helper()
	sim := cmssim.New(cmssim.Options{Seed: 11})
	t.Cleanup(sim.Close)
	cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: name, Bridges: bridges})
	if err != nil {
		t.Fatal(err)
	}
	f := &actFixture{sim: sim, cluster: cl, clients: map[int]*cms.Client{}}
	for i, b := range cl.Bridges {
		c, err := cms.New(cms.Config{
			Address: b.Addr(), Username: b.Username(), Password: b.Password(), TrustedChain: sim.CACertPEM(),
			// A refused or failing request is the point of some tests:
			// retries would only slow them down.
			Retry: cms.Retry{Attempts: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		f.clients[i+1] = c
	}
	return f
}

func (f *actFixture) bridge(id int) *cmssim.Bridge { return f.cluster.Bridges[id-1] }

// bridgeID returns Switchboard's id of the sim bridge with callBridge id.
func (f *actFixture) bridgeID(t *testing.T, simID string) int {
	t.Helper()
	for i, b := range f.cluster.Bridges {
		if b.ID() == simID {
			return i + 1
		}
	}
	t.Fatalf("no bridge %s", simID)
	return 0
}

// call starts a call on bridge id with legs joined to it.
func (f *actFixture) call(t *testing.T, id int, o cmssim.CallOptions, legs ...cmssim.LegOptions) cmssim.Call {
	t.Helper()
	c, err := f.bridge(id).StartCall(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range legs {
		if _, err := f.bridge(id).Join(c.ID, l); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// target builds what the live model's target() returns for a meeting made
// of these calls (one per bridge), with its participants as the bridges
// have them now.
func (f *actFixture) target(t *testing.T, meetingID string, calls ...cmssim.Call) *target {
	t.Helper()
	tg := &target{
		Meeting:      Meeting{ID: meetingID, Name: calls[0].Name, ClusterID: 1, ClusterName: f.cluster.Name, State: Active, CallType: CallTypeSpace},
		Clients:      map[int]*cms.Client{},
		Participants: map[string]Participant{},
	}
	for _, c := range calls {
		id := f.bridgeID(t, c.Bridge)
		tg.Meeting.Instances = append(tg.Meeting.Instances, Instance{BridgeID: id, BridgeName: f.bridge(id).Name(), CallID: c.ID})
		tg.Clients[id] = f.clients[id]
		for _, l := range f.bridge(id).Legs() {
			if l.CallID != c.ID {
				continue
			}
			st := ParticipantConnecting
			switch {
			case l.Deactivated:
				st = ParticipantLobby
			case l.State == "connected":
				st = ParticipantConnected
			}
			tg.Participants[l.ID] = Participant{ID: l.ID, MeetingID: meetingID, Name: l.Name, RemoteAddress: l.Remote,
				State: st, BridgeID: id, CallLegID: l.ID, CMSParticipantID: l.ParticipantID, AudioMuted: l.AudioMuted}
		}
	}
	return tg
}

// distributed starts a space meeting on bridges 1 and 2, two of the team
// on each.
func (f *actFixture) distributed(t *testing.T) (a, b cmssim.Call, tg *target) {
	t.Helper()
	space, err := f.cluster.CreateCoSpace(cmssim.CoSpaceOptions{Name: "Space", URI: "space"})
	if err != nil {
		t.Fatal(err)
	}
	a = f.call(t, 1, cmssim.CallOptions{CoSpace: space}, team[:2]...)
	b = f.call(t, 2, cmssim.CallOptions{CoSpace: space}, team[2:]...)
	if a.Correlator != b.Correlator {
		t.Fatal("not one distributed meeting")
	}
	tg = f.target(t, "m1", a, b)
	if len(tg.Participants) != 4 {
		t.Fatalf("participants %d", len(tg.Participants))
	}
	return a, b, tg
}

// byName returns the participant of tg named name.
func byName(t *testing.T, tg *target, name string) Participant {
	t.Helper()
	for _, p := range tg.Participants {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no participant %q", name)
	return Participant{}
}

// legs returns bridge id's call legs by participant name.
func (f *actFixture) legs(id int) map[string]cmssim.Leg {
	out := map[string]cmssim.Leg{}
	for _, l := range f.bridge(id).Legs() {
		out[l.Name] = l
	}
	return out
}

// requests returns bridge id's requests as "METHOD path" since the last
// call, and forgets them.
func (f *actFixture) requests(id int) []string {
	b := f.bridge(id)
	var out []string
	for _, r := range b.Requests() {
		out = append(out, r.Method+" "+strings.TrimPrefix(r.Path, "/api/v1"))
	}
	b.ClearRequests()
	return out
}

func (f *actFixture) clearRequests() {
	for _, b := range f.cluster.Bridges {
		b.ClearRequests()
	}
}

func want(t *testing.T, got []string, w ...string) {
	t.Helper()
	if !slices.Equal(got, w) {
		t.Fatalf("requests\n got %q\nwant %q", got, w)
	}
}

// wantAny is want for requests sent in parallel, in any order.
func wantAny(t *testing.T, got []string, w ...string) {
	t.Helper()
	want(t, slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(w))...)
}

// wantKind fails unless err is an *errs.Error of kind k whose message
// contains every one of parts.
func wantKind(t *testing.T, err error, k errs.Kind, parts ...string) *errs.Error {
	t.Helper()
	e, ok := errs.From(err)
	if !ok || e.Kind != k {
		t.Fatalf("error = %v, want kind %v", err, k)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			t.Fatalf("message %q does not say %q", e.Message, p)
		}
	}
	return e
}

func ptr[T any](v T) *T { return &v }

func sortedNames(ps []Participant) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name)
	}
	slices.Sort(out)
	return out
}

var team = []cmssim.LegOptions{{Name: "Ada"}, {Name: "Bob"}, {Name: "Cy"}, {Name: "Di"}}

func TestActionsMuteVideoLayout(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Mute", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Weekly"}, team...)
	tg := f.target(t, "m1", c)
	ada, bob, cy := byName(t, tg, "Ada"), byName(t, tg, "Bob"), byName(t, tg, "Cy")
	f.clearRequests()

	// One participant: its call leg.
	done, err := tg.update(ctx, []Participant{ada}, false, ParticipantUpdate{IDs: []string{ada.ID}, AudioMuted: ptr(true)})
	if err != nil || len(done) != 1 {
		t.Fatalf("mute one: %v %v", done, err)
	}
	want(t, f.requests(1), "PUT /callLegs/"+ada.CallLegID)
	legs := f.legs(1)
	if !legs["Ada"].AudioMuted || legs["Bob"].AudioMuted || legs["Ada"].VideoMuted {
		t.Fatalf("after mute one: %+v", legs)
	}

	// Selected participants: one filterIds request to the call.
	sel := ParticipantUpdate{IDs: []string{bob.ID, cy.ID}, VideoMuted: ptr(true), Layout: string(cms.LayoutSpeakerOnly)}
	if done, err = tg.update(ctx, []Participant{bob, cy}, false, sel); err != nil || len(done) != 2 {
		t.Fatalf("selected: %v %v", done, err)
	}
	want(t, f.requests(1), "PUT /calls/"+c.ID+"/participants/*")
	legs = f.legs(1)
	for name, l := range legs {
		selected := name == "Bob" || name == "Cy"
		if l.VideoMuted != selected || (l.Layout == string(cms.LayoutSpeakerOnly)) != selected {
			t.Fatalf("after selected, %s: %+v", name, l)
		}
	}

	// Everyone: one request for the whole call.
	all := tg.sorted()
	if done, err = tg.update(ctx, all, true, ParticipantUpdate{AudioMuted: ptr(true)}); err != nil || len(done) != 4 {
		t.Fatalf("mute all: %v %v", done, err)
	}
	want(t, f.requests(1), "PUT /calls/"+c.ID+"/participants/*")
	for name, l := range f.legs(1) {
		if !l.AudioMuted {
			t.Fatalf("after mute all, %s not muted", name)
		}
	}
	if _, err = tg.update(ctx, all, true, ParticipantUpdate{AudioMuted: ptr(false), VideoMuted: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	for name, l := range f.legs(1) {
		if l.AudioMuted || l.VideoMuted {
			t.Fatalf("after unmute all, %s: %+v", name, l)
		}
	}
}

func TestActionsBulkBeyondFilterLimit(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Bulk", 1)
	var legs []cmssim.LegOptions
	for i := range 45 {
		legs = append(legs, cmssim.LegOptions{Name: "P" + string(rune('A'+i/26)) + string(rune('a'+i%26))})
	}
	c := f.call(t, 1, cmssim.CallOptions{Name: "Town hall"}, legs...)
	tg := f.target(t, "m1", c)
	ps := tg.sorted()[:43]
	// One participant lacks the bridge's participant id: it goes alone.
	odd := ps[42]
	odd.CMSParticipantID = ""
	ps[42] = odd
	f.clearRequests()
	done, err := tg.update(ctx, ps, false, ParticipantUpdate{IDs: idsOf(ps), AudioMuted: ptr(true)})
	if err != nil || len(done) != 43 {
		t.Fatalf("bulk: %d done, %v", len(done), err)
	}
	bulk := "PUT /calls/" + c.ID + "/participants/*"
	wantAny(t, f.requests(1), "PUT /callLegs/"+odd.CallLegID, bulk, bulk, bulk) // 42 = 20 + 20 + 2
	muted := 0
	for _, l := range f.bridge(1).Legs() {
		if l.AudioMuted {
			muted++
		}
	}
	if muted != 43 {
		t.Fatalf("%d muted, want 43", muted)
	}
}

func TestActionsImportanceAndPane(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Panes", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Board"}, team...)
	tg := f.target(t, "m1", c)
	ada, bob, cy := byName(t, tg, "Ada"), byName(t, tg, "Bob"), byName(t, tg, "Cy")
	cl := f.clients[1]
	importance := func(p Participant) *int {
		t.Helper()
		got, err := cl.Participant(ctx, p.CMSParticipantID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Configuration.Importance
	}

	if _, err := tg.update(ctx, []Participant{ada, bob}, false, ParticipantUpdate{Important: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	wantAny(t, f.requests(1), "PUT /participants/"+ada.CMSParticipantID, "PUT /participants/"+bob.CMSParticipantID)
	if i := importance(ada); i == nil || *i != 1 {
		t.Fatalf("Ada importance %v", i)
	}
	if _, err := tg.update(ctx, []Participant{ada}, false, ParticipantUpdate{Important: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if i := importance(ada); i != nil {
		t.Fatalf("Ada importance %d after unmarking", *i)
	}
	if i := importance(bob); i == nil || *i != 1 {
		t.Fatalf("Bob importance %v", i)
	}

	// The first placement turns pane placement on; pane 2 is importance
	// H-1.
	if _, err := tg.update(ctx, []Participant{cy}, false, ParticipantUpdate{IDs: []string{cy.ID}, Pane: 2}); err != nil {
		t.Fatal(err)
	}
	call, err := cl.Call(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h := call.PanePlacementHighestImportance; h == nil || *h != maxPane {
		t.Fatalf("panePlacementHighestImportance = %v", h)
	}
	if i := importance(cy); i == nil || *i != maxPane-1 {
		t.Fatalf("Cy importance %v", i)
	}

	// A meeting already placing 3 panes keeps its setting.
	if err := cl.UpdateCall(ctx, c.ID, cms.CallParams{PanePlacementHighestImportance: cms.Set(3)}); err != nil {
		t.Fatal(err)
	}
	f.clearRequests()
	if _, err := tg.update(ctx, []Participant{ada}, false, ParticipantUpdate{IDs: []string{ada.ID}, Pane: 3}); err != nil {
		t.Fatal(err)
	}
	want(t, f.requests(1), "GET /calls/"+c.ID, "PUT /participants/"+ada.CMSParticipantID)
	if i := importance(ada); i == nil || *i != 1 {
		t.Fatalf("Ada importance %v in pane 3 of 3", i)
	}
	_, err = tg.update(ctx, []Participant{bob}, false, ParticipantUpdate{IDs: []string{bob.ID}, Pane: 4})
	wantKind(t, err, errs.FailedPrecondition, "panes 1 to 3")

	// Importance needs the bridge's participant id.
	noID := bob
	noID.CMSParticipantID = ""
	_, err = tg.update(ctx, []Participant{noID}, false, ParticipantUpdate{Important: ptr(true)})
	wantKind(t, err, errs.FailedPrecondition, "Bob", "participant id")
}

func TestActionsAdmit(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Lobby", 1)
	waiting := []cmssim.LegOptions{{Name: "Ada", NeedsActivation: true}, {Name: "Bob", NeedsActivation: true}, {Name: "Cy", NeedsActivation: true}}
	c := f.call(t, 1, cmssim.CallOptions{Name: "Webinar"}, waiting...)
	tg := f.target(t, "m1", c)
	for _, p := range tg.Participants {
		if p.State != ParticipantLobby {
			t.Fatalf("%s not in the lobby: %v", p.Name, p.State)
		}
	}
	ada := byName(t, tg, "Ada")

	done, err := tg.admit(ctx, []string{ada.ID})
	if err != nil || len(done) != 1 {
		t.Fatalf("admit one: %v %v", done, err)
	}
	want(t, f.requests(1), "PUT /participants/"+ada.CMSParticipantID)
	legs := f.legs(1)
	if legs["Ada"].Deactivated || !legs["Bob"].Deactivated || !legs["Cy"].Deactivated {
		t.Fatalf("after admitting Ada: %+v", legs)
	}

	// Everyone still waiting, as the model shows them.
	tg = f.target(t, "m1", c)
	if done, err = tg.admit(ctx, nil); err != nil || !slices.Equal(sortedNames(done), []string{"Bob", "Cy"}) {
		t.Fatalf("admit all: %v %v", sortedNames(done), err)
	}
	for name, l := range f.legs(1) {
		if l.Deactivated {
			t.Fatalf("%s still in the lobby", name)
		}
	}
	// Nobody waiting: nothing to do.
	tg = f.target(t, "m1", c)
	f.clearRequests()
	if done, err = tg.admit(ctx, nil); err != nil || len(done) != 0 {
		t.Fatalf("admit none: %v %v", done, err)
	}
	want(t, f.requests(1))
}

func TestActionsDrop(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Drop", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Standup"}, team...)
	tg := f.target(t, "m1", c)
	ada, bob, cy := byName(t, tg, "Ada"), byName(t, tg, "Bob"), byName(t, tg, "Cy")
	// Cy hangs up before the model notices: dropping it is already done.
	if err := f.bridge(1).Leave(cy.CallLegID); err != nil {
		t.Fatal(err)
	}
	f.clearRequests()
	done, err := tg.drop(ctx, []Participant{ada, bob, cy})
	if err != nil || len(done) != 3 {
		t.Fatalf("drop: %v %v", done, err)
	}
	wantAny(t, f.requests(1), "DELETE /callLegs/"+ada.CallLegID, "DELETE /callLegs/"+bob.CallLegID, "DELETE /callLegs/"+cy.CallLegID)
	if legs := f.legs(1); len(legs) != 1 || legs["Di"].ID == "" {
		t.Fatalf("left: %+v", legs)
	}
}

func TestActionsDialOut(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Dial", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Review"}, team[:1]...)
	tg := f.target(t, "m1", c)
	f.clearRequests()

	id, err := tg.dial(ctx, Dial{Address: "eve@example.com", Name: "Eve", Layout: string(cms.LayoutAllEqual)})
	if err != nil || id == "" {
		t.Fatalf("dial: %q %v", id, err)
	}
	want(t, f.requests(1), "POST /calls/"+c.ID+"/callLegs")
	eve := f.legs(1)["Eve"]
	if eve.ID != id || eve.Direction != "outgoing" || eve.Remote != "eve@example.com" || eve.Layout != string(cms.LayoutAllEqual) || eve.State != "connected" {
		t.Fatalf("dialled leg: %+v (id %s)", eve, id)
	}

	// MT-17: the bridge places the call and it fails; that is not an
	// error, and the leg the bridge created is gone.
	id, err = tg.dial(ctx, Dial{Address: "nobody@unreachable.invalid"})
	if err != nil || id == "" {
		t.Fatalf("unreachable dial: %q %v", id, err)
	}
	for _, l := range f.bridge(1).Legs() {
		if l.ID == id {
			t.Fatalf("failed dial-out still up: %+v", l)
		}
	}
}

func TestActionsMove(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Move", 2)
	from := f.call(t, 1, cmssim.CallOptions{Name: "Breakout"}, cmssim.LegOptions{Name: "Ada"}, cmssim.LegOptions{Name: "Stuck", CannotMove: true})
	to := f.call(t, 2, cmssim.CallOptions{Name: "Plenary"}, cmssim.LegOptions{Name: "Bob"})
	src, dst := f.target(t, "m1", from), f.target(t, "m2", to)
	ada := byName(t, src, "Ada")
	f.clearRequests()

	done, err := src.move(ctx, []Participant{ada}, dst)
	if err != nil || len(done) != 1 {
		t.Fatalf("move: %v %v", done, err)
	}
	want(t, f.requests(2), "POST /calls/"+to.ID+"/participants")
	if _, still := f.legs(1)["Ada"]; still {
		t.Fatal("Ada still in the breakout")
	}
	if moved := f.legs(2)["Ada"]; moved.CallID != to.ID || moved.State != "connected" {
		t.Fatalf("Ada in the plenary: %+v", moved)
	}

	// The bridge refuses to move a participant that cannot move.
	_, err = src.move(ctx, []Participant{byName(t, src, "Stuck")}, dst)
	e := wantKind(t, err, errs.FailedPrecondition, "refused", "Stuck", "participantCannotBeModified")
	if e.Metadata["cms_reason"] != "participantCannotBeModified" {
		t.Fatalf("metadata %v", e.Metadata)
	}

	// Meetings of another cluster are out of reach.
	dst.Meeting.ClusterID, dst.Meeting.ClusterName = 9, "Elsewhere"
	_, err = src.move(ctx, []Participant{byName(t, src, "Stuck")}, dst)
	wantKind(t, err, errs.FailedPrecondition, "Elsewhere")
}

func TestActionsUpdateMeeting(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Meeting", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "All hands"}, team...)
	tg := f.target(t, "m1", c)
	f.clearRequests()

	done, err := tg.updateMeeting(ctx, MeetingUpdate{Locked: ptr(true), Recording: ptr(true), Streaming: ptr(true), JoinAudioMuted: ptr(true), Layout: string(cms.LayoutStacked)})
	if err != nil {
		t.Fatal(err)
	}
	want(t, done, "Locked the meeting", "Started recording", "Started streaming", "New participants join muted", "Set the layout of all participants to stacked")
	want(t, f.requests(1), "PUT /calls/"+c.ID, "PUT /calls/"+c.ID+"/participants/*")
	got := f.bridge(1).Calls()[0]
	if !got.Locked || !got.Recording || !got.Streaming {
		t.Fatalf("call: %+v", got)
	}
	call, err := f.clients[1].Call(ctx, c.ID)
	if err != nil || call.JoinAudioMuteOverride != "true" {
		t.Fatalf("joinAudioMuteOverride %q %v", call.JoinAudioMuteOverride, err)
	}
	for name, l := range f.legs(1) {
		if l.Layout != string(cms.LayoutStacked) {
			t.Fatalf("%s layout %q", name, l.Layout)
		}
	}
	if _, err := tg.updateMeeting(ctx, MeetingUpdate{Locked: ptr(false), Recording: ptr(false), Streaming: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	if got := f.bridge(1).Calls()[0]; got.Locked || got.Recording || got.Streaming {
		t.Fatalf("call after undo: %+v", got)
	}
}

func TestActionsLockDualHomed(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Lync", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Skype meeting", CallType: "lyncConferencing"}, team[:2]...)
	tg := f.target(t, "m1", c)
	tg.Meeting.CallType = CallTypeLync

	done, err := tg.updateMeeting(ctx, MeetingUpdate{Locked: ptr(true), Recording: ptr(true)})
	e := wantKind(t, err, errs.FailedPrecondition, "lock the meeting", "dual-homed")
	if e.Metadata["cms_reason"] != "invalidOperation" || len(done) != 0 {
		t.Fatalf("metadata %v, done %v", e.Metadata, done)
	}
	// The bridge took none of the request.
	if got := f.bridge(1).Calls()[0]; got.Locked || got.Recording {
		t.Fatalf("call: %+v", got)
	}
}

func TestActionsEndDistributed(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "End", 2)
	a, b, tg := f.distributed(t)
	f.clearRequests()
	if err := tg.end(ctx); err != nil {
		t.Fatal(err)
	}
	want(t, f.requests(1), "DELETE /calls/"+a.ID)
	// Ending one instance may end the others; a delete that finds none is
	// not a failure.
	if got := f.requests(2); len(got) != 1 || got[0] != "DELETE /calls/"+b.ID {
		t.Fatalf("bridge 2: %q", got)
	}
	for i := 1; i <= 2; i++ {
		if calls := f.bridge(i).Calls(); len(calls) != 0 {
			t.Fatalf("bridge %d still has %+v", i, calls)
		}
	}
}

func TestActionsDistributedParticipants(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Spread", 2)
	a, b, tg := f.distributed(t)
	ps := tg.sorted()
	f.clearRequests()
	// Selected participants on both bridges: each bridge gets the batch
	// of the participants it hosts.
	if _, err := tg.update(ctx, ps, false, ParticipantUpdate{IDs: idsOf(ps), VideoMuted: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	want(t, f.requests(1), "PUT /calls/"+a.ID+"/participants/*")
	want(t, f.requests(2), "PUT /calls/"+b.ID+"/participants/*")
	// Single participants go to the bridge hosting their leg.
	di := byName(t, tg, "Di")
	if _, err := tg.drop(ctx, []Participant{di}); err != nil {
		t.Fatal(err)
	}
	want(t, f.requests(1))
	want(t, f.requests(2), "DELETE /callLegs/"+di.CallLegID)
	for i := 1; i <= 2; i++ {
		for name, l := range f.legs(i) {
			if !l.VideoMuted {
				t.Fatalf("%s video not stopped", name)
			}
		}
	}

	// A bridge that is not connected: what it hosts cannot be changed,
	// and the action says which bridge.
	delete(tg.Clients, 2)
	cy := byName(t, tg, "Cy")
	done, err := tg.drop(ctx, []Participant{cy})
	wantKind(t, err, errs.Unavailable, f.bridge(2).Name())
	if len(done) != 0 {
		t.Fatalf("done %v", done)
	}
	// The meeting's first bridge down: meeting-wide changes go to the next.
	tg.Clients = map[int]*cms.Client{2: f.clients[2]}
	f.clearRequests()
	if _, err := tg.updateMeeting(ctx, MeetingUpdate{Locked: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	want(t, f.requests(2), "PUT /calls/"+b.ID)
	tg.Clients = nil
	_, err = tg.updateMeeting(ctx, MeetingUpdate{Locked: ptr(false)})
	wantKind(t, err, errs.Unavailable, "no Call Bridge")
	wantKind(t, tg.end(ctx), errs.Unavailable)
}

func TestActionsBridgeFailures(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Faults", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Fragile"}, team...)
	tg := f.target(t, "m1", c)
	ada := byName(t, tg, "Ada")

	// Busy: 503.
	f.bridge(1).Fail503(1)
	_, err := tg.update(ctx, []Participant{ada}, false, ParticipantUpdate{AudioMuted: ptr(true)})
	wantKind(t, err, errs.Unavailable, "busy")

	// Gone from the bridge since the model saw it.
	if err := f.bridge(1).Leave(ada.CallLegID); err != nil {
		t.Fatal(err)
	}
	_, err = tg.update(ctx, []Participant{ada}, false, ParticipantUpdate{AudioMuted: ptr(true)})
	wantKind(t, err, errs.NotFound, "no longer")

	// Down: nothing is dropped, and the error says what failed.
	if err := f.bridge(1).SetDown(true); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.bridge(1).SetDown(false) })
	rest := tg.sorted()
	done, err := tg.drop(ctx, rest)
	wantKind(t, err, errs.Unavailable, "could not drop")
	if len(done) != 0 {
		t.Fatalf("done %v", done)
	}
	if _, _, err := tg.statistics(ctx, byName(t, tg, "Bob")); errs.KindOf(err) != errs.Unavailable {
		t.Fatalf("statistics on a down bridge: %v", err)
	}
}

func TestActionsBadInput(t *testing.T) {
	ctx := context.Background()
	s := &Service{} // input is checked before the model is consulted
	field := func(err error, name string) {
		t.Helper()
		e := wantKind(t, err, errs.InvalidArgument)
		if name != "" && (len(e.Violations) != 1 || e.Violations[0].Field != name) {
			t.Fatalf("violations %+v, want field %s (%v)", e.Violations, name, err)
		}
	}
	_, err := s.AddParticipant(ctx, "m1", Dial{})
	field(err, "address")
	_, err = s.AddParticipant(ctx, "m1", Dial{Address: "a@example.com", CallBackID: "p1"})
	field(err, "call_back_participant_id")
	_, err = s.AddParticipant(ctx, "m1", Dial{Address: "a b@example.com"})
	field(err, "address")
	_, err = s.AddParticipant(ctx, "m1", Dial{Address: strings.Repeat("a", 257)})
	field(err, "address")
	_, err = s.AddParticipant(ctx, "m1", Dial{Address: "a@example.com", Layout: "huge"})
	field(err, "layout")
	_, err = s.AddParticipant(ctx, "m1", Dial{Address: "a@example.com", Name: "bad\x00name"})
	field(err, "name")
	_, err = s.AddParticipant(ctx, " ", Dial{Address: "a@example.com"})
	field(err, "meeting_id")

	field(s.DropParticipants(ctx, "m1", nil), "participant_ids")
	field(s.DropParticipants(ctx, "m1", []string{"p1", ""}), "participant_ids")
	field(s.DropParticipants(ctx, "m1", make([]string, maxIDs+1)), "participant_ids")

	field(s.UpdateParticipants(ctx, "m1", ParticipantUpdate{IDs: []string{"p1"}}), "")
	field(s.UpdateParticipants(ctx, "m1", ParticipantUpdate{Layout: "huge"}), "layout")
	field(s.UpdateParticipants(ctx, "m1", ParticipantUpdate{Pane: 2}), "pane")
	field(s.UpdateParticipants(ctx, "m1", ParticipantUpdate{IDs: []string{"p1", "p2"}, Pane: 2}), "pane")
	field(s.UpdateParticipants(ctx, "m1", ParticipantUpdate{IDs: []string{"p1"}, Pane: maxPane + 1}), "pane")
	field(s.UpdateParticipants(ctx, "m1", ParticipantUpdate{IDs: []string{"p1"}, Pane: 1, Important: ptr(true)}), "pane")

	_, err = s.AdmitParticipants(ctx, "m1", []string{""})
	field(err, "participant_ids")

	field(s.MoveParticipants(ctx, "m1", nil, "m2"), "participant_ids")
	field(s.MoveParticipants(ctx, "m1", []string{"p1"}, ""), "target_meeting_id")
	field(s.MoveParticipants(ctx, "m1", []string{"p1"}, "m1"), "target_meeting_id")

	field(s.UpdateMeeting(ctx, "m1", MeetingUpdate{}), "")
	field(s.UpdateMeeting(ctx, "m1", MeetingUpdate{Layout: "huge"}), "layout")
	field(s.EndMeeting(ctx, ""), "meeting_id")

	_, _, err = s.Statistics(ctx, "m1", "")
	field(err, "participant_id")
}

func TestActionsPick(t *testing.T) {
	f := newActFixture(t, "Pick", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Pick"}, team...)
	tg := f.target(t, "m1", c)
	ada := byName(t, tg, "Ada")
	ps, err := tg.pick([]string{ada.ID, ada.ID})
	if err != nil || len(ps) != 1 {
		t.Fatalf("duplicates: %v %v", ps, err)
	}
	_, err = tg.pick([]string{ada.ID, "ghost-1", "ghost-2"})
	wantKind(t, err, errs.NotFound, "ghost-1, ghost-2", `"Pick"`)
	if all, err := tg.pick(nil); err != nil || len(all) != 4 {
		t.Fatalf("all: %v %v", all, err)
	}
}

func TestActionsStatistics(t *testing.T) {
	ctx := t.Context()
	f := newActFixture(t, "Stats", 1)
	c := f.call(t, 1, cmssim.CallOptions{Name: "Stats"}, team[:2]...)
	tg := f.target(t, "m1", c)
	ada := byName(t, tg, "Ada")
	stats, at, err := tg.statistics(ctx, ada)
	if err != nil || len(stats) != 1 || at.IsZero() {
		t.Fatalf("statistics: %+v %v %v", stats, at, err)
	}
	s := stats[0]
	if s.CallLegID != ada.CallLegID || s.RxAudio == nil || s.TxAudio == nil || s.RxAudio.Codec == "" || s.RxAudio.BitRate <= 0 {
		t.Fatalf("audio: %+v", s)
	}
	if len(s.RxVideo) != 1 || len(s.TxVideo) != 1 || s.RxVideo[0].Width <= 0 || s.RxVideo[0].FrameRate <= 0 || s.TxVideo[0].Codec == "" {
		t.Fatalf("video: %+v", s)
	}
	if len(s.RxPresentation) != 0 || len(s.TxPresentation) != 0 {
		t.Fatalf("presentation without a presenter: %+v", s)
	}
	// The figures are the bridge's.
	leg, err := f.clients[1].CallLeg(ctx, ada.CallLegID)
	if err != nil {
		t.Fatal(err)
	}
	if float64(*leg.Status.RxAudio.BitRate) != s.RxAudio.BitRate || *leg.Status.RxVideo[0].Height != s.RxVideo[0].Height {
		t.Fatalf("converted %+v from %+v", s, leg.Status)
	}

	if err := f.bridge(1).Leave(ada.CallLegID); err != nil {
		t.Fatal(err)
	}
	_, _, err = tg.statistics(ctx, ada)
	wantKind(t, err, errs.NotFound, "Ada")
}

func TestLegStatisticsConversion(t *testing.T) {
	dec := func(v float64) *cms.Decimal { d := cms.Decimal(v); return &d }
	leg := &cms.CallLeg{ID: "leg-1", Status: &cms.CallLegStatus{
		DurationSeconds: 90, EncryptedMedia: ptr(true),
		RxAudio: &cms.AudioStats{Codec: "opus", BitRate: dec(64000), Jitter: dec(3), PacketLossPercentage: dec(0.5), RoundTripTime: dec(40)},
		RxVideo: []cms.VideoStats{
			{Role: "main", Codec: "h264", Width: ptr(1280), Height: ptr(720), FrameRate: dec(30), BitRate: dec(1.5e6)},
			{Role: "presentation", Codec: "h264", Width: ptr(1920), Height: ptr(1080), FrameRate: dec(5)},
		},
		TxVideo: []cms.VideoStats{{Codec: "vp8", Width: ptr(640)}},
	}}
	got := legStatistics(leg)
	if got.CallLegID != "leg-1" || got.Duration.Seconds() != 90 || !got.Encrypted || got.TxAudio != nil {
		t.Fatalf("leg: %+v", got)
	}
	if a := got.RxAudio; a.Codec != "opus" || a.BitRate != 64000 || a.JitterMS != 3 || a.PacketLossPercent != 0.5 || a.RoundTrip != 40 {
		t.Fatalf("rx audio: %+v", a)
	}
	if len(got.RxVideo) != 1 || got.RxVideo[0].Height != 720 || len(got.RxPresentation) != 1 || got.RxPresentation[0].Width != 1920 {
		t.Fatalf("rx video %+v, presentation %+v", got.RxVideo, got.RxPresentation)
	}
	// A stream without a role is main video.
	if len(got.TxVideo) != 1 || got.TxVideo[0].Width != 640 || len(got.TxPresentation) != 0 {
		t.Fatalf("tx: %+v %+v", got.TxVideo, got.TxPresentation)
	}
	if empty := legStatistics(&cms.CallLeg{ID: "x"}); empty.RxAudio != nil || empty.RxVideo != nil {
		t.Fatalf("no status: %+v", empty)
	}
}

func TestForEachStopsAfterFailure(t *testing.T) {
	boom := errors.New("boom")
	items := make([]int, 100)
	for i := range items {
		items[i] = i
	}
	// One at a time, the order is fixed: items 0 to 3 run, 3 fails, and
	// nothing after it starts.
	var ran []int
	done, err := forEachN(context.Background(), 1, items, func(_ context.Context, i int) error {
		ran = append(ran, i)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || !slices.Equal(ran, []int{0, 1, 2, 3}) || !slices.Equal(done, []int{0, 1, 2}) {
		t.Fatalf("ran %v, done %v, err %v", ran, done, err)
	}
	// In parallel every item runs once and done keeps the items' order.
	var calls atomic.Int64
	done, err = forEach(context.Background(), items, func(context.Context, int) error { calls.Add(1); return nil })
	if err != nil || !slices.Equal(done, items) || calls.Load() != int64(len(items)) {
		t.Fatalf("all: %d done, %d calls, %v", len(done), calls.Load(), err)
	}
	// A cancelled context starts nothing and says so.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done, err = forEach(ctx, items, func(context.Context, int) error { return nil })
	if !errors.Is(err, context.Canceled) || len(done) != 0 {
		t.Fatalf("cancelled: %d done, %v", len(done), err)
	}
}

func TestRefusedSaysWhy(t *testing.T) {
	tg := &target{Meeting: Meeting{Name: "Weekly", CallType: CallTypeSpace}}
	lync := &target{Meeting: Meeting{Name: "Skype", CallType: CallTypeLync}}
	api := func(status int, reason string) error {
		return &cms.APIError{Method: "PUT", Path: "calls/x", Status: status, Reason: reason}
	}
	cases := []struct {
		tg    *target
		err   error
		kind  errs.Kind
		parts []string
	}{
		{tg, api(404, "callLegDoesNotExist"), errs.NotFound, []string{"could not mute Ada", "no longer"}},
		{tg, api(503, ""), errs.Unavailable, []string{"busy"}},
		{tg, api(500, ""), errs.Unavailable, []string{"HTTP 500"}},
		{tg, api(400, "participantLimitReached"), errs.FailedPrecondition, []string{"refused to mute Ada", "participant limit", "participantLimitReached"}},
		{tg, api(400, "invalidOperation"), errs.FailedPrecondition, []string{"does not allow it"}},
		{lync, api(400, "invalidOperation"), errs.FailedPrecondition, []string{"dual-homed"}},
		{tg, api(400, "somethingNew"), errs.FailedPrecondition, []string{"somethingNew"}},
		{tg, api(400, ""), errs.FailedPrecondition, []string{"HTTP 400"}},
		{tg, &cms.APIError{Status: 400, Reason: "parameterError", Parameter: "remoteParty", Detail: "invalidValue"}, errs.FailedPrecondition, []string{"remoteParty", "invalidValue"}},
		{tg, &cms.ConnError{Kind: cms.KindUnreachable, Addr: "cb1:443"}, errs.Unavailable, []string{"unreachable"}},
		{tg, &cms.DecodeError{Method: "GET", Path: "callLegs/x", Err: errors.New("bad")}, errs.Unavailable, []string{"not understood"}},
		{tg, errors.New("EOF"), errs.Unavailable, []string{"connection"}},
		{tg, context.DeadlineExceeded, errs.Unavailable, []string{"in time"}},
		{tg, errs.New(errs.Unavailable, errs.ReasonUnavailable, "Call Bridge cb2 is not connected"), errs.Unavailable, []string{"cb2"}},
	}
	for _, c := range cases {
		wantKind(t, c.tg.refused(c.err, "mute Ada"), c.kind, c.parts...)
	}
	if err := tg.refused(context.Canceled, "mute Ada"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	e, _ := errs.From(tg.refused(api(400, "participantLimitReached"), "x"))
	if e.Metadata["cms_reason"] != "participantLimitReached" {
		t.Fatalf("metadata %v", e.Metadata)
	}
}
