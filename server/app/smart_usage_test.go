package app

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/server/licensing/smart"
	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

// TestSmartUsageReports stores licence samples of two bridges over three
// UTC days and lets the usage-report job run after each midnight: SSM
// gets three reports with the days' peaks per entitlement, rounded up to
// whole licences, and the view shows its compliance answer (LI-02).
func TestSmartUsageReports(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		s := startSmart(t, d)
		ctx := context.Background()
		c, err := sdk(t, s.testServer, false, "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range []ssmsim.Entitlement{ssmsim.SMPPlus, ssmsim.RecordingStreaming} {
			if err := s.sim.SetPurchased("VA1", e, 5); err != nil {
				t.Fatal(err)
			}
		}
		reg, err := c.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: s.token(t, "VA1")}))
		if err != nil {
			t.Fatal(err)
		}
		id := reg.Msg.GetSmartLicensing().GetProductInstanceId()
		day := func(n int) time.Time { return time.Date(2026, 3, 3+n, 0, 0, 0, 0, time.UTC) }
		// Sustained use from 12:00 for 20 minutes (the smoothing
		// suppresses single-interval spikes): two bridges, hundredths.
		pmp := []float64{3.5, 12, 1}
		for n, p := range pmp {
			for i := range 5 {
				at := day(n).Add(12*time.Hour + time.Duration(i)*5*time.Minute + 7*time.Second)
				for b, share := range []float64{p / 2, p / 2} {
					if err := s.app.db.Ent.LicenseSample.Create().SetBridgeID(b + 1).SetHostID("host-" + string(rune('a'+b))).
						SetTime(at).SetPmp(share).SetSmpAud(1).SetSmpFull(0.5).SetRec(float64(b)).SetStr(1).Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		want := []map[ssmsim.Entitlement]int{
			{ssmsim.PMPPlus: 4, ssmsim.SMPPlus: 3, ssmsim.RecordingStreaming: 3, ssmsim.Customization: 0},
			{ssmsim.PMPPlus: 12, ssmsim.SMPPlus: 3, ssmsim.RecordingStreaming: 3, ssmsim.Customization: 0},
			{ssmsim.PMPPlus: 1, ssmsim.SMPPlus: 3, ssmsim.RecordingStreaming: 3, ssmsim.Customization: 0},
		}
		answers := []licensingv1.ComplianceAnswer{
			licensingv1.ComplianceAnswer_COMPLIANCE_ANSWER_IN_COMPLIANCE,
			licensingv1.ComplianceAnswer_COMPLIANCE_ANSWER_OUT_OF_COMPLIANCE, // 12 PMP Plus, 10 purchased
			licensingv1.ComplianceAnswer_COMPLIANCE_ANSWER_IN_COMPLIANCE,
		}
		for n := range 3 {
			s.clk.Set(day(n + 1).Add(20 * time.Minute))
			s.runJob(t, smart.JobUsageReport)
			s.runJob(t, smart.JobUsageReport)
			reps := s.sim.UsageReports(id)
			if len(reps) != n+1 {
				t.Fatalf("after day %d: %d reports", n, len(reps))
			}
			for e, v := range want[n] {
				if got := reps[n].Usage[e]; got != v {
					t.Errorf("day %d %s = %d, want %d", n, e, got, v)
				}
			}
			got, err := c.SmartLicensing.GetSmartLicensing(ctx, connect.NewRequest(&licensingv1.GetSmartLicensingRequest{}))
			if err != nil {
				t.Fatal(err)
			}
			v := got.Msg.GetSmartLicensing()
			if v.GetCompliance() != answers[n] || v.GetLastUsageReportResult() != licensingv1.UsageReportResult_USAGE_REPORT_RESULT_ACCEPTED ||
				!v.GetLastUsageReportTime().AsTime().Equal(s.clk.Now()) {
				t.Fatalf("after day %d: %v", n, v)
			}
		}
	})
}

// TestSmartInactiveContactsNobody: outside Smart mode (Active false) the
// API refuses to register and the jobs, run across months, send nothing
// (LI-06).
func TestSmartInactiveContactsNobody(t *testing.T) {
	s := startSmart(t, "sqlite", func(o *smart.Options) { o.Active = func(context.Context) (bool, error) { return false, nil } })
	ctx := context.Background()
	c, err := sdk(t, s.testServer, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: s.token(t, "VA1")}))
	if connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Fatalf("Register outside Smart mode: %v", err)
	}
	got, err := c.SmartLicensing.GetSmartLicensing(ctx, connect.NewRequest(&licensingv1.GetSmartLicensingRequest{}))
	if err != nil || got.Msg.GetSmartLicensing().GetSmartMode() {
		t.Fatalf("view: %v %v", got, err)
	}
	for m := range 7 {
		s.clk.Set(time.Date(2026, 3+time.Month(m), 3, 0, 30, 0, 0, time.UTC))
		for _, j := range []string{smart.JobRenewAuthorization, smart.JobRenewRegistration, smart.JobUsageReport} {
			s.runJob(t, j)
		}
	}
	if n := len(s.sim.Requests()); n != 0 {
		t.Fatalf("%d requests reached SSM", n)
	}
}
