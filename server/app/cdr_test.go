package app

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/switchboardhq/switchboard/ent/cdrrecord"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// TestCDRsFromASimulatedBridge registers Switchboard as the CDR receiver of
// a simulated bridge over real HTTPS and checks that the bridge's records
// of a meeting are stored, attributed to that bridge.
func TestCDRsFromASimulatedBridge(t *testing.T) {
	s := start(t, "sqlite", withTLS())
	ctx := context.Background()
	c, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	sim := cmssim.New(cmssim.Options{Seed: 7})
	t.Cleanup(sim.Close)
	cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "CDR", Bridges: 1, Username: "api", Password: "bridge-Secret-5"})
	if err != nil {
		t.Fatal(err)
	}
	b := cl.Bridges[0]
	host, port, _ := net.SplitHostPort(b.Addr())
	p, _ := strconv.Atoi(port)
	if _, err := c.Servers.UpdateCdrReceiverSettings(ctx, connect.NewRequest(&serversv1.UpdateCdrReceiverSettingsRequest{
		Address: s.addr})); err != nil {
		t.Fatal(err)
	}
	added, err := c.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{
		DisplayName: "CDR 1",
		Connection:  &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(), Password: b.Password()},
	}))
	if err != nil {
		t.Fatal(err)
	}
	bridgeID, err := strconv.Atoi(added.Msg.GetCallBridge().GetId())
	if err != nil {
		t.Fatalf("bridge id %q is not the receiver path id", added.Msg.GetCallBridge().GetId())
	}
	if len(b.CDRReceivers()) != 1 {
		t.Fatalf("bridge receivers: %v", b.CDRReceivers())
	}

	call, err := b.StartCall(cmssim.CallOptions{Name: "Board meeting"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Join(call.ID, cmssim.LegOptions{Name: "Ada", Remote: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := b.EndCall(call.ID); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(15 * time.Second)
	var types []string
	for time.Now().Before(deadline) {
		recs, err := s.app.db.Ent.CdrRecord.Query().Where(cdrrecord.BridgeID(bridgeID)).All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		types = types[:0]
		for _, r := range recs {
			types = append(types, r.Type)
			if (r.Type == "callStart" || r.Type == "callEnd") && r.CallID != call.ID {
				t.Fatalf("%s of call %s, want %s", r.Type, r.CallID, call.ID)
			}
		}
		if strings.Contains(strings.Join(types, ","), "callEnd") {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	joined := strings.Join(types, ",")
	for _, want := range []string{"callStart", "callLegStart", "callLegEnd", "callEnd"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("stored records of the call: %s; missing %s", joined, want)
		}
	}
	// Posts to paths no bridge was given are refused.
	for _, path := range []string{"/cdr/999999", "/cdr/x", "/cdr/" + strconv.Itoa(bridgeID) + "0"} {
		status, _, _ := s.post(t, path, "application/xml", `<records session="s"></records>`, nil)
		if status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", path, status)
		}
	}
	status, body, _ := s.post(t, "/cdr/"+strconv.Itoa(bridgeID), "application/xml", "<records", nil)
	if status != http.StatusBadRequest || !strings.Contains(body, "not a valid CDR batch") {
		t.Fatalf("malformed batch: %d %s", status, body)
	}
}

// TestCDRResendAfterLostAcknowledgement has the simulated bridge lose
// Switchboard's 200 OK to its first batches (the receiver stored them, the
// bridge never heard), so the same batches arrive again over HTTPS: the
// receiver must answer 200 to the copies and keep one record per
// session + correlatorIndex, or the bridge would re-send forever and the
// rest of the meeting's records would never arrive.
func TestCDRResendAfterLostAcknowledgement(t *testing.T) {
	s := start(t, "sqlite", withTLS())
	ctx := context.Background()
	c, err := sdk(t, s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	sim := cmssim.New(cmssim.Options{Seed: 8, CDRRetryMin: 10 * time.Millisecond, CDRRetryMax: 50 * time.Millisecond})
	t.Cleanup(sim.Close)
	cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Lost acks", Bridges: 1, Username: "api", Password: "bridge-Secret-6"})
	if err != nil {
		t.Fatal(err)
	}
	b := cl.Bridges[0]
	host, port, _ := net.SplitHostPort(b.Addr())
	p, _ := strconv.Atoi(port)
	if _, err := c.Servers.UpdateCdrReceiverSettings(ctx, connect.NewRequest(&serversv1.UpdateCdrReceiverSettingsRequest{Address: s.addr})); err != nil {
		t.Fatal(err)
	}
	b.DropCDRAcks(3)
	added, err := c.Servers.AddCallBridge(ctx, connect.NewRequest(&serversv1.AddCallBridgeRequest{
		DisplayName: "Lost acks 1",
		Connection:  &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(), Password: b.Password()},
	}))
	if err != nil {
		t.Fatal(err)
	}
	bridgeID := atoi(t, added.Msg.GetCallBridge().GetId())
	receivers := b.CDRReceivers()
	if len(receivers) != 1 {
		t.Fatalf("bridge receivers: %v", receivers)
	}

	call, err := b.StartCall(cmssim.CallOptions{Name: "Lost acks"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Ada", "Grace"} {
		if _, err := b.Join(call.ID, cmssim.LegOptions{Name: name, Remote: strings.ToLower(name) + "@example.com"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.EndCall(call.ID); err != nil {
		t.Fatal(err)
	}

	// Wait until the bridge has nothing left to send.
	deadline := time.Now().Add(20 * time.Second)
	var delivered, attempts uint64
	queued := -1
	for time.Now().Before(deadline) {
		if delivered, attempts, queued = b.CDRStats(receivers[0]); queued == 0 && delivered > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if queued != 0 {
		t.Fatalf("the bridge still has %d records to send (delivered %d in %d posts): re-sent batches are not acknowledged", queued, delivered, attempts)
	}
	if attempts < 4 {
		t.Fatalf("%d posts: the lost acknowledgements caused no re-send", attempts)
	}
	recs, err := s.app.db.Ent.CdrRecord.Query().Where(cdrrecord.BridgeID(bridgeID)).All(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	types := map[string]int{}
	for _, r := range recs {
		key := r.Session + "/" + strconv.FormatInt(r.CorrelatorIndex, 10)
		if seen[key] {
			t.Errorf("record %s stored twice", key)
		}
		seen[key] = true
		types[r.Type]++
	}
	if uint64(len(recs)) != delivered || types["callStart"] != 1 || types["callEnd"] != 1 || types["callLegEnd"] != 2 {
		t.Fatalf("stored %d records %v; the bridge delivered %d in %d posts", len(recs), types, delivered, attempts)
	}
	t.Logf("%d records stored once from %d posts (3 acknowledgements lost)", len(recs), attempts)
}
