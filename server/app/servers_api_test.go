package app

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/switchboardhq/switchboard/ent/auditevent"
	overviewv1 "github.com/switchboardhq/switchboard/gen/switchboard/overview/v1"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	systemv1 "github.com/switchboardhq/switchboard/gen/switchboard/system/v1"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/servers"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// TestServersAndOverviewAPI adds a simulated bridge through the API, breaks
// its credentials, and checks that a WatchNotifications stream tells of the
// new notification within 2 s of the monitor job running.
func TestServersAndOverviewAPI(t *testing.T) {
	forEachDialect(t, func(t *testing.T, s *testServer) {
		ctx := context.Background()
		c, err := sdk(t, s, false, "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		sim := cmssim.New(cmssim.Options{Seed: 1})
		t.Cleanup(sim.Close)
		cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "API", Bridges: 2, Username: "api", Password: "bridge-Secret-77"})
		if err != nil {
			t.Fatal(err)
		}
		b := cl.Bridges[0]
		host, port, _ := net.SplitHostPort(b.Addr())
		p, _ := strconv.Atoi(port)
		connection := &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(), Password: b.Password(),
			VerifyCertificate: true, TrustedChainPem: string(sim.CACertPEM())}

		test, err := c.Servers.TestCallBridgeConnection(ctx, connect.NewRequest(&serversv1.TestCallBridgeConnectionRequest{Connection: connection}))
		if err != nil || !test.Msg.GetResult().GetOk() {
			t.Fatalf("test: %v %v", test, err)
		}
		// Meeting management on without a receiver address is refused.
		_, err = c.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{Connection: connection, DisplayName: "API 1"}))
		if connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("add without receiver address: %v", err)
		}
		if _, err := c.Servers.UpdateCdrReceiverSettings(ctx, connect.NewRequest(&serversv1.UpdateCdrReceiverSettingsRequest{Address: "sb.example.com"})); err != nil {
			t.Fatal(err)
		}
		added, err := c.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{Connection: connection, DisplayName: "API 1"}))
		if err != nil {
			t.Fatal(err)
		}
		bridge := added.Msg.GetCallBridge()
		if bridge.GetConnectionState() != serversv1.ConnectionState_CONNECTION_STATE_CONNECTED || !bridge.GetHasPassword() || len(added.Msg.GetCluster().GetDiscovered()) != 1 {
			t.Fatalf("added %v", added.Msg)
		}
		// The password is never returned, nor audited.
		if strings.Contains(s.logs.String(), b.Password()) {
			t.Fatal("password in the log")
		}
		if n, _ := s.app.db.Ent.AuditEvent.Query().Where(auditevent.DetailsContains(b.Password())).Count(ctx); n != 0 {
			t.Fatal("the bridge password reached the audit trail")
		}
		if n, _ := s.app.db.Ent.AuditEvent.Query().Where(auditevent.DetailsContains("API 1")).Count(ctx); n == 0 {
			t.Fatal("adding a bridge was not audited (SV-35)")
		}

		watchCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		stream, err := c.Overview.WatchNotifications(watchCtx, connect.NewRequest(&overviewv1.WatchNotificationsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		if !stream.Receive() {
			t.Fatalf("first message: %v", stream.Err())
		}
		b.SetPassword("rotated-Secret-2")
		start := time.Now()
		if _, err := c.System.RunJob(ctx, connect.NewRequest(&systemv1.RunJobRequest{Name: servers.JobName(atoi(t, bridge.GetId()))})); err != nil {
			t.Fatal(err)
		}
		got := make(chan *overviewv1.WatchNotificationsResponse, 1)
		go func() {
			for stream.Receive() {
				if stream.Msg().GetNotification().GetCode() == notifications.CodeCallBridgeBadCredentials {
					got <- stream.Msg()
					return
				}
			}
		}()
		select {
		case m := <-got:
			if m.GetNotification().GetSeverity() != overviewv1.Severity_SEVERITY_ERROR || m.GetNotification().GetSubject().GetDisplayName() != "API 1" {
				t.Fatalf("notification %v", m)
			}
			t.Logf("watch: notification %v after the job started", time.Since(start))
		case <-time.After(2 * time.Second):
			t.Fatal("no notification on the stream within 2 s")
		}
		sum, err := c.Overview.GetNotificationSummary(ctx, connect.NewRequest(&overviewv1.GetNotificationSummaryRequest{}))
		if err != nil || sum.Msg.GetSummary().GetErrors() < 1 {
			t.Fatalf("summary %v %v", sum, err)
		}
		ov, err := c.Overview.GetOverview(ctx, connect.NewRequest(&overviewv1.GetOverviewRequest{}))
		if err != nil || ov.Msg.GetTotalNotifications() != sum.Msg.GetSummary().GetTotal() || ov.Msg.GetLicence().GetConfigured() {
			t.Fatalf("overview %v %v", ov, err)
		}
		codes, err := c.Overview.ListNotificationCodes(ctx, connect.NewRequest(&overviewv1.ListNotificationCodesRequest{}))
		if err != nil || len(codes.Msg.GetCodes()) != len(notifications.Catalogue()) {
			t.Fatalf("codes %v %v", codes, err)
		}
		jobsList, err := c.System.ListJobs(ctx, connect.NewRequest(&systemv1.ListJobsRequest{}))
		if err != nil || len(jobsList.Msg.GetJobs()) < 2 {
			t.Fatalf("jobs %v %v", jobsList, err)
		}

		// Fix the password (left-out fields keep their values): cleared.
		connection.Password = "rotated-Secret-2"
		if _, err := c.Servers.UpdateCallBridge(ctx, connect.NewRequest(&serversv1.UpdateCallBridgeRequest{Id: bridge.GetId(), Connection: connection})); err != nil {
			t.Fatal(err)
		}
		list, err := c.Overview.ListNotifications(ctx, connect.NewRequest(&overviewv1.ListNotificationsRequest{SubjectKind: "call_bridge"}))
		if err != nil || len(list.Msg.GetNotifications()) != 0 {
			t.Fatalf("after the fix %v %v", list, err)
		}
		// Add the discovered peer with the first bridge's settings.
		cl.Bridges[1].SetPassword("rotated-Secret-2")
		res, err := c.Servers.AddDiscoveredCallBridges(ctx, connect.NewRequest(&serversv1.AddDiscoveredCallBridgesRequest{ClusterId: bridge.GetClusterId()}))
		if err != nil || len(res.Msg.GetResults()) != 1 || res.Msg.GetResults()[0].GetCallBridge() == nil {
			t.Fatalf("add discovered %v %v", res, err)
		}
		name := "API cluster"
		if _, err := c.Servers.UpdateCluster(ctx, connect.NewRequest(&serversv1.UpdateClusterRequest{Id: bridge.GetClusterId(), DisplayName: &name})); err != nil {
			t.Fatal(err)
		}
		clusters, err := c.Servers.ListClusters(ctx, connect.NewRequest(&serversv1.ListClustersRequest{}))
		if err != nil || len(clusters.Msg.GetClusters()) != 1 || clusters.Msg.GetClusters()[0].GetDisplayName() != name || len(clusters.Msg.GetClusters()[0].GetCallBridges()) != 2 {
			t.Fatalf("clusters %v %v", clusters, err)
		}
		_, err = c.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{Connection: connection, DisplayName: "again"}))
		if connect.CodeOf(err) != connect.CodeAlreadyExists {
			t.Fatalf("duplicate: %v", err)
		}
		if _, err := c.Servers.RemoveCallBridge(ctx, connect.NewRequest(&serversv1.RemoveCallBridgeRequest{Id: bridge.GetId()})); err != nil {
			t.Fatal(err)
		}
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
