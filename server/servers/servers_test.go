package servers

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// clock is the real clock plus an offset the test moves forward, so that
// back-off can be skipped without sleeping while certificates stay valid.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

type fixture struct {
	svc   *Service
	notes *notifications.Service
	reg   *jobs.Registry
	sim   *cmssim.Sim
	clock *clock
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	box, err := secrets.New(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{}
	notes := notifications.New(db.Ent, log, notifications.Options{Now: c.Now})
	reg := jobs.New(log, nil)
	svc := New(db.Ent, box, notes, reg, log, Options{Now: c.Now, PollInterval: 5 * time.Second, RequestTimeout: 3 * time.Second, NoSchedule: true})
	sim := cmssim.New(cmssim.Options{Seed: 1})
	t.Cleanup(sim.Close)
	return &fixture{svc: svc, notes: notes, reg: reg, sim: sim, clock: c}
}

func (f *fixture) cluster(t *testing.T, o cmssim.ClusterOptions) *cmssim.Cluster {
	t.Helper()
	cl, err := f.sim.AddCluster(o)
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func conn(b *cmssim.Bridge, verify []byte) Connection {
	host, port, _ := net.SplitHostPort(b.Addr())
	p, _ := strconv.Atoi(port)
	c := Connection{Address: host, Port: p, Username: b.Username(), Password: b.Password()}
	if verify != nil {
		c.VerifyCertificate, c.TrustedChainPEM = true, string(verify)
	}
	return c
}

func (f *fixture) current(t *testing.T, code, bridgeID string) bool {
	t.Helper()
	page, err := f.notes.List(context.Background(), notifications.Filter{SubjectKind: notifications.SubjectCallBridge, SubjectID: bridgeID})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range page.Notifications {
		if n.Code == code {
			return true
		}
	}
	return false
}

func off() *bool { v := false; return &v }

func TestAddEditRemove(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		b := f.cluster(t, cmssim.ClusterOptions{Name: "Lab", Bridges: 1, CDRReceivers: []string{"https://third-party.example/cdr"}}).Bridges[0]

		// Meeting management without a receiver address is refused.
		_, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, f.sim.CACertPEM()), DisplayName: "Lab 1"})
		if errs.KindOf(err) != errs.FailedPrecondition || !strings.Contains(err.Error(), "CDR receiver address") {
			t.Fatalf("add without receiver address: %v", err)
		}
		if _, _, err := f.svc.SetCDRReceiverAddress(ctx, "switchboard.example.com:8443"); err != nil {
			t.Fatal(err)
		}
		added, clu, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, f.sim.CACertPEM()), DisplayName: "Lab 1"})
		if err != nil {
			t.Fatal(err)
		}
		if added.State != StateConnected || !added.TLSVerified() || added.Port == 443 || clu.DisplayName != "Lab 1" || !clu.MeetingManagement {
			t.Fatalf("added %+v in %+v", added, clu)
		}
		want := ReceiverURL("switchboard.example.com:8443", added.ID)
		if got := b.CDRReceivers(); len(got) != 2 || !contains(got, want) || !contains(got, "https://third-party.example/cdr") {
			t.Fatalf("receivers %v, want ours (%s) and the third party's", got, want)
		}
		// The same address and port again.
		if _, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, nil), DisplayName: "Again"}); errs.KindOf(err) != errs.AlreadyExists {
			t.Fatalf("duplicate: %v", err)
		}
		name := "Lab one"
		up, err := f.svc.UpdateCallBridge(ctx, added.ID, BridgeUpdate{DisplayName: &name})
		if err != nil || up.DisplayName != name {
			t.Fatalf("update %+v %v", up, err)
		}
		// The receiver address changes: our entry follows, the other stays.
		if _, _, err := f.svc.SetCDRReceiverAddress(ctx, "sb.example.org"); err != nil {
			t.Fatal(err)
		}
		if got := b.CDRReceivers(); len(got) != 2 || !contains(got, ReceiverURL("sb.example.org", added.ID)) {
			t.Fatalf("receivers after the address changed: %v", got)
		}
		// Meeting management off removes only our entry; on adds it back.
		if _, err := f.svc.UpdateCluster(ctx, clu.ID, nil, off()); err != nil {
			t.Fatal(err)
		}
		if got := b.CDRReceivers(); len(got) != 1 || got[0] != "https://third-party.example/cdr" {
			t.Fatalf("receivers with meeting management off: %v", got)
		}
		on := true
		if _, err := f.svc.UpdateCluster(ctx, clu.ID, nil, &on); err != nil {
			t.Fatal(err)
		}
		if got := b.CDRReceivers(); len(got) != 2 {
			t.Fatalf("receivers with meeting management on again: %v", got)
		}
		if err := f.svc.RemoveCallBridge(ctx, added.ID); err != nil {
			t.Fatal(err)
		}
		if got := b.CDRReceivers(); len(got) != 1 || got[0] != "https://third-party.example/cdr" {
			t.Fatalf("receivers after removal: %v", got)
		}
		if list, _ := f.svc.ListClusters(ctx); len(list) != 0 {
			t.Fatalf("clusters after removal: %+v", list)
		}
		if _, ok := f.reg.Get(JobName(added.ID)); ok {
			t.Fatal("the monitor job outlived its bridge")
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDiscoveryAndAddAll(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	cl := f.cluster(t, cmssim.ClusterOptions{Name: "London", Bridges: 3})
	added, clu, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(cl.Bridges[0], f.sim.CACertPEM()),
		DisplayName: "London 1", MeetingManagement: off(), ClusterDisplayName: "London"})
	if err != nil {
		t.Fatal(err)
	}
	if clu.CMSClusterID == "" || len(clu.Discovered) != 2 {
		t.Fatalf("cluster %+v: want two discovered peers", clu)
	}
	results, err := f.svc.AddDiscovered(ctx, clu.ID, added.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Bridge == nil {
			t.Fatalf("peer %+v not added: %+v", r.Peer, r.Failure)
		}
	}
	list, err := f.svc.ListClusters(ctx)
	if err != nil || len(list) != 1 || len(list[0].Bridges) != 3 || len(list[0].Discovered) != 0 {
		t.Fatalf("clusters %+v %v", list, err)
	}
	for _, b := range list[0].Bridges {
		if !b.VerifyCertificate || b.State != StateConnected {
			t.Fatalf("bridge %+v did not reuse the trust settings", b)
		}
	}
}

func TestConnectionTestSaysWhatFailed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	bs := f.cluster(t, cmssim.ClusterOptions{Name: "Faults", Bridges: 4, SingleNodeCluster: true}).Bridges
	other := cmssim.New(cmssim.Options{Seed: 2})
	t.Cleanup(other.Close)
	if _, err := other.AddCluster(cmssim.ClusterOptions{Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	notBridge := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(notBridge.Close)
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()

	check := func(name string, c Connection, want Failure) {
		t.Helper()
		r, err := f.svc.TestConnection(ctx, c, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Failure != want || (want == FailureNone) != r.OK || (!r.OK && r.Message == "") {
			t.Errorf("%s: got %+v, want %q", name, r, want)
		}
	}
	check("right chain", conn(bs[0], f.sim.CACertPEM()), FailureNone)
	check("wrong chain", conn(bs[0], other.CACertPEM()), FailureUntrusted)
	bad := conn(bs[0], nil)
	bad.Password = "wrong"
	check("bad credentials", bad, FailureBadCredentials)
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(notBridge.URL, "https://"))
	p, _ := strconv.Atoi(port)
	check("not a bridge", Connection{Address: host, Port: p, Username: "a", Password: "b"}, FailureNotCallBridge)
	check("unreachable", Connection{Address: "127.0.0.1", Port: closedPort, Username: "a", Password: "b"}, FailureUnreachable)

	if err := bs[1].ReissueCertificate("cb.elsewhere.example"); err != nil {
		t.Fatal(err)
	}
	check("name not in the certificate", conn(bs[1], f.sim.CACertPEM()), FailureNameMismatch)

	withCRL := conn(bs[2], f.sim.CACertPEM())
	withCRL.CheckCRL = true
	check("CRL, good", withCRL, FailureNone)
	if err := bs[2].RevokeCertificate(); err != nil {
		t.Fatal(err)
	}
	// A fresh service, so that no CRL is cached.
	f2 := newFixture(t, databasetest.Open(t, "sqlite"))
	r, err := f2.svc.TestConnection(ctx, withCRL, 0)
	if err != nil || r.Failure != FailureRevoked {
		t.Errorf("revoked: %+v %v", r, err)
	}
	if err := f.sim.SetCRLAvailable(false); err != nil {
		t.Fatal(err)
	}
	crl3 := conn(bs[3], f.sim.CACertPEM())
	crl3.CheckCRL = true
	f3 := newFixture(t, databasetest.Open(t, "sqlite"))
	if r, err := f3.svc.TestConnection(ctx, crl3, 0); err != nil || r.Failure != FailureCRLUnavailable {
		t.Errorf("CRL unreachable: %+v %v", r, err)
	}
	_ = f.sim.SetCRLAvailable(true)

	// Input rules.
	for _, c := range []Connection{
		{Address: "2001:db8::10", Username: "a", Password: "b"},
		{Address: "https://cb.example", Username: "a", Password: "b"},
		{Address: "cb.example", Username: "a", Password: "b", CheckCRL: true},
		{Address: "cb.example", Username: "a", Password: "b", VerifyCertificate: true},
	} {
		if _, err := f.svc.TestConnection(ctx, c, 0); errs.KindOf(err) != errs.InvalidArgument {
			t.Errorf("%+v: %v, want invalid argument", c, err)
		}
	}
	// A failed test saves nothing.
	if _, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: bad, DisplayName: "x", MeetingManagement: off()}); errs.KindOf(err) != errs.FailedPrecondition {
		t.Fatalf("add with bad credentials: %v", err)
	}
	if list, _ := f.svc.ListClusters(ctx); len(list) != 0 {
		t.Fatalf("a failed add left %+v", list)
	}
}

func TestMonitorRaisesAndClears(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		b := f.cluster(t, cmssim.ClusterOptions{Name: "Mon", Bridges: 1}).Bridges[0]
		added, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, f.sim.CACertPEM()), DisplayName: "Mon 1", MeetingManagement: off()})
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.Itoa(added.ID)
		poll := func() {
			t.Helper()
			_, _ = f.svc.Poll(ctx, added.ID)
		}

		// Bad credentials: raised; fixing the password clears it (SV-14).
		b.SetPassword("rotated-Secret-1")
		poll()
		if got, _ := f.svc.GetCallBridge(ctx, added.ID); got.State != StateAuthFailed || !f.current(t, notifications.CodeCallBridgeBadCredentials, id) {
			t.Fatalf("after the password changed: %+v", got)
		}
		c := conn(b, f.sim.CACertPEM())
		if _, err := f.svc.UpdateCallBridge(ctx, added.ID, BridgeUpdate{Connection: &c}); err != nil {
			t.Fatal(err)
		}
		if got, _ := f.svc.GetCallBridge(ctx, added.ID); got.State != StateConnected || f.current(t, notifications.CodeCallBridgeBadCredentials, id) {
			t.Fatalf("after the fix: %+v", got)
		}

		// Down, then back.
		if err := b.SetDown(true); err != nil {
			t.Fatal(err)
		}
		failed := time.Now()
		poll()
		if !f.current(t, notifications.CodeCallBridgeUnreachable, id) {
			t.Fatal("no notification for a bridge that is down")
		}
		t.Logf("failure to notification: %v (one poll; the poll interval adds up to %v)", time.Since(failed), f.svc.opts.PollInterval)
		// Backing off: the next polls are skipped, then retried.
		poll()
		if err := b.SetDown(false); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(f.svc.opts.MaxBackoff)
		poll()
		got, _ := f.svc.GetCallBridge(ctx, added.ID)
		if got.State != StateConnected || f.current(t, notifications.CodeCallBridgeUnreachable, id) || got.LastContact == nil {
			t.Fatalf("after coming back: %+v", got)
		}
	})
}

func TestBackoffIsCapped(t *testing.T) {
	s := &Service{opts: Options{PollInterval: 10 * time.Second, MaxBackoff: 60 * time.Second}}
	want := []time.Duration{10, 20, 40, 60, 60}
	for i, w := range want {
		if got := s.backoff(i + 1); got != w*time.Second {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w*time.Second)
		}
	}
}

func TestReceiverListFull(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	others := []string{"https://a.example/cdr", "https://b.example/cdr", "https://c.example/cdr", "https://d.example/cdr"}
	b := f.cluster(t, cmssim.ClusterOptions{Name: "Full", Bridges: 1, CDRReceivers: others}).Bridges[0]
	if _, _, err := f.svc.SetCDRReceiverAddress(ctx, "sb.example.com"); err != nil {
		t.Fatal(err)
	}
	added, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, nil), DisplayName: "Full 1"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(added.ID)
	if !f.current(t, notifications.CodeCDRReceiverListFull, id) {
		t.Fatal("no LIST_FULL notification")
	}
	if got := b.CDRReceivers(); len(got) != 4 {
		t.Fatalf("receivers %v", got)
	}
	// A slot frees up: the next poll registers and clears it.
	if err := f.removeReceiver(b, "https://d.example/cdr"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if f.current(t, notifications.CodeCDRReceiverListFull, id) || !contains(b.CDRReceivers(), ReceiverURL("sb.example.com", added.ID)) {
		t.Fatalf("after a slot freed: %v", b.CDRReceivers())
	}
}

// removeReceiver deletes a receiver entry by URI, as a bridge administrator would.
func (f *fixture) removeReceiver(b *cmssim.Bridge, uri string) error {
	cl, err := f.svc.client(conn(b, nil), 1)
	if err != nil {
		return err
	}
	defer cl.Close()
	list, err := cl.CDRReceivers(context.Background())
	if err != nil {
		return err
	}
	for _, r := range list.Receivers {
		if r.URI == uri {
			return b.RemoveCDRReceiver(r.ID)
		}
	}
	return errs.New(errs.NotFound, errs.ReasonNotFound, "no receiver %s", uri)
}

func TestClusterConditions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	b := f.cluster(t, cmssim.ClusterOptions{Name: "Cond", Bridges: 2}).Bridges[0]
	if _, _, err := f.svc.SetCDRReceiverAddress(ctx, "sb.example.com"); err != nil {
		t.Fatal(err)
	}
	added, clu, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, nil), DisplayName: "Cond 1"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(added.ID)

	// An alarm on the bridge is raised, and cleared with it.
	alarm := b.RaiseAlarm("cdrConnectionFailure", map[string]string{"failureReason": "refused"})
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if !f.current(t, notifications.CodeCallBridgeAlarm, id) {
		t.Fatal("no alarm notification")
	}
	b.ClearAlarm(alarm)
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if f.current(t, notifications.CodeCallBridgeAlarm, id) {
		t.Fatal("the alarm notification outlived the alarm")
	}

	// The bridge reports another cluster: a warning, never a silent move (SV-26).
	if err := f.svc.db.CallBridge.UpdateOneID(added.ID).SetCmsClusterID("another-cluster").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if !f.current(t, notifications.CodeClusterMembershipChanged, id) {
		t.Fatal("no CLUSTER_MEMBERSHIP_CHANGED")
	}
	if got, _ := f.svc.GetCallBridge(ctx, added.ID); got.ClusterID != clu.ID {
		t.Fatal("the bridge was moved")
	}

	// Unsetting the receiver address leaves the cluster's meeting data
	// incomplete: a warning on the cluster, and our receiver entry goes.
	if _, _, err := f.svc.SetCDRReceiverAddress(ctx, ""); err != nil {
		t.Fatal(err)
	}
	page, _ := f.notes.List(ctx, notifications.Filter{SubjectKind: notifications.SubjectCluster})
	if len(page.Notifications) != 1 || page.Notifications[0].Code != notifications.CodeCDRReceiverAddressMissing {
		t.Fatalf("cluster notifications %+v", page.Notifications)
	}
	if got := b.CDRReceivers(); len(got) != 0 {
		t.Fatalf("receivers without an address: %v", got)
	}
	if _, _, err := f.svc.SetCDRReceiverAddress(ctx, "sb.example.com"); err != nil {
		t.Fatal(err)
	}
	if page, _ := f.notes.List(ctx, notifications.Filter{SubjectKind: notifications.SubjectCluster}); len(page.Notifications) != 0 {
		t.Fatalf("cluster notifications after setting the address %+v", page.Notifications)
	}
	if _, w, err := f.svc.SetCDRReceiverAddress(ctx, "[2001:db8::1]:8443"); err != nil || len(w) != 1 {
		t.Fatalf("IPv6 receiver address: %v %v", w, err)
	}
	for _, bad := range []string{"2001:db8::1", "https://sb.example.com", "sb.example.com:99999"} {
		if _, _, err := f.svc.SetCDRReceiverAddress(ctx, bad); errs.KindOf(err) != errs.InvalidArgument {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestCertificateExpiry(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	b := f.cluster(t, cmssim.ClusterOptions{Name: "Cert", Bridges: 1}).Bridges[0]
	added, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, nil), DisplayName: "Cert 1", MeetingManagement: off()})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(added.ID)
	if f.current(t, notifications.CodePeerCertificateExpiring, id) {
		t.Fatal("a fresh certificate reported as expiring")
	}
	leaf := b.Certificate().Leaf
	if leaf == nil {
		t.Skip("the simulator does not expose the parsed leaf")
	}
	f.clock.Advance(time.Until(leaf.NotAfter) - 10*24*time.Hour)
	// The check runs when a bridge (re)connects.
	if err := f.svc.db.CallBridge.UpdateOneID(added.ID).SetConnectionState(StateUnreachable).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if !f.current(t, notifications.CodePeerCertificateExpiring, id) {
		t.Fatal("no PEER_CERTIFICATE_EXPIRING 10 days before expiry")
	}
}

// TestBusyBridge: a bridge that keeps answering 503 is busy (reference
// §1.2), not a wrong address. The monitor reports it unreachable with the
// 503 in the message, never "not a Call Bridge", and clears that once the
// bridge serves again; the connection test says the same.
func TestBusyBridge(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	b := f.cluster(t, cmssim.ClusterOptions{Name: "Busy", Bridges: 1}).Bridges[0]
	added, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, f.sim.CACertPEM()), DisplayName: "Busy 1", MeetingManagement: off()})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(added.ID)
	b.Fail503(1000)
	if _, err := f.svc.Poll(ctx, added.ID); err == nil {
		t.Fatal("the poll of a busy bridge succeeded")
	}
	got, _ := f.svc.GetCallBridge(ctx, added.ID)
	if got.State != StateUnreachable || !strings.Contains(got.StateMessage, "503") ||
		!f.current(t, notifications.CodeCallBridgeUnreachable, id) || f.current(t, notifications.CodeCallBridgeNotCallBridge, id) {
		t.Fatalf("busy bridge: state %q (%s)", got.State, got.StateMessage)
	}
	r, err := f.svc.TestConnection(ctx, conn(b, f.sim.CACertPEM()), 0)
	if err != nil || r.OK || r.Failure != FailureUnreachable || !strings.Contains(r.Message, "503") {
		t.Fatalf("connection test of a busy bridge: %+v %v", r, err)
	}
	b.Fail503(0)
	f.clock.Advance(f.svc.opts.MaxBackoff)
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.GetCallBridge(ctx, added.ID); got.State != StateConnected || f.current(t, notifications.CodeCallBridgeUnreachable, id) {
		t.Fatalf("after the bridge serves again: %+v", got)
	}
}

// TestBackoffLetsTheScheduledPollRun: the monitor job runs every poll
// interval, so the run after a failing one starts one interval after that
// run started, a little less than an interval after it recorded the
// failure. After one failure that run must poll (a bridge back up is seen
// one interval later, not two); after two failures the back-off (two
// intervals) skips it and lets the one after go ahead.
func TestBackoffLetsTheScheduledPollRun(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	b := f.cluster(t, cmssim.ClusterOptions{Name: "Sched", Bridges: 1}).Bridges[0]
	added, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, nil), DisplayName: "Sched 1", MeetingManagement: off()})
	if err != nil {
		t.Fatal(err)
	}
	interval := f.svc.opts.PollInterval
	// run is one scheduled run, started one interval after the previous.
	last := f.clock.Now()
	run := func() (string, error) {
		t.Helper()
		f.clock.Advance(last.Add(interval).Sub(f.clock.Now()))
		last = f.clock.Now()
		return f.svc.Poll(ctx, added.ID)
	}
	if err := b.SetDown(true); err != nil {
		t.Fatal(err)
	}
	if _, err := run(); err == nil {
		t.Fatal("a poll of a bridge that is down succeeded")
	}
	if err := b.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if res, err := run(); err != nil || !strings.HasPrefix(res, "connected") {
		t.Fatalf("the run after one failure: %q %v, want a poll that finds the bridge back", res, err)
	}

	if err := b.SetDown(true); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := run(); err == nil {
			t.Fatalf("failure %d: the poll succeeded", i+1)
		}
	}
	if err := b.SetDown(false); err != nil {
		t.Fatal(err)
	}
	if res, err := run(); err != nil || !strings.HasPrefix(res, "backing off") {
		t.Fatalf("the run after two failures: %q %v, want it skipped", res, err)
	}
	if res, err := run(); err != nil || !strings.HasPrefix(res, "connected") {
		t.Fatalf("the run two intervals after the second failure: %q %v", res, err)
	}
}

// TestEventsAndSynchronisingStates: a connected bridge shows
// EVENTS_DISRUPTED or SYNCHRONIZING while the matching notification holds
// (SV-31), in GetCallBridge and ListClusters alike; a failing connection
// wins over both.
func TestEventsAndSynchronisingStates(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	bs := f.cluster(t, cmssim.ClusterOptions{Name: "States", Bridges: 2}).Bridges
	added, clu, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(bs[0], nil), DisplayName: "States 1", MeetingManagement: off()})
	if err != nil {
		t.Fatal(err)
	}
	results, err := f.svc.AddDiscovered(ctx, clu.ID, added.ID)
	if err != nil || len(results) != 1 || results[0].Bridge == nil {
		t.Fatalf("add the peer: %+v %v", results, err)
	}
	other := results[0].Bridge.ID
	subj := notifications.Subject{Kind: notifications.SubjectCallBridge, ID: strconv.Itoa(added.ID), Name: "States 1"}
	states := func() (string, string) {
		t.Helper()
		got, err := f.svc.GetCallBridge(ctx, added.ID)
		if err != nil {
			t.Fatal(err)
		}
		list, err := f.svc.ListClusters(ctx)
		if err != nil || len(list) != 1 || len(list[0].Bridges) != 2 {
			t.Fatalf("clusters %+v %v", list, err)
		}
		for _, b := range list[0].Bridges {
			if b.ID == added.ID && b.State != got.State {
				t.Fatalf("ListClusters says %s, GetCallBridge %s", b.State, got.State)
			}
			if b.ID == other && b.State != StateConnected {
				t.Fatalf("the other bridge is %s", b.State)
			}
		}
		return got.State, got.StateMessage
	}
	if st, _ := states(); st != StateConnected {
		t.Fatalf("fresh bridge: %s", st)
	}
	if err := f.notes.Raise(ctx, notifications.CodeCallBridgeSynchronizing, subj, "States 1: synchronising meetings"); err != nil {
		t.Fatal(err)
	}
	if st, msg := states(); st != StateSynchronizing || msg != "States 1: synchronising meetings" {
		t.Fatalf("while synchronising: %s %q", st, msg)
	}
	if err := f.notes.Raise(ctx, notifications.CodeCallBridgeEventsDisrupted, subj, "States 1: events connection lost"); err != nil {
		t.Fatal(err)
	}
	if st, _ := states(); st != StateEventsDisrupted {
		t.Fatalf("events disrupted while synchronising: %s", st)
	}
	if err := bs[0].SetDown(true); err != nil {
		t.Fatal(err)
	}
	_, _ = f.svc.Poll(ctx, added.ID)
	if st, _ := states(); st != StateUnreachable {
		t.Fatalf("down with events disrupted: %s", st)
	}
	if err := bs[0].SetDown(false); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(f.svc.opts.MaxBackoff)
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{notifications.CodeCallBridgeEventsDisrupted, notifications.CodeCallBridgeSynchronizing} {
		if err := f.notes.Clear(ctx, code, subj); err != nil {
			t.Fatal(err)
		}
	}
	if st, msg := states(); st != StateConnected || msg != "" {
		t.Fatalf("after both cleared: %s %q", st, msg)
	}
}

// TestReceiverRefused: a bridge that refuses Switchboard's receiver
// registration raises CDR_RECEIVER_REFUSED with the bridge's reason; once
// it accepts, the next poll registers and clears it.
func TestReceiverRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, databasetest.Open(t, "sqlite"))
	b := f.cluster(t, cmssim.ClusterOptions{Name: "Locked", Bridges: 1}).Bridges[0]
	if _, _, err := f.svc.SetCDRReceiverAddress(ctx, "sb.example.com"); err != nil {
		t.Fatal(err)
	}
	b.RefuseCDRReceivers("invalidOperation")
	added, _, err := f.svc.AddCallBridge(ctx, NewBridge{Connection: conn(b, nil), DisplayName: "Locked 1"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.Itoa(added.ID)
	if !f.current(t, notifications.CodeCDRReceiverRefused, id) || len(b.CDRReceivers()) != 0 {
		t.Fatalf("no REFUSED notification (receivers %v)", b.CDRReceivers())
	}
	b.RefuseCDRReceivers("")
	if _, err := f.svc.Poll(ctx, added.ID); err != nil {
		t.Fatal(err)
	}
	if f.current(t, notifications.CodeCDRReceiverRefused, id) || !contains(b.CDRReceivers(), ReceiverURL("sb.example.com", added.ID)) {
		t.Fatalf("after the bridge accepts: %v", b.CDRReceivers())
	}
}
