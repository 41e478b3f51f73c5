package app

import (
	"context"
	"testing"

	"connectrpc.com/connect"

	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
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
		res, err := c.Licensing.GetLicenseDetails(ctx, connect.NewRequest(&licensingv1.GetLicenseDetailsRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		meet := box(res.Msg, licensingv1.Feature_FEATURE_MEETINGS)
		if meet.GetSsmCompliance() != licensingv1.SsmCompliance_SSM_COMPLIANCE_SHORTFALL || meet.GetSsmPurchased()["pmpPlus"] != 40 ||
			meet.GetStatus() != licensingv1.LicenseStatus_LICENSE_STATUS_IN_COMPLIANCE {
			t.Fatalf("50 allocated, 40 purchased: %v", meet)
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
