package app

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/switchboardhq/switchboard/ent/auditevent"
	"github.com/switchboardhq/switchboard/ent/user"
	licensingv1 "github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1"
	"github.com/switchboardhq/switchboard/gen/switchboard/licensing/v1/licensingv1connect"
	"github.com/switchboardhq/switchboard/server/licensing"
	"github.com/switchboardhq/switchboard/server/licensing/smart"
	"github.com/switchboardhq/switchboard/server/notifications"
	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

// smartClock is the manual clock shared by the server and the simulator.
type smartClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *smartClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *smartClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

// smartServer is a server configured with a simulated SSM over HTTPS
// (its CA in --ssm-ca-file), the jobs unscheduled and the clock manual.
type smartServer struct {
	*testServer
	sim *ssmsim.Sim
	clk *smartClock
}

func startSmart(t *testing.T, dialect string, opts ...func(*smart.Options)) *smartServer {
	t.Helper()
	clk := &smartClock{now: time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)}
	sim := ssmsim.New(ssmsim.Options{Clock: clk, Seed: 11})
	if err := sim.Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	for name, n := range map[string]int{"VA1": 10, "VA2": 40} {
		if err := sim.AddAccount(name, map[ssmsim.Entitlement]int{ssmsim.PMPPlus: n}); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(t, dialect)
	cfg.SSM.URL = sim.URL()
	cfg.SSM.CAFile = filepath.Join(t.TempDir(), "ssm-ca.pem")
	if err := os.WriteFile(cfg.SSM.CAFile, sim.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	so := smart.Options{Now: clk.Now, NoSchedule: true}
	for _, o := range opts {
		o(&so)
	}
	s, _ := serveWith(t, cfg, "127.0.0.1:0", func(o *Options) { o.Smart = so })
	a, ctx := s.app, context.Background()
	// Smart Licensing acts only in Smart mode (LI-06), chosen as an
	// administrator would; a test overriding Active tests the other case.
	if so.Active == nil {
		if _, err := a.LicenseStatus().SetMode(ctx, licensing.ModeSmart, false); err != nil {
			t.Fatal(err)
		}
	}
	return &smartServer{testServer: s, sim: sim, clk: clk}
}

func (s *smartServer) token(t *testing.T, account string) string {
	t.Helper()
	tok, err := s.sim.IssueToken(account, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// runJob runs a job through the registry and waits for it to finish.
func (s *smartServer) runJob(t *testing.T, name string) {
	t.Helper()
	before, _ := s.app.Jobs().Get(name)
	if err := s.app.Jobs().RunNow(name); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if st, _ := s.app.Jobs().Get(name); st.Runs > before.Runs && !st.Running {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", name)
}

// TestSmartLicensingAPI walks the lifecycle through the API over Connect
// and REST against the simulated SSM over HTTPS: register (LI-70),
// refused twice, renewals now and at midnight (LI-72, LI-73, LI-75),
// reregister to VA2 (LI-76), deregister with SSM down and the forced
// registration after it (LI-71, LI-77), with one audit record per action
// (LI-82) and the credential and token in no response, log or audit
// record.
func TestSmartLicensingAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		s := startSmart(t, d)
		ctx := context.Background()
		c, err := sdk(t, s.testServer, false, "admin", adminPassword)
		if err != nil {
			t.Fatal(err)
		}
		sl := c.SmartLicensing
		var responses []proto.Message
		var tokens []string
		var creds []string
		// keep collects a response, and the credentials SSM holds at
		// that moment (they change with every registration).
		keep := func(m proto.Message) {
			responses = append(responses, m)
			for _, in := range s.sim.Instances() {
				creds = append(creds, in.Credential)
			}
		}

		got, err := sl.GetSmartLicensing(ctx, connect.NewRequest(&licensingv1.GetSmartLicensingRequest{}))
		if err != nil {
			t.Fatal(err)
		}
		v := got.Msg.GetSmartLicensing()
		if v.GetState() != licensingv1.RegistrationState_REGISTRATION_STATE_UNREGISTERED || !v.GetSsmConfigured() || !v.GetSmartMode() || v.GetProductInstanceId() == "" {
			t.Fatalf("fresh: %v", v)
		}

		tok := s.token(t, "VA1")
		tokens = append(tokens, tok)
		reg, err := sl.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: tok}))
		if err != nil {
			t.Fatal(err)
		}
		keep(reg.Msg)
		v = reg.Msg.GetSmartLicensing()
		if v.GetState() != licensingv1.RegistrationState_REGISTRATION_STATE_REGISTERED || v.GetVirtualAccount() != "VA1" ||
			v.GetRegisterTime() == nil || v.GetLastAuthorizationRenewalTime() == nil || v.GetNextAuthorizationRenewalTime() == nil ||
			v.GetLastRegistrationRenewalTime() == nil || v.GetNextRegistrationRenewalTime() == nil || purchased(v, "PMP_PLUS") != 10 {
			t.Fatalf("registered: %v", v)
		}
		_, err = sl.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: tok, Force: true}))
		if connect.CodeOf(err) != connect.CodeFailedPrecondition {
			t.Fatalf("second Register: %v", err)
		}

		// Renew Authorization Now shows a purchase (LI-73).
		if err := s.sim.SetPurchased("VA1", ssmsim.PMPPlus, 15); err != nil {
			t.Fatal(err)
		}
		ra, err := sl.RenewAuthorization(ctx, connect.NewRequest(&licensingv1.RenewAuthorizationRequest{}))
		if err != nil || purchased(ra.Msg.GetSmartLicensing(), "PMP_PLUS") != 15 || s.sim.Count(ssmsim.OpRenewAuthorization) != 1 {
			t.Fatalf("renew authorization: %v", err)
		}
		keep(ra.Msg)
		// The midnight job, through the registry (LI-72).
		s.clk.Set(time.Date(2026, 3, 4, 0, 0, 3, 0, time.UTC))
		s.runJob(t, smart.JobRenewAuthorization)
		s.runJob(t, smart.JobRenewAuthorization)
		if n := s.sim.Count(ssmsim.OpRenewAuthorization); n != 2 {
			t.Fatalf("after midnight: %d renewals, want 2", n)
		}
		// REST: Renew Registration Now (LI-75).
		status, body := s.restCall(t, route{http.MethodPost, "/api/v1/licensing/smart/renew-registration"}, "{}", bearer(c.Token()))
		if status != http.StatusOK || !strings.Contains(body, "REGISTRATION_STATE_REGISTERED") || s.sim.Count(ssmsim.OpRenewRegistration) != 1 {
			t.Fatalf("REST renew registration: %d %s", status, body)
		}
		restBodies := []string{body}
		keep(ra.Msg)

		// Reregister to VA2 (LI-76), over REST.
		tok2 := s.token(t, "VA2")
		tokens = append(tokens, tok2)
		status, body = s.restCall(t, route{http.MethodPost, "/api/v1/licensing/smart/reregister"}, `{"token":"`+tok2+`"}`, bearer(c.Token()))
		var rr struct {
			SmartLicensing struct {
				VirtualAccount string
				Purchased      []struct {
					Tag   string
					Count int
				}
			}
		}
		if err := json.Unmarshal([]byte(body), &rr); err != nil || status != http.StatusOK || rr.SmartLicensing.VirtualAccount != "VA2" {
			t.Fatalf("REST reregister: %d %s", status, body)
		}
		restBodies = append(restBodies, body)
		keep(ra.Msg)
		status, body = s.restCall(t, route{http.MethodGet, "/api/v1/licensing/smart"}, "", bearer(c.Token()))
		if status != http.StatusOK || !strings.Contains(body, `"virtualAccount":"VA2"`) {
			t.Fatalf("REST get: %d %s", status, body)
		}
		restBodies = append(restBodies, body)

		// Deregister with SSM down (LI-77), then the forced
		// registration (LI-71).
		if err := s.sim.SetUnreachable(true); err != nil {
			t.Fatal(err)
		}
		dr, err := sl.Deregister(ctx, connect.NewRequest(&licensingv1.DeregisterRequest{}))
		if err != nil || dr.Msg.GetSsmNotified() || dr.Msg.GetSmartLicensing().GetState() != licensingv1.RegistrationState_REGISTRATION_STATE_UNREGISTERED {
			t.Fatalf("deregister with SSM down: %v %v", dr, err)
		}
		keep(dr.Msg)
		if err := s.sim.SetUnreachable(false); err != nil {
			t.Fatal(err)
		}
		tok3 := s.token(t, "VA1")
		tokens = append(tokens, tok3)
		_, err = sl.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: tok3}))
		if connect.CodeOf(err) != connect.CodeAlreadyExists {
			t.Fatalf("unforced Register after a local deregistration: %v", err)
		}
		reg, err = sl.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: tok3, Force: true}))
		if err != nil || reg.Msg.GetSmartLicensing().GetVirtualAccount() != "VA1" {
			t.Fatalf("forced Register: %v", err)
		}
		keep(reg.Msg)
		dr, err = sl.Deregister(ctx, connect.NewRequest(&licensingv1.DeregisterRequest{}))
		if err != nil || !dr.Msg.GetSsmNotified() || len(s.sim.Instances()) != 0 {
			t.Fatalf("deregister: %v %v", dr, err)
		}
		keep(dr.Msg)

		// One audit record per action.
		for proc, want := range map[string]int{
			licensingv1connect.SmartLicensingServiceRegisterProcedure:           4,
			licensingv1connect.SmartLicensingServiceRenewAuthorizationProcedure: 1,
			licensingv1connect.SmartLicensingServiceRenewRegistrationProcedure:  1,
			licensingv1connect.SmartLicensingServiceReregisterProcedure:         1,
			licensingv1connect.SmartLicensingServiceDeregisterProcedure:         2,
			smart.JobRenewAuthorization:                                         1,
		} {
			n, err := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action(proc)).Count(ctx)
			if err != nil || n != want {
				t.Errorf("%s: %d audit records, want %d (%v)", proc, n, want, err)
			}
		}
		outcomes, _ := s.app.db.Ent.AuditEvent.Query().Where(auditevent.Action(licensingv1connect.SmartLicensingServiceRegisterProcedure)).
			Select(auditevent.FieldOutcome).Strings(ctx)
		slices.Sort(outcomes)
		if !slices.Equal(outcomes, []string{"ALREADY_EXISTS", "FAILED_PRECONDITION", "OK", "OK"}) {
			t.Errorf("register outcomes %v", outcomes)
		}

		// No credential and no token anywhere.
		secrets := append(slices.Clone(tokens), creds...)
		if len(creds) < 3 {
			t.Fatalf("collected only %d credentials", len(creds))
		}
		var everything []string
		for _, m := range responses {
			b, _ := protojson.Marshal(m)
			everything = append(everything, string(b))
		}
		everything = append(everything, restBodies...)
		everything = append(everything, s.logs.String())
		details, _ := s.app.db.Ent.AuditEvent.Query().Select(auditevent.FieldDetails).Strings(ctx)
		everything = append(everything, details...)
		for _, sec := range secrets {
			for _, text := range everything {
				if strings.Contains(text, sec) {
					t.Fatalf("a secret (%.8s…) appears in a response, the log or the audit trail", sec)
				}
			}
		}
	})
}

func purchased(v *licensingv1.SmartLicensing, tag string) int32 {
	for _, p := range v.GetPurchased() {
		if p.GetTag() == tag {
			return p.GetCount()
		}
	}
	return -1
}

// TestSmartLicensingRefusals: operators are refused every Smart Licensing
// RPC; bad tokens are INVALID_ARGUMENT naming the field; SSM down over
// midnight raises SSM_UNREACHABLE and keeps the authorization (LI-80).
func TestSmartLicensingRefusals(t *testing.T) {
	s := startSmart(t, "sqlite")
	ctx := context.Background()
	s.addUser(t, "olga", "operator-pw", user.RoleVideoOperator)
	op, err := sdk(t, s.testServer, false, "olga", "operator-pw")
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func(licensingv1connect.SmartLicensingServiceClient) error{
		"GetSmartLicensing": func(c licensingv1connect.SmartLicensingServiceClient) error {
			_, err := c.GetSmartLicensing(ctx, connect.NewRequest(&licensingv1.GetSmartLicensingRequest{}))
			return err
		},
		"Register": func(c licensingv1connect.SmartLicensingServiceClient) error {
			_, err := c.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: "tok-x"}))
			return err
		},
		"RenewAuthorization": func(c licensingv1connect.SmartLicensingServiceClient) error {
			_, err := c.RenewAuthorization(ctx, connect.NewRequest(&licensingv1.RenewAuthorizationRequest{}))
			return err
		},
		"RenewRegistration": func(c licensingv1connect.SmartLicensingServiceClient) error {
			_, err := c.RenewRegistration(ctx, connect.NewRequest(&licensingv1.RenewRegistrationRequest{}))
			return err
		},
		"Reregister": func(c licensingv1connect.SmartLicensingServiceClient) error {
			_, err := c.Reregister(ctx, connect.NewRequest(&licensingv1.ReregisterRequest{Token: "tok-x"}))
			return err
		},
		"Deregister": func(c licensingv1connect.SmartLicensingServiceClient) error {
			_, err := c.Deregister(ctx, connect.NewRequest(&licensingv1.DeregisterRequest{}))
			return err
		},
	}
	for name, call := range calls {
		if err := call(op.SmartLicensing); connect.CodeOf(err) != connect.CodePermissionDenied {
			t.Errorf("operator %s: %v", name, err)
		}
	}
	if n := len(s.sim.Requests()); n != 0 {
		t.Fatalf("refused calls reached SSM: %d", n)
	}

	admin, err := sdk(t, s.testServer, false, "admin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"empty token", func() error {
			_, err := admin.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{}))
			return err
		}},
		{"token with a space", func() error {
			_, err := admin.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: "tok x"}))
			return err
		}},
		{"over-long token", func() error {
			_, err := admin.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: strings.Repeat("t", 1025)}))
			return err
		}},
		{"reregister without token", func() error {
			_, err := admin.SmartLicensing.Reregister(ctx, connect.NewRequest(&licensingv1.ReregisterRequest{}))
			return err
		}},
		{"token SSM does not know", func() error {
			_, err := admin.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: "tok-UNKNOWN"}))
			return err
		}},
	} {
		err := tc.call()
		if connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if reason, fields := violations(t, err); reason != "INVALID_ARGUMENT" || !slices.Contains(fields, "token") {
			t.Errorf("%s: reason %q fields %v", tc.name, reason, fields)
		}
	}
	// REST names the field too.
	status, body := s.restCall(t, route{http.MethodPost, "/api/v1/licensing/smart/register"}, `{"token":""}`, bearer(admin.Token()))
	if status != http.StatusBadRequest || !strings.Contains(body, "token") {
		t.Errorf("REST empty token: %d %s", status, body)
	}
	// Renewing unregistered is a failed precondition, not SSM's business.
	if _, err := admin.SmartLicensing.RenewAuthorization(ctx, connect.NewRequest(&licensingv1.RenewAuthorizationRequest{})); connect.CodeOf(err) != connect.CodeFailedPrecondition {
		t.Errorf("renew unregistered: %v", err)
	}

	// SSM down over midnight (LI-80).
	if _, err := admin.SmartLicensing.Register(ctx, connect.NewRequest(&licensingv1.RegisterRequest{Token: s.token(t, "VA1")})); err != nil {
		t.Fatal(err)
	}
	if err := s.sim.SetUnreachable(true); err != nil {
		t.Fatal(err)
	}
	s.clk.Set(time.Date(2026, 3, 4, 0, 0, 1, 0, time.UTC))
	s.runJob(t, smart.JobRenewAuthorization)
	if st, _ := s.app.Jobs().Get(smart.JobRenewAuthorization); st.LastError == "" {
		t.Fatal("the failed renewal reported success")
	}
	h, err := s.app.Notifications().Holding(ctx, notifications.SubjectSystem, notifications.CodeSSMUnreachable)
	if err != nil || h["ssm"][notifications.CodeSSMUnreachable] == "" {
		t.Fatalf("no SSM_UNREACHABLE: %v %v", h, err)
	}
	got, err := admin.SmartLicensing.GetSmartLicensing(ctx, connect.NewRequest(&licensingv1.GetSmartLicensingRequest{}))
	if err != nil {
		t.Fatal(err)
	}
	v := got.Msg.GetSmartLicensing()
	if v.GetState() != licensingv1.RegistrationState_REGISTRATION_STATE_REGISTERED || purchased(v, "PMP_PLUS") != 10 ||
		v.GetLastError().GetOperation() != "renewAuthorization" || strings.Contains(v.GetLastError().GetMessage(), "127.0.0.1") {
		t.Fatalf("while SSM is down: %v", v)
	}
	if err := s.sim.SetUnreachable(false); err != nil {
		t.Fatal(err)
	}
	s.clk.Set(time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC))
	s.runJob(t, smart.JobRenewAuthorization)
	h, _ = s.app.Notifications().Holding(ctx, notifications.SubjectSystem, notifications.CodeSSMUnreachable)
	if len(h) != 0 {
		t.Fatalf("SSM_UNREACHABLE not cleared: %v", h)
	}
}
