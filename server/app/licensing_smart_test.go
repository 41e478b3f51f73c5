package app

import (
	"context"
	"testing"
	"time"

	"connectrpc.com/connect"

	switchboard "github.com/switchboardhq/switchboard/clients/go"
	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/server/licensing/smart"
	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

// TestLicensingWithSmartRegistration joins the licence status to the
// Smart Licensing registration against the simulated SSM: SSM counting
// fewer PMP Plus licences than allocated is reported beside the
// usage-based status (LI-47), and leaving Smart mode deregisters (LI-07),
// saying when SSM could not be told (LI-77).
func TestLicensingWithSmartRegistration(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := startSmart(t, dialect)
		c, err := sdk(t, s.testServer, false, "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		register := func() {
			t.Helper()
			if _, err := c.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: s.token(t, "VA2")})); err != nil {
				t.Fatal(err)
			}
		}
		register()
		if _, err := c.Licensing.SetAllocation(ctx, connect.NewRequest(allocation(50, 0, 0, 0, false))); err != nil {
			t.Fatal(err)
		}
		meet := box(detailsOf(t, c), licensingv1.Feature_FEATURE_MEETINGS)
		if meet.GetSsmCompliance() != licensingv1.SsmCompliance_SSM_COMPLIANCE_SHORTFALL || meet.GetSsmPurchased()["pmpPlus"] != 40 ||
			meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE {
			t.Fatalf("50 allocated, 40 purchased: %v", meet)
		}

		// SSM's answer to a usage report is shown too (LI-02): with 40
		// allocated of 40 purchased, a day at 45 makes SSM find PMP Plus
		// out of compliance, while the local status is computed as before.
		if _, err := c.Licensing.SetAllocation(ctx, connect.NewRequest(allocation(40, 0, 0, 0, false))); err != nil {
			t.Fatal(err)
		}
		if m := box(detailsOf(t, c), licensingv1.Feature_FEATURE_MEETINGS); m.GetSsmCompliance() != licensingv1.SsmCompliance_SSM_COMPLIANCE_IN_COMPLIANCE {
			t.Fatalf("40 of 40: %v", m)
		}
		day := time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)
		for i := range 5 {
			if err := s.app.db.Ent.LicenseSample.Create().SetBridgeID(1).SetHostID("host-a").
				SetTime(day.Add(9*time.Hour + time.Duration(i)*5*time.Minute)).SetPmp(45).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		s.clk.Set(day.AddDate(0, 0, 1).Add(30 * time.Minute))
		s.runJob(t, smart.JobUsageReport)
		if _, err := s.app.LicenseStatus().Evaluate(ctx); err != nil {
			t.Fatal(err)
		}
		if m := box(detailsOf(t, c), licensingv1.Feature_FEATURE_MEETINGS); m.GetSsmCompliance() != licensingv1.SsmCompliance_SSM_COMPLIANCE_SHORTFALL {
			t.Fatalf("SSM's answer to 45 used of 40: %v", m)
		}

		// Leaving Smart deregisters, and SSM hears of it.
		mode, err := setMode(ctx, c, licensingv1.LicensingMode_LICENSING_MODE_NONE, true)
		if err != nil || !mode.GetDeregistered() || !mode.GetSsmNotified() {
			t.Fatalf("leave Smart: %v %v", mode, err)
		}
		reqs := s.sim.Requests()
		if last := reqs[len(reqs)-1]; last.Op != ssmsim.OpDeregister || last.Status >= 300 {
			t.Fatalf("SSM's last request: %+v", last)
		}
		view, err := c.SmartLicensing.GetSmartLicensing(ctx, connect.NewRequest(&licensingv1.GetSmartLicensingRequest{}))
		if err != nil || view.Msg.GetSmartLicensing().GetState() != licensingv1.RegistrationState_REGISTRATION_STATE_UNREGISTERED {
			t.Fatalf("after leaving Smart: %v %v", view, err)
		}
		// Leaving an unregistered Smart mode deregisters nothing.
		if _, err := setMode(ctx, c, licensingv1.LicensingMode_LICENSING_MODE_SMART, false); err != nil {
			t.Fatal(err)
		}
		n := len(s.sim.Requests())
		if mode, err := setMode(ctx, c, licensingv1.LicensingMode_LICENSING_MODE_NONE, true); err != nil || mode.GetDeregistered() || len(s.sim.Requests()) != n {
			t.Fatalf("leave unregistered Smart: %v %v", mode, err)
		}

		// With SSM down, the local registration still goes (LI-77).
		if _, err := setMode(ctx, c, licensingv1.LicensingMode_LICENSING_MODE_SMART, false); err != nil {
			t.Fatal(err)
		}
		register()
		if err := s.sim.SetUnreachable(true); err != nil {
			t.Fatal(err)
		}
		mode, err = setMode(ctx, c, licensingv1.LicensingMode_LICENSING_MODE_NONE, true)
		if err != nil || !mode.GetDeregistered() || mode.GetSsmNotified() {
			t.Fatalf("leave Smart with SSM down: %v %v", mode, err)
		}
	})
}

func detailsOf(t *testing.T, c *switchboard.Client) *licensingv1.GetLicenseDetailsResponse {
	t.Helper()
	res, err := c.Licensing.GetLicenseDetails(context.Background(), connect.NewRequest(&licensingv1.GetLicenseDetailsRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	return res.Msg
}
