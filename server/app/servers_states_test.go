package app

import (
	"context"
	"strings"
	"testing"

	"connectrpc.com/connect"

	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
)

// TestBridgeStateFollowsTheEventsConnection: with meeting management on,
// a bridge whose events connection is refused shows
// CONNECTION_STATE_EVENTS_DISRUPTED on the Servers API (SV-31), not
// CONNECTED, until the bridge accepts the connection again.
func TestBridgeStateFollowsTheEventsConnection(t *testing.T) {
	f := newLiveFixture(t, "sqlite", 1)
	ctx := context.Background()
	b := f.cluster.Bridges[0]
	state := func() serversv1.ConnectionState {
		res, err := f.admin.Servers.ListClusters(ctx, connect.NewRequest(&serversv1.ListClustersRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Msg.GetClusters()) != 1 || len(res.Msg.GetClusters()[0].GetCallBridges()) != 1 {
			t.Fatalf("clusters %v", res.Msg)
		}
		return res.Msg.GetClusters()[0].GetCallBridges()[0].GetConnectionState()
	}
	eventually(t, "connected", func() bool { return state() == serversv1.ConnectionState_CONNECTION_STATE_CONNECTED })
	b.SetEventsRefused(true)
	b.CloseEvents()
	eventually(t, "events disrupted", func() bool {
		return state() == serversv1.ConnectionState_CONNECTION_STATE_EVENTS_DISRUPTED
	})
	b.SetEventsRefused(false)
	eventually(t, "connected again", func() bool { return state() == serversv1.ConnectionState_CONNECTION_STATE_CONNECTED })
}

// TestMeetingManagementSwitchesTheEventsClient: with meeting management
// on, Switchboard holds one events connection and one CDR receiver entry
// on the bridge; switched off, it closes the connection and removes only
// its own entry; switched on again, both come back (SV-21, SV-22, SV-23).
func TestMeetingManagementSwitchesTheEventsClient(t *testing.T) {
	f := newLiveFixture(t, "sqlite", 1)
	ctx := context.Background()
	b := f.cluster.Bridges[0]
	if _, err := b.AddCDRReceiver("https://other-tool.example/cdr"); err != nil {
		t.Fatal(err)
	}
	ours := func() bool {
		for _, u := range b.CDRReceivers() {
			if strings.HasPrefix(u, "https://"+f.s.addr+"/cdr/") {
				return true
			}
		}
		return false
	}
	eventually(t, "an events connection and our receiver", func() bool { return b.EventSessions() == 1 && ours() })
	set := func(on bool) {
		t.Helper()
		if _, err := f.admin.Servers.UpdateCluster(ctx, connect.NewRequest(&serversv1.UpdateClusterRequest{
			Id: f.clusterID, MeetingManagement: &on})); err != nil {
			t.Fatal(err)
		}
	}
	set(false)
	eventually(t, "the events connection closed", func() bool { return b.EventSessions() == 0 })
	if ours() || len(b.CDRReceivers()) != 1 {
		t.Fatalf("receivers with meeting management off: %v", b.CDRReceivers())
	}
	set(true)
	eventually(t, "the events connection and our receiver back", func() bool { return b.EventSessions() == 1 && ours() && len(b.CDRReceivers()) == 2 })
}
