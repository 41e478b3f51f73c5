package app

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	"github.com/switchboardhq/switchboard/ent/notification"
	meetingsv1 "github.com/switchboardhq/switchboard/gen/switchboard/meetings/v1"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	"github.com/switchboardhq/switchboard/server/cdrs"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// liveFixture is a server managing one simulated cluster whose bridges
// post their CDRs to it over HTTPS and serve it events.
type liveFixture struct {
	s       *testServer
	admin   *switchboard.Client
	sim     *cmssim.Sim
	cluster *cmssim.Cluster
	// clusterID is Switchboard's id of the cluster.
	clusterID string
}

// newLiveFixture starts a server (TLS, the given dialect) and adds every
// bridge of a new simulated cluster to it.
func newLiveFixture(t *testing.T, dialect string, bridges int) *liveFixture {
	t.Helper()
	s := start(t, dialect, withTLS())
	return addSimulatedCluster(t, s, bridges)
}

func addSimulatedCluster(t *testing.T, s *testServer, bridges int) *liveFixture {
	t.Helper()
	ctx := context.Background()
	admin, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	sim := cmssim.New(cmssim.Options{Seed: 11})
	t.Cleanup(sim.Close)
	cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Meet", Bridges: bridges, Username: "api", Password: "bridge-Secret-9"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Servers.UpdateCdrReceiverSettings(ctx, connect.NewRequest(&serversv1.UpdateCdrReceiverSettingsRequest{Address: s.addr})); err != nil {
		t.Fatal(err)
	}
	f := &liveFixture{s: s, admin: admin, sim: sim, cluster: cl}
	for i, b := range cl.Bridges {
		host, port, _ := net.SplitHostPort(b.Addr())
		p, _ := strconv.Atoi(port)
		res, err := admin.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{DisplayName: "Meet " + strconv.Itoa(i+1),
			Connection: &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(), Password: b.Password(),
				VerifyCertificate: true, TrustedChainPem: string(sim.CACertPEM())}}))
		if err != nil {
			t.Fatal(err)
		}
		f.clusterID = res.Msg.GetCallBridge().GetClusterId()
	}
	return f
}

// eventually polls cond until it holds, failing the test after 30 s. The
// model converges asynchronously (CDRs are applied after they are
// acknowledged); this waits for convergence, it does not time it.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// meetingNamed returns the active (or ended) meeting with that name.
func (f *liveFixture) meetingNamed(t *testing.T, name string, ended bool) *meetingsv1.Meeting {
	t.Helper()
	res, err := f.admin.Meetings.ListMeetings(context.Background(), connect.NewRequest(&meetingsv1.ListMeetingsRequest{Ended: ended}))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Msg.GetMeetings() {
		if m.GetName() == name {
			return m
		}
	}
	return nil
}

func (f *liveFixture) participants(t *testing.T, meetingID string) map[string]*meetingsv1.Participant {
	t.Helper()
	res, err := f.admin.Meetings.ListParticipants(context.Background(), connect.NewRequest(&meetingsv1.ListParticipantsRequest{
		MeetingId: meetingID, IncludeDisconnected: true}))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*meetingsv1.Participant{}
	for _, p := range res.Msg.GetParticipants() {
		out[p.GetId()] = p
	}
	return out
}

func connected(p *meetingsv1.Participant) bool {
	return p != nil && p.GetState() == meetingsv1.ParticipantState_PARTICIPANT_STATE_CONNECTED
}

// TestMeetingsLifecycleAndHistory follows a meeting from its start to its
// end: it leaves the active list for the ended one, keeps its roster, and
// its event log tells what happened in order.
func TestMeetingsLifecycleAndHistory(t *testing.T) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			f := newLiveFixture(t, d, 1)
			b := f.cluster.Bridges[0]
			call, err := b.StartCall(cmssim.CallOptions{Name: "Retro"})
			if err != nil {
				t.Fatal(err)
			}
			ada, _ := b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
			grace, _ := b.Join(call.ID, cmssim.LegOptions{Name: "Grace", Remote: "grace@example.com"})
			var m *meetingsv1.Meeting
			eventually(t, "the meeting with two connected participants", func() bool {
				m = f.meetingNamed(t, "Retro", false)
				return m != nil && m.GetParticipantCount() == 2
			})
			if err := b.Leave(ada.ID); err != nil {
				t.Fatal(err)
			}
			eventually(t, "Ada's leaving", func() bool { return !connected(f.participants(t, m.GetId())[ada.ID]) })
			if err := b.EndCall(call.ID); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the meeting in the ended list", func() bool { return f.meetingNamed(t, "Retro", true) != nil })
			if f.meetingNamed(t, "Retro", false) != nil {
				t.Fatal("an ended meeting is still listed as active")
			}
			got, err := f.admin.Meetings.GetMeeting(context.Background(), connect.NewRequest(&meetingsv1.GetMeetingRequest{MeetingId: m.GetId()}))
			if err != nil {
				t.Fatal(err)
			}
			if got.Msg.GetMeeting().GetState() != meetingsv1.MeetingState_MEETING_STATE_ENDED || got.Msg.GetMeeting().GetEndTime() == nil {
				t.Fatalf("ended meeting %v", got.Msg.GetMeeting())
			}
			parts := f.participants(t, m.GetId())
			if len(parts) != 2 || parts[ada.ID] == nil || parts[grace.ID] == nil ||
				parts[grace.ID].GetState() != meetingsv1.ParticipantState_PARTICIPANT_STATE_DISCONNECTED {
				t.Fatalf("ended meeting's roster %v", parts)
			}
			ev, err := f.admin.Meetings.ListMeetingEvents(context.Background(), connect.NewRequest(&meetingsv1.ListMeetingEventsRequest{MeetingId: m.GetId()}))
			if err != nil {
				t.Fatal(err)
			}
			var kinds []meetingsv1.MeetingEventKind
			for _, e := range ev.Msg.GetEvents() {
				if e.GetKind() != meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_CHANGED {
					kinds = append(kinds, e.GetKind())
				}
			}
			want := []meetingsv1.MeetingEventKind{
				meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_MEETING_STARTED,
				meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_JOINED,
				meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_JOINED,
				meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_LEFT,
				meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_LEFT,
				meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_MEETING_ENDED,
			}
			if !slices.Equal(kinds, want) {
				t.Fatalf("event log %v, want %v", kinds, want)
			}
			// The event log also goes to the system log (MT-13).
			if logs := f.s.logs.String(); !strings.Contains(logs, `msg="meeting event"`) || !strings.Contains(logs, "Ada joined") {
				t.Error("the event log is not in the system log")
			}
		})
	}
}

// TestMeetingsFollowOtherAPIClients changes a meeting on the bridge itself,
// as another API client would: the model picks the changes up from the
// Events API.
func TestMeetingsFollowOtherAPIClients(t *testing.T) {
	f := newLiveFixture(t, "sqlite", 1)
	b := f.cluster.Bridges[0]
	call, _ := b.StartCall(cmssim.CallOptions{Name: "Town hall"})
	ada, _ := b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
	var m *meetingsv1.Meeting
	eventually(t, "the meeting", func() bool {
		m = f.meetingNamed(t, "Town hall", false)
		return m != nil && connected(f.participants(t, m.GetId())[ada.ID])
	})
	if err := b.MuteAudio(ada.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := b.SetLocked(call.ID, true); err != nil {
		t.Fatal(err)
	}
	eventually(t, "Ada muted and the meeting locked", func() bool {
		m = f.meetingNamed(t, "Town hall", false)
		return f.participants(t, m.GetId())[ada.ID].GetAudioMuted() && m.GetLocked()
	})
}

// TestMeetingsBridgeRestartReconciles restarts a bridge mid-meeting: its
// calls are gone, its CDRs start a new session, and the model ends the
// meeting it can no longer find and picks up the next one.
func TestMeetingsBridgeRestartReconciles(t *testing.T) {
	f := newLiveFixture(t, "sqlite", 1)
	b := f.cluster.Bridges[0]
	call, _ := b.StartCall(cmssim.CallOptions{Name: "Before"})
	_, _ = b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
	eventually(t, "the meeting", func() bool { return f.meetingNamed(t, "Before", false) != nil })
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the lost meeting ended", func() bool { return f.meetingNamed(t, "Before", true) != nil })
	after, err := b.StartCall(cmssim.CallOptions{Name: "After"})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = b.Join(after.ID, cmssim.LegOptions{Name: "Grace", Remote: "grace@example.com"})
	eventually(t, "the meeting after the restart", func() bool {
		m := f.meetingNamed(t, "After", false)
		return m != nil && m.GetParticipantCount() == 1
	})
}

// TestMeetingsRestoredAfterRestart stops Switchboard while a meeting runs
// and starts it again on the same data and port: the meeting is there at
// once with its original start and join times (MT-19), and follows the
// bridge again.
func TestMeetingsRestoredAfterRestart(t *testing.T) {
	cfg := config.Default()
	cfg.Server.ShutdownTimeout = 5 * time.Second
	cfg.Storage.DataDir = t.TempDir()
	cfg.Bootstrap.AdminPassword = adminPassword
	s, stop := serveOn(t, cfg, "127.0.0.1:0")
	f := addSimulatedCluster(t, s, 1)
	b := f.cluster.Bridges[0]
	call, _ := b.StartCall(cmssim.CallOptions{Name: "Long meeting"})
	ada, _ := b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
	var before *meetingsv1.Meeting
	eventually(t, "the meeting", func() bool {
		before = f.meetingNamed(t, "Long meeting", false)
		return before != nil && before.GetParticipantCount() == 1
	})
	joined := f.participants(t, before.GetId())[ada.ID].GetJoinTime().AsTime()
	stop()

	s2, _ := serveOn(t, cfg, s.addr)
	admin, err := sdk(t, s2, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	f.s, f.admin = s2, admin
	after := f.meetingNamed(t, "Long meeting", false)
	if after == nil || after.GetId() != before.GetId() || !after.GetStartTime().AsTime().Equal(before.GetStartTime().AsTime()) {
		t.Fatalf("restored meeting %v, before %v", after, before)
	}
	if p := f.participants(t, after.GetId())[ada.ID]; !connected(p) || !p.GetJoinTime().AsTime().Equal(joined) {
		t.Fatalf("restored participant %v (joined %v)", p, joined)
	}
	grace, _ := b.Join(call.ID, cmssim.LegOptions{Name: "Grace", Remote: "grace@example.com"})
	eventually(t, "a participant who joined after the restart", func() bool {
		return connected(f.participants(t, after.GetId())[grace.ID])
	})
}

// TestMeetingsOfUnmanagedClusters switches meeting management off: the
// cluster's meetings leave the list, which names the cluster instead.
func TestMeetingsOfUnmanagedClusters(t *testing.T) {
	f := newLiveFixture(t, "sqlite", 1)
	ctx := context.Background()
	b := f.cluster.Bridges[0]
	call, _ := b.StartCall(cmssim.CallOptions{Name: "Quiet"})
	_, _ = b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
	eventually(t, "the meeting", func() bool { return f.meetingNamed(t, "Quiet", false) != nil })
	id, _ := strconv.Atoi(f.clusterID)
	off := false
	if _, err := f.admin.Servers.UpdateCluster(ctx, connect.NewRequest(&serversv1.UpdateClusterRequest{
		Id: strconv.Itoa(id), MeetingManagement: &off})); err != nil {
		t.Fatal(err)
	}
	// The list names the cluster at once (settings apply immediately).
	res, err := f.admin.Meetings.ListMeetings(ctx, connect.NewRequest(&meetingsv1.ListMeetingsRequest{}))
	if err != nil || len(res.Msg.GetUnmonitoredClusters()) != 1 {
		t.Fatalf("unmonitored right after the switch: %v %v", res, err)
	}
	eventually(t, "the meeting gone from the active list", func() bool { return f.meetingNamed(t, "Quiet", false) == nil })
	res, err = f.admin.Meetings.ListMeetings(ctx, connect.NewRequest(&meetingsv1.ListMeetingsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	if u := res.Msg.GetUnmonitoredClusters(); len(u) != 1 || u[0].GetId() != f.clusterID {
		t.Fatalf("unmonitored clusters %v", u)
	}
}

// TestMeetingsGapAndEventsNotifications checks the notifications of the
// model's inputs: a bridge restart is a CDR gap (CDR_GAP, then cleared by
// the reconciliation) and a refused events connection raises
// CALL_BRIDGE_EVENTS_DISRUPTED until the bridge accepts it again (MT-01,
// MT-03).
func TestMeetingsGapAndEventsNotifications(t *testing.T) {
	f := newLiveFixture(t, "sqlite", 1)
	ctx := context.Background()
	b := f.cluster.Bridges[0]
	call, _ := b.StartCall(cmssim.CallOptions{Name: "Gap"})
	_, _ = b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"})
	eventually(t, "the meeting", func() bool { return f.meetingNamed(t, "Gap", false) != nil })
	notes := func(code string, active bool) int {
		q := f.s.app.db.Ent.Notification.Query().Where(notification.Code(code))
		if active {
			q = q.Where(notification.ActiveKeyNotNil())
		}
		n, err := q.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := b.Restart(); err != nil {
		t.Fatal(err)
	}
	// The gap shows with the first batch of the new session.
	next, _ := b.StartCall(cmssim.CallOptions{Name: "After the gap"})
	_, _ = b.Join(next.ID, cmssim.LegOptions{Name: "Grace", Remote: "grace@example.com"})
	eventually(t, "a CDR gap raised and cleared by the reconciliation", func() bool {
		return notes(notifications.CodeCDRGap, false) > 0 && notes(notifications.CodeCDRGap, true) == 0
	})

	b.SetEventsRefused(true)
	b.CloseEvents()
	eventually(t, "events disrupted", func() bool { return notes(notifications.CodeCallBridgeEventsDisrupted, true) == 1 })
	b.SetEventsRefused(false)
	eventually(t, "events restored", func() bool { return notes(notifications.CodeCallBridgeEventsDisrupted, true) == 0 })
}

// TestMeetingsReconciledOnConnect adds a bridge that already hosts three
// meetings: they appear from its API, with the start times it reports
// (MT-04), and their join entries are marked inferred (MT-20).
func TestMeetingsReconciledOnConnect(t *testing.T) {
	s := start(t, "sqlite", withTLS())
	sim := cmssim.New(cmssim.Options{Seed: 5})
	t.Cleanup(sim.Close)
	// A cluster that runs meetings before Switchboard knows it.
	pre, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Early", Bridges: 1, Username: "api", Password: "bridge-Secret-9"})
	if err != nil {
		t.Fatal(err)
	}
	b := pre.Bridges[0]
	var calls []cmssim.Call
	for _, name := range []string{"One", "Two", "Three"} {
		c, err := b.StartCall(cmssim.CallOptions{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Join(c.ID, cmssim.LegOptions{Name: "Ada " + name, Remote: "ada." + name + "@example.com"}); err != nil {
			t.Fatal(err)
		}
		calls = append(calls, c)
	}
	time.Sleep(3 * time.Second) // so that a start time taken at connection would show
	ctx := context.Background()
	admin, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Servers.UpdateCdrReceiverSettings(ctx, connect.NewRequest(&serversv1.UpdateCdrReceiverSettingsRequest{Address: s.addr})); err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(b.Addr())
	p, _ := strconv.Atoi(port)
	if _, err := admin.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{DisplayName: "Early 1",
		Connection: &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(), Password: b.Password(),
			VerifyCertificate: true, TrustedChainPem: string(sim.CACertPEM())}})); err != nil {
		t.Fatal(err)
	}
	f := &liveFixture{s: s, admin: admin, sim: sim, cluster: pre}
	for _, c := range calls {
		var m *meetingsv1.Meeting
		eventually(t, "meeting "+c.Name, func() bool {
			m = f.meetingNamed(t, c.Name, false)
			return m != nil && m.GetParticipantCount() == 1
		})
		// The API reports whole seconds of duration, read a moment after
		// the list: within 2 s of the bridge's start, never the 3 s later
		// connection.
		if d := m.GetStartTime().AsTime().Sub(c.Start); d < -2*time.Second || d > 2*time.Second {
			t.Errorf("%s: start %v, the bridge started it at %v", c.Name, m.GetStartTime().AsTime(), c.Start)
		}
		ev, err := admin.Meetings.ListMeetingEvents(ctx, connect.NewRequest(&meetingsv1.ListMeetingEventsRequest{MeetingId: m.GetId()}))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range ev.Msg.GetEvents() {
			if e.GetKind() == meetingsv1.MeetingEventKind_MEETING_EVENT_KIND_PARTICIPANT_JOINED && !e.GetInferred() {
				t.Errorf("%s: a reconciled join is not marked inferred: %v", c.Name, e)
			}
		}
	}
}

// busyModel is a live model that is always too far behind.
type busyModel struct{ busy bool }

func (m busyModel) Busy() bool                { return m.busy }
func (busyModel) CDRsStored(_, _ int, _ bool) {}

// TestCDRReceiverBackPressure: while the model is too far behind, batches
// are refused with 503 and Retry-After before anything is read or stored,
// so the bridge keeps them and sends them again.
func TestCDRReceiverBackPressure(t *testing.T) {
	db := databasetest.Open(t, "sqlite")
	rec := cdrs.New(db.Ent, slog.New(slog.DiscardHandler), nil)
	batch := `<records session="s1"><record type="callEnd" time="2026-12-04T09:00:00Z" recordIndex="1" correlatorIndex="0"><call id="c1"/></record></records>`
	for _, tc := range []struct {
		busy   bool
		status int
	}{{true, http.StatusServiceUnavailable}, {false, http.StatusNotFound}} {
		mux := http.NewServeMux()
		mux.Handle("POST /cdr/{id}", cdrHandler(rec, busyModel{tc.busy}, slog.New(slog.DiscardHandler)))
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/cdr/1", strings.NewReader(batch)))
		if w.Code != tc.status {
			t.Fatalf("busy %v: status %d, want %d", tc.busy, w.Code, tc.status)
		}
		if tc.busy && w.Header().Get("Retry-After") == "" {
			t.Error("no Retry-After on a deferred batch")
		}
	}
	if n, _ := db.Ent.CdrRecord.Query().Count(context.Background()); n != 0 {
		t.Fatalf("%d records stored", n)
	}
}

// TestShutdownEndsStreams stops a server while watches are open, over
// Connect and over REST: the graceful drain ends them rather than waiting
// for its deadline (which Serve would report as a failed shutdown).
func TestShutdownEndsStreams(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Plaintext = true
	cfg.Server.ShutdownTimeout = 5 * time.Second
	cfg.Storage.DataDir = t.TempDir()
	cfg.Bootstrap.AdminPassword = adminPassword
	s, stop := serveOn(t, cfg, "127.0.0.1:0")
	c, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	list, err := c.Meetings.WatchMeetings(ctx, connect.NewRequest(&meetingsv1.WatchMeetingsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	defer list.Close()
	if !list.Receive() {
		t.Fatal(list.Err())
	}
	req, _ := http.NewRequest(http.MethodGet, s.url+"/api/v1/meetings:watch", nil)
	req.Header = bearer(c.Token())
	res, err := insecureHTTPClient().Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("REST watch: %v %v", res, err)
	}
	defer res.Body.Close()
	start := time.Now()
	stop() // fails the test if Serve reports a failed shutdown
	if d := time.Since(start); d >= cfg.Server.ShutdownTimeout {
		t.Fatalf("shutdown took %v", d)
	}
	for list.Receive() {
	}
}
