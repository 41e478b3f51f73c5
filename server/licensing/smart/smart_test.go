package smart_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/auditevent"
	"github.com/switchboardhq/switchboard/server/licensing/smart"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/ssm"
	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

// TestRegister registers with a token of VA1 (LI-70) and checks every
// field of the view (LI-79) and that the credential is nowhere in it.
func TestRegister(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		before := e.status()
		if before.State != smart.Unregistered || before.Registered || !before.Configured || !before.SmartMode || before.ProductInstanceID == "" {
			t.Fatalf("before: %+v", before)
		}
		st := e.register("VA1")
		if st.State != smart.Registered || !st.Registered || st.VirtualAccount != "VA1" {
			t.Fatalf("after: %+v", st)
		}
		if st.Purchased[ssm.PMPPlus] != 10 || st.Purchased[ssm.SMPPlus] != 5 || st.Purchased[ssm.RecordingStreaming] != 0 || len(st.Entitlements) != 4 {
			t.Fatalf("purchased %v, entitlements %v", st.Purchased, st.Entitlements)
		}
		nextMidnight := time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)
		if !st.RegisteredAt.Equal(start) || !st.LastAuthorizationRenewal.Equal(start) || !st.NextAuthorizationRenewal.Equal(nextMidnight) ||
			!st.LastRegistrationRenewal.Equal(start) || !st.NextRegistrationRenewal.Equal(start.AddDate(0, 6, 0).Add(-24*time.Hour)) ||
			!st.RegistrationExpires.Equal(start.AddDate(0, 6, 0)) || !st.AuthorizationExpires.Equal(start.Add(90*24*time.Hour)) {
			t.Fatalf("times: %+v", st)
		}
		in, ok := e.sim.Instance(st.ProductInstanceID)
		if !ok || in.Account != "VA1" {
			t.Fatalf("simulator: %+v %v", in, ok)
		}
		if s := fmt.Sprintf("%+v %#v", st, e.status()); strings.Contains(s, in.Credential) {
			t.Fatal("the status carries the credential")
		}
		// The stored state holds it sealed only.
		rows, err := e.db.Ent.Setting.Query().All(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if strings.Contains(r.Value, in.Credential) {
				t.Fatalf("setting %s holds the credential in clear", r.Key)
			}
		}
		// Registered here: Register again is refused before SSM is asked.
		n := e.requests()
		_, err = e.svc.Register(e.ctx, e.token("VA2"), true)
		wantKind(t, err, errs.FailedPrecondition)
		if e.requests() != n {
			t.Fatal("a refused Register contacted SSM")
		}
		// A token SSM refuses names the field.
		if _, err := e.svc.Deregister(e.ctx); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Register(e.ctx, "tok-NOSUCHTOKEN", false)
		wantKind(t, err, errs.InvalidArgument)
		if ee, _ := errs.From(err); len(ee.Violations) != 1 || ee.Violations[0].Field != "token" || !strings.Contains(ee.Message, "tokenUnknown") {
			t.Fatalf("token refusal: %+v", ee)
		}
	})
}

// TestForcedRegistration: SSM refuses a duplicate registration unless
// force is set (LI-71).
func TestForcedRegistration(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.sim.SetAlreadyRegistered(true)
		_, err := e.svc.Register(e.ctx, e.token("VA1"), false)
		wantKind(t, err, errs.AlreadyExists)
		if e.status().Registered {
			t.Fatal("registered after a refusal")
		}
		st, err := e.svc.Register(e.ctx, e.token("VA1"), true)
		if err != nil || !st.Registered || st.VirtualAccount != "VA1" || st.LastError != nil {
			t.Fatalf("forced: %+v %v", st, err)
		}
	})
}

// TestAuthorizationRenewal: the job renews once per midnight crossed
// (LI-72), and on demand with the counts SSM now holds (LI-73).
func TestAuthorizationRenewal(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.register("VA1")
		run := func() {
			t.Helper()
			if _, err := e.svc.RenewAuthorizationIfDue(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.clk.Set(time.Date(2026, 3, 3, 23, 59, 0, 0, time.UTC))
		run()
		if n := e.sim.Count(ssmsim.OpRenewAuthorization); n != 0 {
			t.Fatalf("before midnight: %d renewals", n)
		}
		e.clk.Set(time.Date(2026, 3, 4, 0, 0, 5, 0, time.UTC))
		run()
		run() // the hourly re-check the same day
		e.clk.Advance(5 * time.Hour)
		run()
		if n := e.sim.Count(ssmsim.OpRenewAuthorization); n != 1 {
			t.Fatalf("first midnight: %d renewals, want 1", n)
		}
		st := e.status()
		if !st.LastAuthorizationRenewal.Equal(time.Date(2026, 3, 4, 0, 0, 5, 0, time.UTC)) ||
			!st.NextAuthorizationRenewal.Equal(time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)) {
			t.Fatalf("times after renewal: %+v", st)
		}
		e.clk.Set(time.Date(2026, 3, 5, 0, 0, 1, 0, time.UTC))
		run()
		if n := e.sim.Count(ssmsim.OpRenewAuthorization); n != 2 {
			t.Fatalf("second midnight: %d renewals, want 2", n)
		}

		// A purchase shows at once with Renew Authorization Now.
		if err := e.sim.SetPurchased("VA1", ssmsim.PMPPlus, 25); err != nil {
			t.Fatal(err)
		}
		st, err := e.svc.RenewAuthorization(e.ctx)
		if err != nil || st.Purchased[ssm.PMPPlus] != 25 || e.sim.Count(ssmsim.OpRenewAuthorization) != 3 {
			t.Fatalf("renew now: %v %v", st.Purchased, err)
		}
	})
}

// TestRegistrationRenewal: the job renews 6 months after the last renewal
// (LI-74), a day early, and on demand (LI-75).
func TestRegistrationRenewal(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.register("VA1")
		run := func() {
			t.Helper()
			if _, err := e.svc.RenewRegistrationIfDue(e.ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.clk.Set(start.AddDate(0, 5, 28))
		run()
		if n := e.sim.Count(ssmsim.OpRenewRegistration); n != 0 {
			t.Fatalf("after 5 months 28 days: %d renewals", n)
		}
		e.clk.Set(start.AddDate(0, 6, 0).Add(-23 * time.Hour))
		run()
		run()
		if n := e.sim.Count(ssmsim.OpRenewRegistration); n != 1 {
			t.Fatalf("at 6 months: %d renewals, want 1", n)
		}
		renewed := e.clk.Now()
		st := e.status()
		if !st.Registered || !st.LastRegistrationRenewal.Equal(renewed) || !st.RegistrationExpires.Equal(renewed.AddDate(0, 6, 0)) {
			t.Fatalf("after renewal: %+v", st)
		}
		// The old expiry passes: still registered.
		e.clk.Set(start.AddDate(0, 6, 1))
		if !e.status().Registered {
			t.Fatal("expired although renewed")
		}
		if _, err := e.svc.RenewRegistration(e.ctx); err != nil || e.sim.Count(ssmsim.OpRenewRegistration) != 2 {
			t.Fatalf("renew now: %v, %d renewals", err, e.sim.Count(ssmsim.OpRenewRegistration))
		}
	})
}

// TestReregister moves the instance to VA2 with its token (LI-76).
func TestReregister(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.register("VA1")
		st, err := e.svc.Reregister(e.ctx, e.token("VA2"))
		if err != nil || st.VirtualAccount != "VA2" || st.Purchased[ssm.PMPPlus] != 50 || st.Purchased[ssm.SMPPlus] != 0 {
			t.Fatalf("reregister: %+v %v", st, err)
		}
		if in, _ := e.sim.Instance(st.ProductInstanceID); in.Account != "VA2" {
			t.Fatalf("simulator: %+v", in)
		}
		// The new credential works.
		if _, err := e.svc.RenewAuthorization(e.ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDeregister releases the instance (LI-77), also with SSM down, after
// which a registration needs force (LI-71).
func TestDeregister(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		// Not registered: a no-op that contacts nobody.
		if ok, err := e.svc.Deregister(e.ctx); ok || err != nil || e.requests() != 0 {
			t.Fatalf("unregistered: %v %v, %d requests", ok, err, e.requests())
		}
		id := e.register("VA1").ProductInstanceID
		if ok, err := e.svc.Deregister(e.ctx); !ok || err != nil {
			t.Fatalf("deregister: %v %v", ok, err)
		}
		if _, ok := e.sim.Instance(id); ok || e.sim.Count(ssmsim.OpDeregister) != 1 {
			t.Fatal("SSM still holds the instance")
		}
		if st := e.status(); st.State != smart.Unregistered || st.VirtualAccount != "" || len(st.Purchased) != 0 || st.ProductInstanceID != id {
			t.Fatalf("after: %+v", st)
		}

		// SSM down: local data goes, ssm_notified is false.
		e.register("VA1")
		if err := e.sim.SetUnreachable(true); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.svc.Deregister(e.ctx); ok || err != nil {
			t.Fatalf("deregister with SSM down: %v %v", ok, err)
		}
		if st := e.status(); st.State != smart.Unregistered || st.LastError == nil || st.LastError.Operation != "deregister" {
			t.Fatalf("after: %+v", st)
		}
		if err := e.sim.SetUnreachable(false); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Register(e.ctx, e.token("VA1"), false)
		wantKind(t, err, errs.AlreadyExists)
		if st, err := e.svc.Register(e.ctx, e.token("VA1"), true); err != nil || !st.Registered {
			t.Fatalf("forced: %v", err)
		}
	})
}

// TestSSMDownOverMidnight: the renewal fails, SSM_UNREACHABLE is raised,
// the last authorization stays (LI-80), and recovery clears it.
func TestSSMDownOverMidnight(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		before := e.register("VA1")
		if err := e.sim.SetUnreachable(true); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(time.Date(2026, 3, 4, 0, 0, 2, 0, time.UTC))
		for range 3 { // midnight and two hourly retries
			_, err := e.svc.RenewAuthorizationIfDue(e.ctx)
			wantKind(t, err, errs.Unavailable)
			e.clk.Advance(time.Hour)
		}
		if !e.holding(notifications.CodeSSMUnreachable) {
			t.Fatal("no SSM_UNREACHABLE")
		}
		st := e.status()
		if !st.Registered || st.Purchased[ssm.PMPPlus] != 10 || !st.LastAuthorizationRenewal.Equal(before.LastAuthorizationRenewal) ||
			st.LastError == nil || st.LastError.Operation != "renewAuthorization" {
			t.Fatalf("while down: %+v", st)
		}
		if !st.NextAuthorizationRenewal.Equal(time.Date(2026, 3, 4, 4, 0, 0, 0, time.UTC)) {
			t.Fatalf("next retry %v", st.NextAuthorizationRenewal)
		}
		// One audit record for the outage, not one per retry.
		n, err := e.db.Ent.AuditEvent.Query().Where(auditevent.Action(smart.JobRenewAuthorization), auditevent.OutcomeNEQ("OK")).Count(e.ctx)
		if err != nil || n != 1 {
			t.Fatalf("%d failure audit records, %v", n, err)
		}

		if err := e.sim.SetUnreachable(false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RenewAuthorizationIfDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		if e.holding(notifications.CodeSSMUnreachable) || e.status().LastError != nil || e.sim.Count(ssmsim.OpRenewAuthorization) != 1 {
			t.Fatal("not recovered")
		}
		n, err = e.db.Ent.AuditEvent.Query().Where(auditevent.Action(smart.JobRenewAuthorization), auditevent.Outcome("OK"), auditevent.Actor("system")).Count(e.ctx)
		if err != nil || n != 1 {
			t.Fatalf("%d success audit records, %v", n, err)
		}
	})
}

// TestRegistrationLost: SSM forgets the instance; the renewal marks the
// registration expired and raises SSM_REGISTRATION_LOST, the jobs stop
// asking, and a forced registration clears it.
func TestRegistrationLost(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		id := e.register("VA1").ProductInstanceID
		if err := e.sim.Deregister(id); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.RenewAuthorization(e.ctx)
		wantKind(t, err, errs.FailedPrecondition)
		st := e.status()
		if st.State != smart.RegistrationExpired || st.Registered || st.Purchased[ssm.PMPPlus] != 10 ||
			!e.holding(notifications.CodeSSMRegistrationLost) || e.holding(notifications.CodeSSMUnreachable) {
			t.Fatalf("lost: %+v", st)
		}
		n := e.requests()
		e.clk.Set(time.Date(2026, 3, 4, 0, 0, 2, 0, time.UTC))
		if _, err := e.svc.RenewAuthorizationIfDue(e.ctx); err != nil || e.requests() != n {
			t.Fatalf("the job asked again: %v", err)
		}
		if st, err := e.svc.Register(e.ctx, e.token("VA1"), true); err != nil || !st.Registered {
			t.Fatalf("register again: %v", err)
		}
		if e.holding(notifications.CodeSSMRegistrationLost) {
			t.Fatal("SSM_REGISTRATION_LOST not cleared")
		}
	})
}

// TestDailyUsageReports: three UTC days, three reports, the last over the
// purchased count, whose answer the status reflects (LI-02).
func TestDailyUsageReports(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		id := e.register("VA1").ProductInstanceID
		day := func(n int) time.Time { return time.Date(2026, 3, 3+n, 0, 0, 0, 0, time.UTC) }
		e.setUsage(day(0), map[ssm.Entitlement]int{ssm.PMPPlus: 4})
		e.setUsage(day(1), map[ssm.Entitlement]int{ssm.PMPPlus: 9, ssm.SMPPlus: 2})
		e.setUsage(day(2), map[ssm.Entitlement]int{ssm.PMPPlus: 12})
		if s, err := e.svc.ReportUsageIfDue(e.ctx); err != nil || len(e.sim.UsageReports(id)) != 0 {
			t.Fatalf("registration day: %q %v", s, err)
		}
		for n := 1; n <= 3; n++ {
			e.clk.Set(day(n).Add(20 * time.Minute))
			for range 2 { // the hourly re-check sends nothing new
				if _, err := e.svc.ReportUsageIfDue(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			if got := len(e.sim.UsageReports(id)); got != n {
				t.Fatalf("day %d: %d reports", n, got)
			}
			want := ssm.InCompliance
			if n == 3 {
				want = ssm.OutOfCompliance
			}
			st := e.status()
			if st.Compliance != want || st.LastReport == nil || !st.LastReport.Accepted || !st.LastReport.Day.Equal(day(n-1)) ||
				!st.LastReport.At.Equal(e.clk.Now()) {
				t.Fatalf("day %d: %+v", n, st)
			}
		}
		reps := e.sim.UsageReports(id)
		if reps[1].Usage[ssmsim.PMPPlus] != 9 || reps[1].Usage[ssmsim.SMPPlus] != 2 || reps[2].Compliance != ssmsim.OutOfCompliance {
			t.Fatalf("reports: %+v", reps)
		}

		// SSM down for two days: the failure is recorded, both days are
		// sent on recovery.
		if err := e.sim.SetUnreachable(true); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(day(4).Add(20 * time.Minute))
		_, err := e.svc.ReportUsageIfDue(e.ctx)
		wantKind(t, err, errs.Unavailable)
		if st := e.status(); st.LastReport.Accepted || st.Compliance != ssm.OutOfCompliance || !e.holding(notifications.CodeSSMUnreachable) {
			t.Fatalf("while down: %+v", st)
		}
		if err := e.sim.SetUnreachable(false); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(day(5).Add(20 * time.Minute))
		if _, err := e.svc.ReportUsageIfDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		if got := len(e.sim.UsageReports(id)); got != 5 || e.status().Compliance != ssm.InCompliance || e.holding(notifications.CodeSSMUnreachable) {
			t.Fatalf("after recovery: %d reports, %+v", got, e.status())
		}
	})
}

// TestNotSmartContactsNobody: with Active false no job and no action
// reaches SSM (LI-06); Deregister still releases a registration (LI-07).
func TestNotSmartContactsNobody(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.active.Store(false)
		_, err := e.svc.Register(e.ctx, e.token("VA1"), false)
		wantKind(t, err, errs.FailedPrecondition)
		_, err = e.svc.RenewAuthorization(e.ctx)
		wantKind(t, err, errs.FailedPrecondition)
		_, err = e.svc.RenewRegistration(e.ctx)
		wantKind(t, err, errs.FailedPrecondition)
		_, err = e.svc.Reregister(e.ctx, e.token("VA1"))
		wantKind(t, err, errs.FailedPrecondition)
		for d := range 200 {
			e.clk.Set(start.Add(time.Duration(d) * 24 * time.Hour))
			for _, job := range []func() (string, error){
				func() (string, error) { return e.svc.RenewAuthorizationIfDue(e.ctx) },
				func() (string, error) { return e.svc.RenewRegistrationIfDue(e.ctx) },
				func() (string, error) { return e.svc.ReportUsageIfDue(e.ctx) },
			} {
				if _, err := job(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if st := e.status(); st.SmartMode || st.Registered {
			t.Fatalf("status %+v", st)
		}
		if n := e.requests(); n != 0 {
			t.Fatalf("%d requests reached SSM", n)
		}

		// Registered, then the mode leaves Smart: the jobs stop, and the
		// core's Deregister still reaches SSM.
		e.active.Store(true)
		e.clk.Set(start)
		e.register("VA1")
		e.active.Store(false)
		n := e.requests()
		e.clk.Set(start.AddDate(0, 7, 0))
		for _, job := range []func() (string, error){
			func() (string, error) { return e.svc.RenewAuthorizationIfDue(e.ctx) },
			func() (string, error) { return e.svc.RenewRegistrationIfDue(e.ctx) },
			func() (string, error) { return e.svc.ReportUsageIfDue(e.ctx) },
		} {
			if s, err := job(); err != nil || !strings.Contains(s, "not in Smart mode") {
				t.Fatalf("%q %v", s, err)
			}
		}
		if e.requests() != n {
			t.Fatal("a job contacted SSM outside Smart mode")
		}
		if ok, err := e.svc.Deregister(e.ctx); !ok || err != nil || e.sim.Count(ssmsim.OpDeregister) != 1 {
			t.Fatalf("deregister on leaving Smart: %v %v", ok, err)
		}
	})
}

// TestNotConfigured: with no SSM address, Register says how to configure
// one.
func TestNotConfigured(t *testing.T) {
	forEachUnconfigured(t, func(t *testing.T, svc *smart.Service) {
		_, err := svc.Register(t.Context(), "tok-x", false)
		wantKind(t, err, errs.FailedPrecondition)
		if !strings.Contains(err.Error(), "--ssm-url") {
			t.Fatalf("message: %v", err)
		}
	})
}

// TestCallerGivingUpIsNotAnOutage: a request cancelled while SSM is slow
// fails, but raises no SSM_UNREACHABLE.
func TestCallerGivingUpIsNotAnOutage(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		e.register("VA1")
		e.sim.SetLatency(2 * time.Second)
		ctx, cancel := context.WithTimeout(e.ctx, 200*time.Millisecond)
		defer cancel()
		if _, err := e.svc.RenewAuthorization(ctx); err == nil {
			t.Fatal("renewed although the caller gave up")
		}
		e.sim.SetLatency(0)
		if e.holding(notifications.CodeSSMUnreachable) {
			t.Fatal("a cancelled request raised SSM_UNREACHABLE")
		}
		if st := e.status(); !st.Registered || st.Purchased[ssm.PMPPlus] != 10 {
			t.Fatalf("status %+v", st)
		}
	})
}

// TestAuditTarget: the actions name their target in the open audit entry,
// but leave alone a target the caller set (the core's mode change calls
// Deregister within its own audited call).
func TestAuditTarget(t *testing.T) {
	forEach(t, func(t *testing.T, e *env) {
		entry := &audit.Entry{}
		if _, err := e.svc.Register(audit.WithEntry(e.ctx, entry), e.token("VA1"), false); err != nil {
			t.Fatal(err)
		}
		if entry.Target != "smart licensing registration, virtual account VA1" {
			t.Fatalf("target %q", entry.Target)
		}
		entry = &audit.Entry{Target: "licensing mode"}
		if ok, err := e.svc.Deregister(audit.WithEntry(e.ctx, entry)); !ok || err != nil {
			t.Fatal(err)
		}
		if entry.Target != "licensing mode" {
			t.Fatalf("target %q", entry.Target)
		}
	})
}
