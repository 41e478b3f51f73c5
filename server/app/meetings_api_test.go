package app

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	"github.com/switchboardhq/switchboard/ent/auditevent"
	"github.com/switchboardhq/switchboard/ent/user"
	meetingsv1 "github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1/meetingsv1connect"
	"github.com/switchboardhq/switchboard/server/api"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/interceptor"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// noMeeting is a meeting id that passes validation and names nothing.
const noMeeting = "no-such-meeting"

// meetingCall is one MeetingService RPC as the tests make it: a valid
// request about noMeeting, over the Go SDK (Connect) and over REST.
type meetingCall struct {
	proc string
	sdk  func(context.Context, *switchboard.Client) error
	rest route
	body string // the REST JSON body; "" for GET
	// found is true for the calls that succeed without a meeting (the
	// list and its stream); the others are NotFound.
	found bool
	// audited: the operator actions and pins, not the reads and streams.
	audited bool
}

// unary adapts a generated client method to meetingCall.sdk.
func unary[Req, Res any](m func(meetingsv1connect.MeetingServiceClient, context.Context, *connect.Request[Req]) (*connect.Response[Res], error), msg *Req) func(context.Context, *switchboard.Client) error {
	return func(ctx context.Context, c *switchboard.Client) error {
		_, err := m(c.Meetings, ctx, connect.NewRequest(msg))
		return err
	}
}

// serverStream adapts a generated streaming method to meetingCall.sdk: the
// call succeeds when the first message arrives.
func serverStream[Req, Res any](m func(meetingsv1connect.MeetingServiceClient, context.Context, *connect.Request[Req]) (*connect.ServerStreamForClient[Res], error), msg *Req) func(context.Context, *switchboard.Client) error {
	return func(ctx context.Context, c *switchboard.Client) error {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		st, err := m(c.Meetings, ctx, connect.NewRequest(msg))
		if err != nil {
			return err
		}
		defer st.Close()
		if !st.Receive() {
			if st.Err() == nil {
				return errors.New("the stream ended without a message")
			}
			return st.Err()
		}
		return nil
	}
}

func meetingCalls() []meetingCall {
	type C = meetingsv1connect.MeetingServiceClient
	yes := true
	base := "/api/v1/meetings/" + noMeeting
	return []meetingCall{
		{proc: meetingsv1connect.MeetingServiceListMeetingsProcedure, found: true,
			sdk:  unary(C.ListMeetings, &meetingsv1.ListMeetingsRequest{}),
			rest: route{http.MethodGet, "/api/v1/meetings?ended=true"}},
		{proc: meetingsv1connect.MeetingServiceGetMeetingProcedure,
			sdk:  unary(C.GetMeeting, &meetingsv1.GetMeetingRequest{MeetingId: noMeeting}),
			rest: route{http.MethodGet, base}},
		{proc: meetingsv1connect.MeetingServiceListParticipantsProcedure,
			sdk:  unary(C.ListParticipants, &meetingsv1.ListParticipantsRequest{MeetingId: noMeeting}),
			rest: route{http.MethodGet, base + "/participants"}},
		{proc: meetingsv1connect.MeetingServiceGetParticipantStatisticsProcedure,
			sdk:  unary(C.GetParticipantStatistics, &meetingsv1.GetParticipantStatisticsRequest{MeetingId: noMeeting, ParticipantId: "p1"}),
			rest: route{http.MethodGet, base + "/participants/p1/statistics"}},
		{proc: meetingsv1connect.MeetingServiceListMeetingEventsProcedure,
			sdk:  unary(C.ListMeetingEvents, &meetingsv1.ListMeetingEventsRequest{MeetingId: noMeeting}),
			rest: route{http.MethodGet, base + "/events"}},
		{proc: meetingsv1connect.MeetingServiceWatchMeetingsProcedure, found: true,
			sdk:  serverStream(C.WatchMeetings, &meetingsv1.WatchMeetingsRequest{}),
			rest: route{http.MethodGet, "/api/v1/meetings:watch"}},
		{proc: meetingsv1connect.MeetingServiceWatchMeetingProcedure,
			sdk:  serverStream(C.WatchMeeting, &meetingsv1.WatchMeetingRequest{MeetingId: noMeeting}),
			rest: route{http.MethodGet, base + ":watch"}},
		{proc: meetingsv1connect.MeetingServicePinMeetingProcedure, audited: true,
			sdk:  unary(C.PinMeeting, &meetingsv1.PinMeetingRequest{MeetingId: noMeeting}),
			rest: route{http.MethodPost, base + ":pin"}, body: `{}`},
		{proc: meetingsv1connect.MeetingServiceUnpinMeetingProcedure, audited: true,
			sdk:  unary(C.UnpinMeeting, &meetingsv1.UnpinMeetingRequest{MeetingId: noMeeting}),
			rest: route{http.MethodPost, base + ":unpin"}, body: `{}`},
		{proc: meetingsv1connect.MeetingServiceAddParticipantProcedure, audited: true,
			sdk:  unary(C.AddParticipant, &meetingsv1.AddParticipantRequest{MeetingId: noMeeting, Address: "sip:ada@example.com"}),
			rest: route{http.MethodPost, base + "/participants"}, body: `{"address":"sip:ada@example.com","layout":"LAYOUT_SPEAKER_ONLY"}`},
		{proc: meetingsv1connect.MeetingServiceDropParticipantsProcedure, audited: true,
			sdk:  unary(C.DropParticipants, &meetingsv1.DropParticipantsRequest{MeetingId: noMeeting, ParticipantIds: []string{"p1"}}),
			rest: route{http.MethodPost, base + "/participants:drop"}, body: `{"participantIds":["p1"]}`},
		{proc: meetingsv1connect.MeetingServiceUpdateParticipantsProcedure, audited: true,
			sdk:  unary(C.UpdateParticipants, &meetingsv1.UpdateParticipantsRequest{MeetingId: noMeeting, AudioMuted: &yes}),
			rest: route{http.MethodPost, base + "/participants:update"}, body: `{"participantIds":["p1"],"pane":1}`},
		{proc: meetingsv1connect.MeetingServiceAdmitParticipantsProcedure, audited: true,
			sdk:  unary(C.AdmitParticipants, &meetingsv1.AdmitParticipantsRequest{MeetingId: noMeeting}),
			rest: route{http.MethodPost, base + "/participants:admit"}, body: `{}`},
		{proc: meetingsv1connect.MeetingServiceMoveParticipantsProcedure, audited: true,
			sdk: unary(C.MoveParticipants, &meetingsv1.MoveParticipantsRequest{MeetingId: noMeeting, ParticipantIds: []string{"p1"},
				TargetMeetingId: "another-meeting"}),
			rest: route{http.MethodPost, base + "/participants:move"}, body: `{"participantIds":["p1"],"targetMeetingId":"another-meeting"}`},
		{proc: meetingsv1connect.MeetingServiceUpdateMeetingProcedure, audited: true,
			sdk:  unary(C.UpdateMeeting, &meetingsv1.UpdateMeetingRequest{MeetingId: noMeeting, Locked: &yes}),
			rest: route{http.MethodPatch, base}, body: `{"recording":true}`},
		{proc: meetingsv1connect.MeetingServiceEndMeetingProcedure, audited: true,
			sdk:  unary(C.EndMeeting, &meetingsv1.EndMeetingRequest{MeetingId: noMeeting}),
			rest: route{http.MethodPost, base + ":end"}, body: `{}`},
	}
}

// restCall sends a REST request; for a stream it reads only the status
// and the first line (the first message, or the error).
func (s *testServer) restCall(t *testing.T, r route, body string, header http.Header) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, s.url+r.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := insecureHTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	line, _ := bufio.NewReader(res.Body).ReadString('\n')
	return res.StatusCode, line
}

// operatorClient adds the video operator "olga" and signs her in.
func operatorClient(t *testing.T, s *testServer) *switchboard.Client {
	t.Helper()
	s.addUser(t, "olga", "operator-Secret-1", user.RoleVideoOperator)
	c, err := sdk(t, s, false, "olga", "operator-Secret-1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMeetingsRoleMatrix calls every MeetingService RPC over Connect and
// REST as an anonymous caller, a video operator and an administrator: the
// anonymous caller is refused, both roles reach the domain (which finds no
// such meeting), and exactly the actions and pins are audited, with the
// operator as the actor.
func TestMeetingsRoleMatrix(t *testing.T) {
	s := start(t, "sqlite")
	ctx := context.Background()
	operator := operatorClient(t, s)
	admin, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	anonymous, err := sdk(t, s, false, "", "")
	if err != nil {
		t.Fatal(err)
	}
	callers := []struct {
		name string
		c    *switchboard.Client
	}{{"anonymous", anonymous}, {"operator", operator}, {"administrator", admin}}

	calls := meetingCalls()
	covered := map[string]bool{}
	for _, mc := range calls {
		covered[mc.proc] = true
		if access := api.Policy[mc.proc]; access != interceptor.SignedIn {
			t.Errorf("%s: policy %v, want signed-in (operators and administrators)", mc.proc, access)
		}
		// The table's audited column is what the proto declares.
		if got := interceptor.ChangesState(methodDescriptor(t, mc.proc)); got != mc.audited {
			t.Errorf("%s: changes state %v, want %v", mc.proc, got, mc.audited)
		}
		for _, caller := range callers {
			wantCode, wantStatus := connect.CodeNotFound, http.StatusNotFound
			switch {
			case caller.name == "anonymous":
				wantCode, wantStatus = connect.CodeUnauthenticated, http.StatusUnauthorized
			case mc.found:
				wantCode, wantStatus = 0, http.StatusOK
			}
			err := mc.sdk(ctx, caller.c)
			if got := connect.CodeOf(err); (wantCode == 0 && err != nil) || (wantCode != 0 && got != wantCode) {
				t.Errorf("Connect %s as %s: %v, want %v", mc.proc, caller.name, err, wantCode)
			}
			var header http.Header
			if caller.name != "anonymous" {
				header = bearer(caller.c.Token())
			}
			if status, body := s.restCall(t, mc.rest, mc.body, header); status != wantStatus {
				t.Errorf("REST %s %s as %s: %d %s, want %d", mc.rest.method, mc.rest.path, caller.name, status, body, wantStatus)
			}
		}
	}
	d := methodDescriptor(t, meetingsv1connect.MeetingServiceListMeetingsProcedure).Parent().(protoreflect.ServiceDescriptor)
	for i := range d.Methods().Len() {
		proc := "/" + string(d.FullName()) + "/" + string(d.Methods().Get(i).Name())
		if !covered[proc] {
			t.Errorf("%s is not in the meetings role matrix", proc)
		}
	}

	// Each audited call was made twice by each role (Connect and REST);
	// the refused anonymous calls and the reads left no trace.
	for _, mc := range calls {
		n, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action(mc.proc)).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		if mc.audited {
			want = 4
		}
		if n != want {
			t.Errorf("%s: %d audit events, want %d", mc.proc, n, want)
		}
		if !mc.audited {
			continue
		}
		olga, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action(mc.proc), auditevent.Actor("olga")).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(olga) != 2 || olga[0].Outcome != "NOT_FOUND" {
			t.Errorf("%s: operator's audit events %v, want 2 with outcome NOT_FOUND", mc.proc, olga)
		}
	}
}

func methodDescriptor(t *testing.T, proc string) protoreflect.MethodDescriptor {
	t.Helper()
	name := strings.ReplaceAll(strings.TrimPrefix(proc, "/"), "/", ".")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		t.Fatalf("%s: %v", proc, err)
	}
	return d.(protoreflect.MethodDescriptor)
}

// TestMeetingsBadInput sends requests that are wrong on the wire and checks
// that each is refused with InvalidArgument naming the field, over Connect
// and REST. Refused actions are audited as attempts, never as done.
func TestMeetingsBadInput(t *testing.T) {
	s := start(t, "sqlite")
	ctx := context.Background()
	c := operatorClient(t, s)
	type C = meetingsv1connect.MeetingServiceClient
	yes := true
	base := "/api/v1/meetings/m1"
	cases := []struct {
		name, field string
		sdk         func(context.Context, *switchboard.Client) error
		rest        route
		body        string
	}{
		{"page size over the maximum", "page_size",
			unary(C.ListMeetings, &meetingsv1.ListMeetingsRequest{PageSize: 5000}),
			route{http.MethodGet, "/api/v1/meetings?pageSize=5000"}, ""},
		{"cluster id that is not one", "cluster_ids",
			unary(C.ListMeetings, &meetingsv1.ListMeetingsRequest{ClusterIds: []string{"London"}}),
			route{http.MethodGet, "/api/v1/meetings?clusterIds=London"}, ""},
		{"over-long search", "query",
			unary(C.ListMeetings, &meetingsv1.ListMeetingsRequest{Query: strings.Repeat("q", 201)}),
			route{http.MethodGet, "/api/v1/meetings?query=" + strings.Repeat("q", 201)}, ""},
		{"over-long meeting id", "meeting_id",
			unary(C.GetMeeting, &meetingsv1.GetMeetingRequest{MeetingId: strings.Repeat("m", 65)}),
			route{http.MethodGet, "/api/v1/meetings/" + strings.Repeat("m", 65)}, ""},
		{"dial-out without an address", "address",
			unary(C.AddParticipant, &meetingsv1.AddParticipantRequest{MeetingId: "m1", Name: "Ada"}),
			route{http.MethodPost, base + "/participants"}, `{"name":"Ada"}`},
		{"dial-out with an address and a call-back", "call_back_participant_id",
			unary(C.AddParticipant, &meetingsv1.AddParticipantRequest{MeetingId: "m1", Address: "sip:ada@example.com", CallBackParticipantId: "p1"}),
			route{http.MethodPost, base + "/participants"}, `{"address":"sip:ada@example.com","callBackParticipantId":"p1"}`},
		{"undefined layout", "layout",
			unary(C.AddParticipant, &meetingsv1.AddParticipantRequest{MeetingId: "m1", Address: "sip:ada@example.com", Layout: 99}),
			route{http.MethodPost, base + "/participants"}, `{"address":"sip:ada@example.com","layout":99}`},
		{"drop nobody", "participant_ids",
			unary(C.DropParticipants, &meetingsv1.DropParticipantsRequest{MeetingId: "m1"}),
			route{http.MethodPost, base + "/participants:drop"}, `{}`},
		{"pane for every participant", "pane",
			unary(C.UpdateParticipants, &meetingsv1.UpdateParticipantsRequest{MeetingId: "m1", Pane: 2}),
			route{http.MethodPost, base + "/participants:update"}, `{"pane":2}`},
		{"pane for two participants", "pane",
			unary(C.UpdateParticipants, &meetingsv1.UpdateParticipantsRequest{MeetingId: "m1", ParticipantIds: []string{"p1", "p2"}, Pane: 2}),
			route{http.MethodPost, base + "/participants:update"}, `{"participantIds":["p1","p2"],"pane":2}`},
		{"pane out of range", "pane",
			unary(C.UpdateParticipants, &meetingsv1.UpdateParticipantsRequest{MeetingId: "m1", ParticipantIds: []string{"p1"}, Pane: 101}),
			route{http.MethodPost, base + "/participants:update"}, `{"participantIds":["p1"],"pane":101}`},
		{"participant update that changes nothing", "audio_muted",
			unary(C.UpdateParticipants, &meetingsv1.UpdateParticipantsRequest{MeetingId: "m1", ParticipantIds: []string{"p1"}}),
			route{http.MethodPost, base + "/participants:update"}, `{"participantIds":["p1"]}`},
		{"empty participant id", "participant_ids",
			unary(C.UpdateParticipants, &meetingsv1.UpdateParticipantsRequest{MeetingId: "m1", ParticipantIds: []string{""}, AudioMuted: &yes}),
			route{http.MethodPost, base + "/participants:update"}, `{"participantIds":[""],"audioMuted":true}`},
		{"move into the same meeting", "target_meeting_id",
			unary(C.MoveParticipants, &meetingsv1.MoveParticipantsRequest{MeetingId: "m1", ParticipantIds: []string{"p1"}, TargetMeetingId: "m1"}),
			route{http.MethodPost, base + "/participants:move"}, `{"participantIds":["p1"],"targetMeetingId":"m1"}`},
		{"move without a target", "target_meeting_id",
			unary(C.MoveParticipants, &meetingsv1.MoveParticipantsRequest{MeetingId: "m1", ParticipantIds: []string{"p1"}}),
			route{http.MethodPost, base + "/participants:move"}, `{"participantIds":["p1"]}`},
		{"meeting update that changes nothing", "locked",
			unary(C.UpdateMeeting, &meetingsv1.UpdateMeetingRequest{MeetingId: "m1"}),
			route{http.MethodPatch, base}, `{}`},
		// REST cannot leave a path parameter empty: Connect only.
		{"watch without a meeting", "meeting_id",
			serverStream(C.WatchMeeting, &meetingsv1.WatchMeetingRequest{}), route{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.sdk(ctx, c)
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Fatalf("Connect: %v, want invalid_argument", err)
			}
			if _, fields := violations(t, err); !containsPrefix(fields, tc.field) {
				t.Errorf("Connect: violations %v do not name %s (%v)", fields, tc.field, err)
			}
			if tc.rest.path == "" {
				return
			}
			status, body := s.restCall(t, tc.rest, tc.body, bearer(c.Token()))
			var e struct{ Message string }
			_ = json.Unmarshal([]byte(body), &e)
			if status != http.StatusBadRequest || !strings.Contains(e.Message, tc.field) {
				t.Errorf("REST: %d %s, want 400 naming %s", status, body, tc.field)
			}
		})
	}
	if n, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.ActionHasPrefix("/switchboard.meetings."),
		auditevent.OutcomeNEQ("INVALID_ARGUMENT")).Count(ctx); err != nil || n != 0 {
		t.Fatalf("refused requests were audited with another outcome: %d %v", n, err)
	}
}

// containsPrefix reports whether a violation names field (or an element of
// it, such as participant_ids[0]).
func containsPrefix(fields []string, field string) bool {
	for _, f := range fields {
		if f == field || strings.HasPrefix(f, field+"[") {
			return true
		}
	}
	return false
}

// TestMeetingsWithTheSimulator runs a meeting on a simulated bridge that
// posts its CDRs to this server over HTTPS and checks, through the API,
// that the meeting appears (ListMeetings and the WatchMeetings stream),
// that an operator's mute reaches the bridge and comes back on
// WatchMeeting, and that the action is audited and in the event log.
func TestMeetingsWithTheSimulator(t *testing.T) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f := newLiveFixture(t, d, 1)
			s, b := f.s, f.cluster.Bridges[0]
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			op := operatorClient(t, s)

			list, err := op.Meetings.WatchMeetings(ctx, connect.NewRequest(&meetingsv1.WatchMeetingsRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			defer list.Close()
			for list.Receive() && !list.Msg().GetSnapshotComplete() {
			}
			if list.Err() != nil {
				t.Fatalf("snapshot: %v", list.Err())
			}

			call, err := b.StartCall(cmssim.CallOptions{Name: "Weekly sync"})
			if err != nil {
				t.Fatal(err)
			}
			ada, err := b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := b.Join(call.ID, cmssim.LegOptions{Name: "Grace", Remote: "grace@example.com"}); err != nil {
				t.Fatal(err)
			}

			// The stream tells of the meeting.
			var meeting *meetingsv1.Meeting
			for meeting == nil && list.Receive() {
				if m := list.Msg().GetMeeting(); m.GetName() == "Weekly sync" {
					meeting = m
				}
			}
			if meeting == nil {
				t.Fatalf("WatchMeetings ended without the meeting: %v", list.Err())
			}
			if meeting.GetState() != meetingsv1.MeetingState_MEETING_STATE_ACTIVE || meeting.GetClusterName() == "" ||
				len(meeting.GetInstances()) != 1 || meeting.GetStartTime() == nil {
				t.Fatalf("streamed meeting %v", meeting)
			}
			got, err := op.Meetings.ListMeetings(ctx, connect.NewRequest(&meetingsv1.ListMeetingsRequest{Query: "weekly"}))
			if err != nil || len(got.Msg.GetMeetings()) != 1 || got.Msg.GetMeetings()[0].GetId() != meeting.GetId() {
				t.Fatalf("ListMeetings: %v %v", got, err)
			}

			// Watch the meeting until Ada is in it, then mute her.
			watch, err := op.Meetings.WatchMeeting(ctx, connect.NewRequest(&meetingsv1.WatchMeetingRequest{MeetingId: meeting.GetId()}))
			if err != nil {
				t.Fatal(err)
			}
			defer watch.Close()
			adaIn := func(want func(*meetingsv1.Participant) bool) bool {
				for watch.Receive() {
					for _, p := range watch.Msg().GetParticipants() {
						if p.GetId() == ada.ID && want(p) {
							return true
						}
					}
				}
				return false
			}
			if !adaIn(func(p *meetingsv1.Participant) bool {
				return p.GetState() == meetingsv1.ParticipantState_PARTICIPANT_STATE_CONNECTED && !p.GetAudioMuted()
			}) {
				t.Fatalf("WatchMeeting ended before Ada connected: %v", watch.Err())
			}
			yes := true
			if _, err := op.Meetings.UpdateParticipants(ctx, connect.NewRequest(&meetingsv1.UpdateParticipantsRequest{
				MeetingId: meeting.GetId(), ParticipantIds: []string{ada.ID}, AudioMuted: &yes})); err != nil {
				t.Fatal(err)
			}
			if !adaIn(func(p *meetingsv1.Participant) bool { return p.GetAudioMuted() }) {
				t.Fatalf("WatchMeeting ended before the mute came back: %v", watch.Err())
			}
			if !bridgeLeg(b, ada.ID).AudioMuted {
				t.Fatal("the bridge's leg is not muted")
			}
			n, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action(meetingsv1connect.MeetingServiceUpdateParticipantsProcedure),
				auditevent.Actor("olga"), auditevent.Outcome("OK")).Count(ctx)
			if err != nil || n != 1 {
				t.Fatalf("audit of the mute: %d %v", n, err)
			}
			events, err := op.Meetings.ListMeetingEvents(ctx, connect.NewRequest(&meetingsv1.ListMeetingEventsRequest{MeetingId: meeting.GetId()}))
			if err != nil {
				t.Fatal(err)
			}
			var action *meetingsv1.MeetingEvent
			for _, e := range events.Msg.GetEvents() {
				if e.GetKind() == meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_OPERATOR_ACTION {
					action = e
				}
			}
			if action == nil || action.GetActor() != "olga" {
				t.Fatalf("event log has no operator action by olga: %v", events.Msg.GetEvents())
			}
		})
	}
}

// bridgeLeg is the simulated bridge's view of a call leg.
func bridgeLeg(b *cmssim.Bridge, id string) cmssim.Leg {
	for _, l := range b.Legs() {
		if l.ID == id {
			return l
		}
	}
	return cmssim.Leg{}
}
