package app

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/genproto/googleapis/api/httpbody"
	"google.golang.org/protobuf/proto"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	"github.com/switchboardhq/switchboard/ent/auditevent"
	"github.com/switchboardhq/switchboard/ent/notification"
	"github.com/switchboardhq/switchboard/ent/user"
	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	overviewv1 "github.com/switchboardhq/switchboard/gen/switchboard/overview/v1"
	serversv1 "github.com/switchboardhq/switchboard/gen/switchboard/servers/v1"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/licensing/compliance"
	"github.com/switchboardhq/switchboard/server/platform/config"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	cmssim "github.com/switchboardhq/switchboard/sim/cms"
)

// licClock is the licensing services' clock; everything else runs on
// real time, so sessions do not expire when it jumps ahead by months.
type licClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *licClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *licClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// licFixture is a server whose licensing runs on licClock, managing
// simulated clusters.
type licFixture struct {
	s     *testServer
	cfg   config.Config
	clock *licClock
	admin *switchboard.Client
	sim   *cmssim.Sim
	stop  func()
}

// licensingOptions puts the licensing services on the fixture's clock with
// short countdowns (2 days to Alarm 2, 3 more to Alarm 3) and no schedules:
// the tests evaluate when they want to.
func licensingOptions(clock *licClock) func(*Options) {
	return func(o *Options) {
		o.Licensing.Now, o.Licensing.NoSchedule = clock.Now, true
		o.LicenseStatus = licensing.ServiceOptions{Now: clock.Now, NoSchedule: true,
			Durations: compliance.Durations{ToAlarm2: 48 * time.Hour, ToAlarm3: 72 * time.Hour}}
	}
}

func newLicFixture(t *testing.T, dialect string, sim *cmssim.Sim, clock *licClock) *licFixture {
	t.Helper()
	f := &licFixture{cfg: testConfig(t, dialect, withTLS()), clock: clock, sim: sim}
	f.restart(t)
	return f
}

// restart stops the server, if it runs, and starts it again on the same
// data.
func (f *licFixture) restart(t *testing.T) {
	t.Helper()
	if f.stop != nil {
		f.stop()
	}
	f.s, f.stop = serveWith(t, f.cfg, "127.0.0.1:0", licensingOptions(f.clock))
	admin, err := sdk(t, f.s, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	f.admin = admin
}

// addCluster adds every bridge of a simulated cluster, with meeting
// management off (licensing does not need it, LI-56), and returns
// Switchboard's cluster id.
func (f *licFixture) addCluster(t *testing.T, cl *cmssim.Cluster) string {
	t.Helper()
	off := false
	var id string
	for i, b := range cl.Bridges {
		host, port, _ := net.SplitHostPort(b.Addr())
		p, _ := strconv.Atoi(port)
		res, err := f.admin.Servers.AddCallBridge(context.Background(), connect.NewRequest(&serversv1.AddCallBridgeRequest{
			DisplayName: cl.Name + " " + strconv.Itoa(i+1), MeetingManagement: &off,
			Connection: &serversv1.CallBridgeConnection{Address: host, Port: uint32(p), Username: b.Username(), Password: b.Password(),
				VerifyCertificate: true, TrustedChainPem: string(f.sim.CACertPEM())}}))
		if err != nil {
			t.Fatal(err)
		}
		id = res.Msg.GetCallBridge().GetClusterId()
	}
	return id
}

// usage stores a sample of every bridge of a cluster at t, as the
// collector would have.
func (f *licFixture) usage(t *testing.T, clusterID string, at time.Time, pmp, rec float64) {
	t.Helper()
	ctx := context.Background()
	clusters, err := f.s.app.servers.ListClusters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := strconv.Atoi(clusterID)
	for _, cl := range clusters {
		if cl.ID != id {
			continue
		}
		for _, b := range cl.Bridges {
			if err := f.s.app.db.Ent.LicenseSample.Create().SetBridgeID(b.ID).SetClusterID(cl.ID).SetHostID("host-" + strconv.Itoa(b.ID)).
				SetTime(at).SetPmp(pmp).SetRec(rec).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func (f *licFixture) evaluate(t *testing.T) {
	t.Helper()
	if _, err := f.s.app.LicenseStatus().Evaluate(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (f *licFixture) details(t *testing.T, clusterID string) *licensingv1.GetLicenseDetailsResponse {
	t.Helper()
	res, err := f.admin.Licensing.GetLicenseDetails(context.Background(), connect.NewRequest(&licensingv1.GetLicenseDetailsRequest{ClusterId: clusterID}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Msg.GetFeatures()) != 3 {
		t.Fatalf("details: %d features, want 3 (LI-09)", len(res.Msg.GetFeatures()))
	}
	return res.Msg
}

func box(d *licensingv1.GetLicenseDetailsResponse, f licensingv1.Feature) *licensingv1.FeatureBox {
	for _, b := range d.GetFeatures() {
		if b.GetFeature() == f {
			return b
		}
	}
	return nil
}

// holding reports whether a current notification has code and a subject
// id that contains subject.
func (f *licFixture) holding(t *testing.T, code, subject string) bool {
	t.Helper()
	n, err := f.s.app.db.Ent.Notification.Query().Where(notification.Code(code), notification.ActiveKeyNotNil(),
		notification.SubjectIDContains(subject)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// rawDoc decodes what Switchboard pushed to a simulated cluster.
func rawDoc(t *testing.T, cl *cmssim.Cluster) (map[string]any, int) {
	t.Helper()
	data, writes := cl.LicensingRaw()
	if data == "" {
		return nil, writes
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(data), &doc); err != nil {
		t.Fatalf("clusterLicensing/raw: %v: %s", err, data)
	}
	return doc, writes
}

func field(doc map[string]any, path ...string) any {
	var v any = doc
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func setMode(ctx context.Context, c *switchboard.Client, m licensingv1.LicensingMode, ack bool) (*licensingv1.SetLicensingModeResponse, error) {
	res, err := c.Licensing.SetLicensingMode(ctx, connect.NewRequest(&licensingv1.SetLicensingModeRequest{Mode: m, AcknowledgeOtherInstanceLicenses: ack}))
	if err != nil {
		return nil, err
	}
	return res.Msg, nil
}

func allocation(pmp, smp, rec, str int32, cust bool) *licensingv1.SetAllocationRequest {
	return &licensingv1.SetAllocationRequest{PmpPlus: proto.Int32(pmp), SmpPlus: proto.Int32(smp), Recording: proto.Int32(rec),
		Streaming: proto.Int32(str), Customization: proto.Bool(cust)}
}

// eachDialect runs fn on every database dialect, in parallel.
func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// TestLicensingSmartStatus walks a deployment through the licensing
// modes and the Smart status: mode unset (LI-01), None (LI-05, LI-06),
// Smart with allocations (LI-47, LI-48), usage levels (LI-15 … LI-17), a
// Recording trial and its end (LI-23, LI-25, LI-31, LI-33, LI-39, LI-45),
// the push to the bridges (LI-37), notifications (OV-17), audit (LI-82)
// and the overview (OV-12, OV-13, OV-15).
func TestLicensingSmartStatus(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		sim := cmssim.New(cmssim.Options{Seed: 21})
		t.Cleanup(sim.Close)
		clock := &licClock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
		f := newLicFixture(t, dialect, sim, clock)
		cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Lic", Bridges: 2, Username: "api", Password: "bridge-Secret-21"})
		if err != nil {
			t.Fatal(err)
		}
		getMode := func() *licensingv1.GetLicensingModeResponse {
			t.Helper()
			res, err := f.admin.Licensing.GetLicensingMode(ctx, connect.NewRequest(&licensingv1.GetLicensingModeRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			return res.Msg
		}

		// A fresh install: no mode, and a warning saying so (LI-01).
		f.evaluate(t)
		if m := getMode(); m.GetMode() != licensingv1.LicensingMode_LICENSING_MODE_UNSET || m.GetTraditionalAvailable() {
			t.Fatalf("fresh mode: %v", m)
		}
		if !f.holding(t, "LICENSING_MODE_NOT_SET", "licensing") {
			t.Fatal("no LICENSING_MODE_NOT_SET warning on a fresh install")
		}
		// Traditional needs a bridge with licence files (LI-04).
		if _, err := setMode(ctx, f.admin, licensingv1.LicensingMode_LICENSING_MODE_TRADITIONAL, false); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("traditional without bridges: %v", err)
		}
		clusterID := f.addCluster(t, cl)
		f.evaluate(t)
		if !getMode().GetTraditionalAvailable() {
			t.Fatal("a bridge with licence files does not make Traditional available")
		}

		// None needs the acknowledgement (LI-05), and then computes and
		// pushes nothing (LI-06).
		if _, err := setMode(ctx, f.admin, licensingv1.LicensingMode_LICENSING_MODE_NONE, false); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("none without acknowledgement: %v", err)
		}
		if m, err := setMode(ctx, f.admin, licensingv1.LicensingMode_LICENSING_MODE_NONE, true); err != nil || m.GetMode() != licensingv1.LicensingMode_LICENSING_MODE_NONE {
			t.Fatalf("none: %v %v", m, err)
		}
		f.evaluate(t)
		if _, writes := cl.LicensingRaw(); writes != 0 {
			t.Fatalf("mode None wrote %d times to the bridges", writes)
		}
		if f.holding(t, "LICENSING_MODE_NOT_SET", "licensing") {
			t.Fatal("LICENSING_MODE_NOT_SET still raised once a mode is chosen")
		}
		ov, err := f.admin.Overview.GetOverview(ctx, connect.NewRequest(&overviewv1.GetOverviewRequest{}))
		if err != nil || ov.Msg.GetLicenseStatus() != nil {
			t.Fatalf("overview in mode None: %v %v", ov.Msg.GetLicenseStatus(), err)
		}
		res, err := f.admin.Licensing.GetLicenseDetails(ctx, connect.NewRequest(&licensingv1.GetLicenseDetailsRequest{}))
		if err != nil || len(res.Msg.GetFeatures()) != 0 || res.Msg.GetMode() != licensingv1.LicensingMode_LICENSING_MODE_NONE {
			t.Fatalf("details in mode None: %v %v", res, err)
		}

		// Smart: one status for the deployment.
		if _, err := setMode(ctx, f.admin, licensingv1.LicensingMode_LICENSING_MODE_SMART, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.admin.Licensing.GetLicenseDetails(ctx, connect.NewRequest(&licensingv1.GetLicenseDetailsRequest{ClusterId: "1"})); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("a cluster in Smart mode: %v", err)
		}
		d := f.details(t, "")
		for _, b := range d.GetFeatures() {
			if b.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_UNLICENSED || !b.GetTrial().GetAvailable() {
				t.Fatalf("no allocations: %v", b)
			}
		}
		// The new bridges' history is still to be fetched (LI-58) …
		if !d.GetUsageBackfillInProgress() {
			t.Fatal("no backfill in progress before the first collection")
		}
		clusters, err := f.s.app.servers.ListClusters(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range clusters[0].Bridges {
			if _, err := f.s.app.Licensing().Collect(ctx, b.ID); err != nil {
				t.Fatal(err)
			}
		}
		// … and no longer once collected.
		if f.details(t, "").GetUsageBackfillInProgress() {
			t.Fatal("backfill still in progress after collecting every bridge")
		}
		// The report covers the deployment in Smart mode (LI-67).
		if err := drain(f.admin.Licensing.DownloadReport(ctx, connect.NewRequest(&licensingv1.DownloadReportRequest{ClusterId: clusterID}))); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("a cluster's report in Smart mode: %v", err)
		}

		// Allocations: every count required, none negative (LI-48).
		for name, req := range map[string]*licensingv1.SetAllocationRequest{
			"blank":    {PmpPlus: proto.Int32(1), SmpPlus: proto.Int32(1), Recording: proto.Int32(0), Customization: proto.Bool(false)},
			"negative": allocation(-1, 0, 0, 0, false),
		} {
			_, err := f.admin.Licensing.SetAllocation(ctx, connect.NewRequest(req))
			if connect.CodeOf(err) != connect.CodeInvalidArgument {
				t.Fatalf("%s allocation: %v", name, err)
			}
		}
		status, body := f.s.restCall(t, route{http.MethodPut, "/api/v1/licensing/allocations"}, `{"pmpPlus":1,"smpPlus":1,"recording":0,"customization":false}`, bearer(f.admin.Token()))
		if status != http.StatusBadRequest || !strings.Contains(body, "streaming") {
			t.Fatalf("REST blank allocation: %d %s", status, body)
		}
		if _, err := f.admin.Licensing.SetAllocation(ctx, connect.NewRequest(allocation(10, 5, 0, 0, false))); err != nil {
			t.Fatal(err)
		}
		d = f.details(t, "")
		meet := box(d, licensingv1.Feature_FEATURE_MEETINGS)
		if meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE || meet.GetTrial().GetAvailable() ||
			meet.GetTypes()[0].GetAllocated() != 10 || meet.GetTypes()[1].GetAllocated() != 5 {
			t.Fatalf("licensed meetings: %v", meet)
		}

		// Usage: 9 of 10 PMP Plus 30 days ago is over 80 % (LI-17) …
		now := clock.Now()
		f.usage(t, "1", now.AddDate(0, 0, -30), 4.5, 0) // two bridges: 9 in the bin
		f.usage(t, "1", now.AddDate(0, 0, -30).Add(5*time.Minute), 4.5, 0)
		f.usage(t, "1", now.AddDate(0, 0, -30).Add(10*time.Minute), 4.5, 0)
		f.evaluate(t)
		meet = box(f.details(t, ""), licensingv1.Feature_FEATURE_MEETINGS)
		if meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_OVER_THRESHOLD || meet.GetTypes()[0].GetPeak_90Day() != 9 ||
			meet.GetTypes()[0].GetPeakPercentage() != 90 {
			t.Fatalf("9 of 10: %v", meet)
		}
		// … and a day at 11 is a day over: insufficient licences, a warning.
		for i := range 3 {
			f.usage(t, "1", now.AddDate(0, 0, -2).Add(time.Duration(i)*5*time.Minute), 5.5, 0)
		}
		f.evaluate(t)
		meet = box(f.details(t, ""), licensingv1.Feature_FEATURE_MEETINGS)
		if meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_INSUFFICIENT || meet.GetTypes()[0].GetDaysOver() != 1 {
			t.Fatalf("a day over: %v", meet)
		}
		if !f.holding(t, "LICENSE_INSUFFICIENT", "deployment/meetings") {
			t.Fatal("no LICENSE_INSUFFICIENT notification")
		}

		// A Recording trial: offered (no recording licences, LI-25),
		// started, in compliance while it runs (LI-31), counting down
		// (LI-39) and written to the cluster (LI-30).
		start, err := f.admin.Licensing.StartTrial(ctx, connect.NewRequest(&licensingv1.StartTrialRequest{Feature: licensingv1.Feature_FEATURE_RECORDING_STREAMING}))
		if err != nil || !start.Msg.GetTrial().GetActive() || start.Msg.GetTrial().GetDaysLeft() != 90 {
			t.Fatalf("start trial: %v %v", start, err)
		}
		if _, err := f.admin.Licensing.StartTrial(ctx, connect.NewRequest(&licensingv1.StartTrialRequest{Feature: licensingv1.Feature_FEATURE_RECORDING_STREAMING})); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("second trial: %v", err)
		}
		if _, err := f.admin.Licensing.StartTrial(ctx, connect.NewRequest(&licensingv1.StartTrialRequest{Feature: licensingv1.Feature_FEATURE_MEETINGS})); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("meetings trial while licensed (LI-24): %v", err)
		}
		clock.Add(10 * 24 * time.Hour)
		f.evaluate(t)
		rs := box(f.details(t, ""), licensingv1.Feature_FEATURE_RECORDING_STREAMING)
		if rs.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE || rs.GetTrial().GetDaysLeft() != 80 ||
			rs.GetEnforcement().GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_AVAILABLE_COUNTDOWN ||
			rs.GetEnforcement().GetMessage() != "Available for 80 more days" {
			t.Fatalf("day 10 of the trial: %v", rs)
		}
		doc, writes := rawDoc(t, cl)
		if writes == 0 || field(doc, "trials", "recordingStreaming", "start") == nil || field(doc, "recordingStreaming", "available") != true ||
			field(doc, "mode") != "smart" {
			t.Fatalf("pushed to the bridges: %v", doc)
		}

		// Day 90: the trial is over; without licences the feature is not
		// available, on the counter and on the bridges (LI-33, LI-41, LI-45).
		clock.Add(80 * 24 * time.Hour)
		f.evaluate(t)
		rs = box(f.details(t, ""), licensingv1.Feature_FEATURE_RECORDING_STREAMING)
		if rs.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_UNLICENSED || rs.GetTrial().GetActive() || rs.GetTrial().GetAvailable() ||
			rs.GetEnforcement().GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_NOT_AVAILABLE {
			t.Fatalf("after the trial: %v", rs)
		}
		if !f.holding(t, "LICENSE_FEATURE_NOT_AVAILABLE", "deployment/recordingStreaming") {
			t.Fatal("no LICENSE_FEATURE_NOT_AVAILABLE notification")
		}
		if doc, _ := rawDoc(t, cl); field(doc, "recordingStreaming", "available") != false {
			t.Fatalf("the bridges were not told recording is unavailable: %v", doc)
		}
		// The day over is now outside the window (LI-16): in compliance.
		if meet := box(f.details(t, ""), licensingv1.Feature_FEATURE_MEETINGS); meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE {
			t.Fatalf("meetings after 90 days: %v", meet)
		}
		if f.holding(t, "LICENSE_INSUFFICIENT", "deployment/meetings") {
			t.Fatal("LICENSE_INSUFFICIENT not cleared")
		}

		// Operators see the summary, not the details (OV-15).
		f.s.addUser(t, "olive", "operator-pw", user.RoleVideoOperator)
		op, err := sdk(t, f.s, false, "olive", "operator-pw")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := op.Licensing.GetLicenseStatus(ctx, connect.NewRequest(&licensingv1.GetLicenseStatusRequest{}))
		if err != nil || len(sum.Msg.GetRows()) != 1 || len(sum.Msg.GetRows()[0].GetFeatures()) != 3 {
			t.Fatalf("operator summary: %v %v", sum, err)
		}
		if _, err := op.Licensing.GetLicenseDetails(ctx, connect.NewRequest(&licensingv1.GetLicenseDetailsRequest{})); connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Fatalf("operator details: %v", err)
		}
		ov, err = op.Overview.GetOverview(ctx, connect.NewRequest(&overviewv1.GetOverviewRequest{}))
		if err != nil || len(ov.Msg.GetLicenseStatus().GetRows()) != 1 || ov.Msg.GetLicenseStatus().GetRows()[0].GetClusterId() != "" {
			t.Fatalf("overview in Smart mode: %v %v", ov.Msg.GetLicenseStatus(), err)
		}

		// Every action was audited (LI-82).
		for _, action := range []string{"SetLicensingMode", "SetAllocation", "StartTrial"} {
			if n, _ := f.s.app.db.Ent.AuditEvent.Query().Where(auditevent.ActionContains(action)).Count(ctx); n == 0 {
				t.Errorf("%s not audited", action)
			}
		}
	})
}

// TestLicensingTraditionalEnforcement runs Traditional mode over four
// clusters: allocations from the licence files (LI-03, LI-49), a missing
// activation key (LI-42), an uninstalled type in use (LI-22), a trial per
// cluster (LI-29), and the Alarm 1 → 2 → 3 countdown of a cluster out of
// compliance, persisted over a restart (LI-36, LI-38, LI-41, LI-43), with
// each stage pushed to the bridges (LI-37).
func TestLicensingTraditionalEnforcement(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		sim := cmssim.New(cmssim.Options{Seed: 22})
		t.Cleanup(sim.Close)
		clock := &licClock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
		f := newLicFixture(t, dialect, sim, clock)
		add := func(name string, bridges int) (*cmssim.Cluster, string) {
			cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: name, Bridges: bridges, Username: "api", Password: "bridge-Secret-22"})
			if err != nil {
				t.Fatal(err)
			}
			return cl, ""
		}
		north, _ := add("North", 1)
		south, _ := add("South", 3)
		east, _ := add("East", 1)
		west, _ := add("West", 1)
		// North has no recording licence; one of South's bridges has no
		// activation key; East and West have no licence files at all.
		lic := cmssim.DefaultLicensing(time.Now())
		for i := range lic.Features {
			if lic.Features[i].Name == "recording" {
				lic.Features[i] = cmssim.LicenseFeature{Name: "recording", Status: "noLicense"}
			}
		}
		north.Bridges[0].SetLicensing(lic)
		south.Bridges[1].SetLicensing(cmssim.DefaultLicensing(time.Now()).WithoutActivationKey())
		east.Bridges[0].SetLicensing(cmssim.DefaultLicensing(time.Now()).NoLicenseFile())
		west.Bridges[0].SetLicensing(cmssim.DefaultLicensing(time.Now()).NoLicenseFile())
		northID, southID, eastID, westID := f.addCluster(t, north), f.addCluster(t, south), f.addCluster(t, east), f.addCluster(t, west)

		if _, err := setMode(ctx, f.admin, licensingv1.LicensingMode_LICENSING_MODE_TRADITIONAL, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.admin.Licensing.GetLicenseDetails(ctx, connect.NewRequest(&licensingv1.GetLicenseDetailsRequest{})); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("no cluster in Traditional mode: %v", err)
		}
		if _, err := f.admin.Licensing.SetAllocation(ctx, connect.NewRequest(allocation(1, 1, 1, 1, true))); connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("allocation in Traditional mode: %v", err)
		}
		// The report is the selected cluster's (LI-67).
		if err := drain(f.admin.Licensing.DownloadReport(ctx, connect.NewRequest(&licensingv1.DownloadReportRequest{}))); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("the deployment's report in Traditional mode: %v", err)
		}
		if err := drain(f.admin.Licensing.DownloadReport(ctx, connect.NewRequest(&licensingv1.DownloadReportRequest{ClusterId: northID}))); err != nil {
			t.Fatalf("North's report: %v", err)
		}

		// North: the licence file's counts; recording in use with nothing
		// installed has no percentage (LI-22).
		now := clock.Now()
		for i := range 3 { // three bins: the median smoothing keeps them (LI-64)
			f.usage(t, northID, now.Add(-time.Hour+time.Duration(i)*5*time.Minute), 40, 5)
		}
		f.evaluate(t)
		d := f.details(t, northID)
		meet, rs := box(d, licensingv1.Feature_FEATURE_MEETINGS), box(d, licensingv1.Feature_FEATURE_RECORDING_STREAMING)
		if meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE || meet.GetTypes()[0].GetAllocated() != 100 ||
			meet.GetTypes()[1].GetAllocated() != 50 || meet.GetEnforcement().GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_NONE {
			t.Fatalf("North meetings: %v", meet)
		}
		if rec := rs.GetTypes()[0]; !rec.GetNotInstalled() || rec.PeakPercentage != nil || rec.GetPeak_90Day() != 5 {
			t.Fatalf("North recording: %v", rec)
		}
		if c := box(d, licensingv1.Feature_FEATURE_CUSTOMIZATION); c.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_LICENSED {
			t.Fatalf("North customization (LI-12): %v", c)
		}
		today := now.UTC().Format(time.DateOnly)
		u, err := f.admin.Licensing.GetUtilization(ctx, connect.NewRequest(&licensingv1.GetUtilizationRequest{ClusterId: northID,
			Type: licensingv1.LicenseType_LICENSE_TYPE_RECORDING, StartDate: today, EndDate: today}))
		if err != nil || !u.Msg.GetNotInstalled() || u.Msg.Allocated != nil || u.Msg.GetPoints()[0].Percentage != nil {
			t.Fatalf("recording utilisation: %v %v", u.Msg.GetNotInstalled(), err)
		}
		u, err = f.admin.Licensing.GetUtilization(ctx, connect.NewRequest(&licensingv1.GetUtilizationRequest{ClusterId: northID,
			Type: licensingv1.LicenseType_LICENSE_TYPE_PMP, StartDate: today, EndDate: today}))
		if err != nil || u.Msg.GetAllocated() != 100 {
			t.Fatalf("pmp utilisation: %v %v", u, err)
		}
		for _, p := range u.Msg.GetPoints() {
			if p.GetValue() == 40 && p.GetPercentage() != 40 {
				t.Fatalf("40 of 100 is %v %%", p.GetPercentage())
			}
		}

		// South: one bridge without its key puts the cluster at Alarm 3
		// until it has one (LI-42).
		meet = box(f.details(t, southID), licensingv1.Feature_FEATURE_MEETINGS)
		if meet.GetEnforcement().GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_3 ||
			!strings.Contains(meet.GetEnforcement().GetReason(), "South 2") {
			t.Fatalf("South without a key: %v", meet.GetEnforcement())
		}
		if !f.holding(t, "LICENSE_HIGH_ENFORCEMENT", southID+"/meetings") {
			t.Fatal("no LICENSE_HIGH_ENFORCEMENT notification for South")
		}
		if doc, _ := rawDoc(t, south); field(doc, "meetings", "enforcement") != "alarm3" {
			t.Fatalf("South's bridges were not told: %v", doc)
		}
		south.Bridges[1].SetLicensing(cmssim.DefaultLicensing(time.Now()))
		f.evaluate(t)
		if st := box(f.details(t, southID), licensingv1.Feature_FEATURE_MEETINGS).GetEnforcement().GetStage(); st != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_NONE {
			t.Fatalf("South with every key: %v", st)
		}
		if f.holding(t, "LICENSE_HIGH_ENFORCEMENT", southID+"/meetings") {
			t.Fatal("LICENSE_HIGH_ENFORCEMENT not cleared")
		}
		if doc, _ := rawDoc(t, south); field(doc, "meetings", "enforcement") != "none" {
			t.Fatalf("South's bridges still enforce: %v", doc)
		}

		// One trial per cluster (LI-29): East uses its Meetings trial,
		// West still has it.
		if _, err := f.admin.Licensing.StartTrial(ctx, connect.NewRequest(&licensingv1.StartTrialRequest{Feature: licensingv1.Feature_FEATURE_MEETINGS})); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("trial without a cluster in Traditional mode: %v", err)
		}
		if _, err := f.admin.Licensing.StartTrial(ctx, connect.NewRequest(&licensingv1.StartTrialRequest{Feature: licensingv1.Feature_FEATURE_MEETINGS, ClusterId: eastID})); err != nil {
			t.Fatal(err)
		}
		if tr := box(f.details(t, eastID), licensingv1.Feature_FEATURE_MEETINGS).GetTrial(); !tr.GetActive() || tr.GetAvailable() {
			t.Fatalf("East's trial: %v", tr)
		}
		if tr := box(f.details(t, westID), licensingv1.Feature_FEATURE_MEETINGS).GetTrial(); tr.GetActive() || !tr.GetAvailable() {
			t.Fatalf("West's trial: %v", tr)
		}

		// North over its 100 PMP Plus on 20 of the last days: out of
		// compliance, Alarm 1 (LI-15, LI-38); South is not (LI-21).
		for day := range 20 {
			for i := range 3 {
				f.usage(t, northID, now.AddDate(0, 0, -day).Add(-2*time.Hour+time.Duration(i)*5*time.Minute), 120, 0)
			}
		}
		f.evaluate(t)
		meet = box(f.details(t, northID), licensingv1.Feature_FEATURE_MEETINGS)
		if meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_OUT_OF_COMPLIANCE ||
			meet.GetEnforcement().GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_1 ||
			meet.GetEnforcement().GetMessage() != "Enforcement in 2 days" {
			t.Fatalf("North out of compliance: %v %v", meet.GetStatus(), meet.GetEnforcement())
		}
		if !f.holding(t, "LICENSE_ENFORCEMENT_PENDING", northID+"/meetings") || !f.holding(t, "LICENSE_OUT_OF_COMPLIANCE", northID+"/meetings") {
			t.Fatal("no Alarm 1 notifications")
		}
		if st := box(f.details(t, southID), licensingv1.Feature_FEATURE_MEETINGS).GetStatus(); st != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE {
			t.Fatalf("South: %v", st)
		}
		if doc, _ := rawDoc(t, north); field(doc, "meetings", "enforcement") != "alarm1" {
			t.Fatalf("North's bridges: %v", doc)
		}

		// A day later, after a restart, the countdown goes on (LI-43).
		clock.Add(24 * time.Hour)
		f.restart(t)
		f.evaluate(t)
		if e := box(f.details(t, northID), licensingv1.Feature_FEATURE_MEETINGS).GetEnforcement(); e.GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_1 || e.GetDaysLeft() != 1 {
			t.Fatalf("after a restart: %v", e)
		}
		// Two days after Alarm 1: enforcement active (LI-36, LI-41).
		clock.Add(24 * time.Hour)
		f.evaluate(t)
		e := box(f.details(t, northID), licensingv1.Feature_FEATURE_MEETINGS).GetEnforcement()
		if e.GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_2 || e.GetMessage() != "Enforcement active, high enforcement in 3 days" {
			t.Fatalf("Alarm 2: %v", e)
		}
		if !f.holding(t, "LICENSE_ENFORCEMENT_ACTIVE", northID+"/meetings") || f.holding(t, "LICENSE_ENFORCEMENT_PENDING", northID+"/meetings") {
			t.Fatal("Alarm 2 notifications")
		}
		if doc, _ := rawDoc(t, north); field(doc, "meetings", "enforcement") != "alarm2" {
			t.Fatalf("North's bridges at Alarm 2: %v", doc)
		}
		// Three more: high enforcement.
		clock.Add(72 * time.Hour)
		f.evaluate(t)
		if e := box(f.details(t, northID), licensingv1.Feature_FEATURE_MEETINGS).GetEnforcement(); e.GetStage() != licensingv1.EnforcementStage_ENFORCEMENT_STAGE_ALARM_3 {
			t.Fatalf("Alarm 3: %v", e)
		}

		// The overview: a row per cluster (OV-14).
		ov, err := f.admin.Overview.GetOverview(ctx, connect.NewRequest(&overviewv1.GetOverviewRequest{}))
		if err != nil || len(ov.Msg.GetLicenseStatus().GetRows()) != 4 || ov.Msg.GetLicenseStatus().GetRows()[0].GetClusterName() == "" {
			t.Fatalf("overview in Traditional mode: %v %v", ov.Msg.GetLicenseStatus(), err)
		}
	})
}

// TestLicensingTrialMarkers starts a Smart trial, then connects the same
// cluster to a second, fresh instance: the trial is not offered again but
// continues (LI-28, LI-30), and both instances warn that they license the
// same cluster (RS-04) until one of them stops.
func TestLicensingTrialMarkers(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		sim := cmssim.New(cmssim.Options{Seed: 23})
		t.Cleanup(sim.Close)
		clock := &licClock{t: time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)}
		cl, err := sim.AddCluster(cmssim.ClusterOptions{Name: "Shared", Bridges: 1, Username: "api", Password: "bridge-Secret-23"})
		if err != nil {
			t.Fatal(err)
		}
		a := newLicFixture(t, dialect, sim, clock)
		aCluster := a.addCluster(t, cl)
		if _, err := setMode(ctx, a.admin, licensingv1.LicensingMode_LICENSING_MODE_SMART, false); err != nil {
			t.Fatal(err)
		}
		if _, err := a.admin.Licensing.StartTrial(ctx, connect.NewRequest(&licensingv1.StartTrialRequest{Feature: licensingv1.Feature_FEATURE_MEETINGS})); err != nil {
			t.Fatal(err)
		}
		if d := a.details(t, ""); box(d, licensingv1.Feature_FEATURE_CUSTOMIZATION).GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_LICENSED ||
			box(d, licensingv1.Feature_FEATURE_RECORDING_STREAMING).GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE ||
			!box(d, licensingv1.Feature_FEATURE_RECORDING_STREAMING).GetTrial().GetCoveredByMeetingsTrial() {
			t.Fatalf("the Meetings trial covers every feature (LI-31): %v", d)
		}

		clock.Add(5 * 24 * time.Hour)
		a.evaluate(t) // as its schedule does
		b := newLicFixture(t, dialect, sim, clock)
		bCluster := b.addCluster(t, cl)
		if _, err := setMode(ctx, b.admin, licensingv1.LicensingMode_LICENSING_MODE_SMART, false); err != nil {
			t.Fatal(err)
		}
		tr := box(b.details(t, ""), licensingv1.Feature_FEATURE_MEETINGS).GetTrial()
		if tr.GetAvailable() || !tr.GetUsed() || !tr.GetActive() || tr.GetDaysLeft() != 85 {
			t.Fatalf("the trial on the cluster, seen by a fresh instance: %v", tr)
		}
		if !b.holding(t, "LICENSING_OTHER_INSTANCE", bCluster) {
			t.Fatal("the second instance does not warn of the first (RS-04)")
		}
		a.evaluate(t)
		if !a.holding(t, "LICENSING_OTHER_INSTANCE", aCluster) {
			t.Fatal("the first instance does not warn of the second (RS-04)")
		}
		// The first becomes the resilient pair's second: after an hour
		// without its writes the warning clears on the other.
		if _, err := setMode(ctx, a.admin, licensingv1.LicensingMode_LICENSING_MODE_NONE, true); err != nil {
			t.Fatal(err)
		}
		if a.holding(t, "LICENSING_OTHER_INSTANCE", aCluster) {
			t.Fatal("mode None still warns")
		}
		clock.Add(2 * time.Hour)
		b.evaluate(t)
		if b.holding(t, "LICENSING_OTHER_INSTANCE", bCluster) {
			t.Fatal("the warning did not clear once the other instance stopped licensing")
		}
	})
}

// drain reads a report stream to its end and returns its error.
func drain(stream *connect.ServerStreamForClient[httpbody.HttpBody], err error) error {
	if err != nil {
		return err
	}
	defer stream.Close()
	for stream.Receive() {
	}
	return stream.Err()
}
