package app

import (
	"context"
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
