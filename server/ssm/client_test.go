package ssm_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/ssm"
	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

// testClock is a simulated clock the tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func (c *testClock) AddDate(y, m, d int) { c.mu.Lock(); c.t = c.t.AddDate(y, m, d); c.mu.Unlock() }

var start = time.Date(2026, 3, 14, 23, 30, 0, 0, time.UTC)

type fixture struct {
	sim    *ssmsim.Sim
	clock  *testClock
	sleeps []time.Duration
	mu     sync.Mutex
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clock: &testClock{t: start}}
	f.sim = ssmsim.New(ssmsim.Options{Clock: f.clock, Seed: 7})
	if err := f.sim.Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.sim.Close)
	if err := f.sim.AddAccount("VA1", map[ssmsim.Entitlement]int{ssmsim.PMPPlus: 10, ssmsim.SMPPlus: 5, ssmsim.RecordingStreaming: 2}); err != nil {
		t.Fatal(err)
	}
	if err := f.sim.AddAccount("VA2", map[ssmsim.Entitlement]int{ssmsim.SMPPlus: 50, ssmsim.Customization: 1}); err != nil {
		t.Fatal(err)
	}
	return f
}

// client returns a client for instance id trusting the simulator's CA,
// with sleeps recorded instead of waited.
func (f *fixture) client(t *testing.T, id string, mod func(*ssm.Config)) *ssm.Client {
	t.Helper()
	cfg := ssm.Config{
		URL: f.sim.URL(), TrustedCA: f.sim.CACertPEM(), ProductInstanceID: id, Timeout: 5 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			f.sleeps = append(f.sleeps, d)
			f.mu.Unlock()
			return ctx.Err()
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := ssm.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func (f *fixture) sleepCount() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.sleeps) }

func (f *fixture) token(t *testing.T, account string, ttl time.Duration) string {
	t.Helper()
	tok, err := f.sim.IssueToken(account, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// wantErr checks that err is an *ssm.Error of kind (and sentinel) with reason.
func wantErr(t *testing.T, err error, sentinel error, kind ssm.Kind, reason string) *ssm.Error {
	t.Helper()
	var e *ssm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v (%T), want *ssm.Error of kind %s", err, err, kind)
	}
	if e.Kind != kind || !errors.Is(err, sentinel) {
		t.Fatalf("error = %v, kind %s; want kind %s matching %v", err, e.Kind, kind, sentinel)
	}
	if e.Reason != reason {
		t.Fatalf("reason = %q, want %q (error %v)", e.Reason, reason, err)
	}
	return e
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, "sb-1", nil)

	reg, err := c.Register(ctx, f.token(t, "VA1", 24*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if reg.VirtualAccount != "VA1" || reg.ProductInstanceID != "sb-1" || reg.Credential == "" {
		t.Fatalf("registration = %+v", reg.Registration)
	}
	if !reg.RegisteredAt.Equal(start) || !reg.ExpiresAt.Equal(start.AddDate(0, 6, 0)) {
		t.Fatalf("registered %v, expires %v; want %v and six months later", reg.RegisteredAt, reg.ExpiresAt, start)
	}
	a := reg.Authorization
	if a.Count(ssm.PMPPlus) != 10 || a.Count(ssm.SMPPlus) != 5 || a.Count(ssm.RecordingStreaming) != 2 || a.Count(ssm.Customization) != 0 {
		t.Fatalf("authorization = %+v", a)
	}
	if !a.ExpiresAt.Equal(start.Add(90 * 24 * time.Hour)) {
		t.Fatalf("authorization expires %v", a.ExpiresAt)
	}
	if got := fmt.Sprintf("%v %+v %#v", reg.Credential, reg.Credential, reg.Credential); got != "[redacted] [redacted] [redacted]" {
		t.Fatalf("credential printed as %q", got)
	}
	cred := reg.Credential

	// A purchase shows at the next authorization renewal, past midnight.
	if err := f.sim.SetPurchased("VA1", ssmsim.PMPPlus, 25); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)
	auth, err := c.RenewAuthorization(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if auth.Count(ssm.PMPPlus) != 25 || !auth.AuthorizedAt.Equal(start.Add(time.Hour)) || auth.VirtualAccount != "VA1" {
		t.Fatalf("renewed authorization = %+v", auth)
	}

	f.clock.AddDate(0, 5, 0)
	r, err := c.RenewRegistration(ctx, cred)
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now().AddDate(0, 6, 0); !r.ExpiresAt.Equal(want) || !r.RegisteredAt.Equal(start) {
		t.Fatalf("renewed registration = %+v, want expiry %v", r, want)
	}

	day := f.clock.Now().Truncate(24 * time.Hour)
	rep := ssm.UsageReport{ReportID: "2026-08-14", MeasuredAt: day, Usage: map[ssm.Entitlement]int{ssm.PMPPlus: 20, ssm.SMPPlus: 3}}
	rc, err := c.ReportUsage(ctx, cred, rep)
	if err != nil {
		t.Fatal(err)
	}
	if rc.ReportID != rep.ReportID || rc.Compliance != ssm.InCompliance || len(rc.Entitlements) != 4 {
		t.Fatalf("receipt = %+v", rc)
	}
	// The same report again (a lost reply) is answered, not stored twice.
	if _, err := c.ReportUsage(ctx, cred, rep); err != nil {
		t.Fatal(err)
	}
	over := ssm.UsageReport{ReportID: "2026-08-15", MeasuredAt: day.Add(24 * time.Hour), Usage: map[ssm.Entitlement]int{ssm.SMPPlus: 6}}
	rc, err = c.ReportUsage(ctx, cred, over)
	if err != nil {
		t.Fatal(err)
	}
	if rc.Compliance != ssm.OutOfCompliance {
		t.Fatalf("6 SMP Plus of 5: compliance %s", rc.Compliance)
	}
	for _, l := range rc.Entitlements {
		if l.Tag == ssm.SMPPlus && (l.Used != 6 || l.Purchased != 5 || l.Status != ssm.OutOfCompliance) {
			t.Fatalf("SMP line = %+v", l)
		}
	}
	reports := f.sim.UsageReports("sb-1")
	if len(reports) != 2 || reports[0].ReportID != "2026-08-14" || reports[0].Usage[ssmsim.PMPPlus] != 20 ||
		!reports[0].MeasuredAt.Equal(day) || reports[1].Compliance != ssmsim.OutOfCompliance {
		t.Fatalf("stored reports = %+v", reports)
	}

	if err := c.Deregister(ctx, cred); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.sim.Instance("sb-1"); ok {
		t.Fatal("instance still registered after Deregister")
	}
	_, err = c.RenewAuthorization(ctx, cred)
	wantErr(t, err, ssm.ErrNotRegistered, ssm.KindNotRegistered, "notRegistered")
	wantErr(t, c.Deregister(ctx, cred), ssm.ErrNotRegistered, ssm.KindNotRegistered, "notRegistered")
	_, err = c.ReportUsage(ctx, cred, rep)
	wantErr(t, err, ssm.ErrNotRegistered, ssm.KindNotRegistered, "notRegistered")

	for op, want := range map[ssmsim.Op]int{ssmsim.OpRegister: 1, ssmsim.OpRenewAuthorization: 1, ssmsim.OpRenewRegistration: 1, ssmsim.OpUsage: 3, ssmsim.OpDeregister: 1} {
		if got := f.sim.Count(op); got != want {
			t.Errorf("sim answered %d successful %s, want %d", got, op, want)
		}
	}
}

func TestTokenRejected(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	expired := f.token(t, "VA1", time.Hour)
	revoked := f.token(t, "VA1", 24*time.Hour)
	if err := f.sim.RevokeToken(revoked); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour) // expiry is exclusive: a token is dead at its expiry instant
	for _, tc := range []struct{ name, token, reason string }{
		{"unknown", "tok-NOSUCHTOKEN", "tokenUnknown"},
		{"expired", expired, "tokenExpired"},
		{"revoked", revoked, "tokenRevoked"},
		{"empty", "", "tokenEmpty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.client(t, "sb-"+tc.name, nil).Register(ctx, tc.token, true)
			e := wantErr(t, err, ssm.ErrTokenRejected, ssm.KindTokenRejected, tc.reason)
			if tc.name != "empty" && e.Status != 400 {
				t.Fatalf("status %d", e.Status)
			}
		})
	}
	t.Run("fault", func(t *testing.T) {
		good := f.token(t, "VA1", 24*time.Hour)
		f.sim.SetTokensRejected(true)
		c := f.client(t, "sb-fault", nil)
		_, err := c.Register(ctx, good, false)
		wantErr(t, err, ssm.ErrTokenRejected, ssm.KindTokenRejected, "tokenRejected")
		f.sim.SetTokensRejected(false)
		if _, err := c.Register(ctx, good, false); err != nil {
			t.Fatalf("after the fault: %v", err)
		}
	})
	if n := len(f.sim.Instances()); n != 1 {
		t.Fatalf("%d instances registered, want only the one after the fault", n)
	}
	if f.sleepCount() != 0 {
		t.Fatal("a refused registration was retried")
	}
}

func TestAlreadyRegisteredAndForce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, "sb-1", nil)
	tok := f.token(t, "VA1", 24*time.Hour)
	first, err := c.Register(ctx, tok, false)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Register(ctx, tok, false)
	e := wantErr(t, err, ssm.ErrAlreadyRegistered, ssm.KindAlreadyRegistered, "alreadyRegistered")
	if e.Status != 409 {
		t.Fatalf("status %d", e.Status)
	}
	// Reregister with force, to another virtual account.
	second, err := c.Register(ctx, f.token(t, "VA2", 24*time.Hour), true)
	if err != nil {
		t.Fatal(err)
	}
	if second.VirtualAccount != "VA2" || second.Authorization.Count(ssm.SMPPlus) != 50 || second.Authorization.Count(ssm.Customization) != 1 {
		t.Fatalf("reregistered = %+v", second)
	}
	if second.Credential == first.Credential {
		t.Fatal("force re-registration kept the old credential")
	}
	_, err = c.RenewAuthorization(ctx, first.Credential)
	wantErr(t, err, ssm.ErrNotRegistered, ssm.KindNotRegistered, "credentialRejected")
	if _, err := c.RenewAuthorization(ctx, second.Credential); err != nil {
		t.Fatal(err)
	}

	t.Run("fault", func(t *testing.T) {
		f.sim.SetAlreadyRegistered(true)
		defer f.sim.SetAlreadyRegistered(false)
		other := f.client(t, "sb-2", nil)
		_, err := other.Register(ctx, tok, false)
		wantErr(t, err, ssm.ErrAlreadyRegistered, ssm.KindAlreadyRegistered, "alreadyRegistered")
		if _, err := other.Register(ctx, tok, true); err != nil {
			t.Fatalf("forced: %v", err)
		}
	})
}

func TestRegistrationExpires(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, "sb-1", nil)
	reg, err := c.Register(ctx, f.token(t, "VA1", time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	f.clock.AddDate(0, 6, 0)
	_, err = c.RenewAuthorization(ctx, reg.Credential)
	wantErr(t, err, ssm.ErrNotRegistered, ssm.KindNotRegistered, "registrationExpired")
	_, err = c.RenewRegistration(ctx, reg.Credential)
	wantErr(t, err, ssm.ErrNotRegistered, ssm.KindNotRegistered, "registrationExpired")
	// An expired registration can still be released.
	if err := c.Deregister(ctx, reg.Credential); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachable(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, "sb-1", nil)
	reg, err := c.Register(ctx, f.token(t, "VA1", 24*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.sim.SetUnreachable(true); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"register":           func() error { _, err := c.Register(ctx, "tok-X", true); return err },
		"renewAuthorization": func() error { _, err := c.RenewAuthorization(ctx, reg.Credential); return err },
		"renewRegistration":  func() error { _, err := c.RenewRegistration(ctx, reg.Credential); return err },
		"deregister":         func() error { return c.Deregister(ctx, reg.Credential) },
		"usage": func() error {
			_, err := c.ReportUsage(ctx, reg.Credential, ssm.UsageReport{ReportID: "d1", MeasuredAt: start, Usage: map[ssm.Entitlement]int{ssm.PMPPlus: 1}})
			return err
		},
	}
	for name, op := range ops {
		before := f.sleepCount()
		// Drop the kept-alive connection, so that every attempt dials: a
		// request written to a connection the server then closes may have
		// been applied, and only idempotent operations repeat it.
		c.Close()
		err := op()
		e := wantErr(t, err, ssm.ErrUnreachable, ssm.KindUnreachable, "")
		if e.Op != name {
			t.Errorf("%s: error names op %q", name, e.Op)
		}
		// A failed dial sent nothing, so every operation is retried.
		if got := f.sleepCount() - before; got != 2 {
			t.Errorf("%s: %d retries, want 2 (3 attempts)", name, got)
		}
	}
	if err := f.sim.SetUnreachable(false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.RenewAuthorization(ctx, reg.Credential); err != nil {
		t.Fatalf("after the listener came back: %v", err)
	}
}

func TestSlowReplies(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, "sb-1", func(cfg *ssm.Config) { cfg.Timeout = 100 * time.Millisecond })
	reg, err := c.Register(ctx, f.token(t, "VA1", 24*time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	f.sim.SetLatency(time.Second)
	t.Cleanup(func() { f.sim.SetLatency(0) })

	// Register is not repeated after a timeout: it may have been applied.
	_, err = c.Register(ctx, f.token(t, "VA1", 24*time.Hour), true)
	wantErr(t, err, ssm.ErrTimeout, ssm.KindTimeout, "")
	if f.sleepCount() != 0 {
		t.Fatalf("register retried after a timeout (%d waits)", f.sleepCount())
	}
	// A renewal is idempotent and is repeated.
	_, err = c.RenewAuthorization(ctx, reg.Credential)
	wantErr(t, err, ssm.ErrTimeout, ssm.KindTimeout, "")
	if f.sleepCount() != 2 {
		t.Fatalf("renewal retried %d times, want 2", f.sleepCount())
	}
}

func TestContextCancelled(t *testing.T) {
	f := newFixture(t)
	c := f.client(t, "sb-1", nil)
	f.sim.SetLatency(5 * time.Second)
	t.Cleanup(func() { f.sim.SetLatency(0) })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err := c.Register(ctx, f.token(t, "VA1", 24*time.Hour), false)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want the caller's deadline", err)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Fatalf("returned after %v", d)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := c.RenewAuthorization(ctx2, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled context: %v", err)
	}
}

func TestUnavailableRetried(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, "sb-1", nil)
	f.sim.Fail503(2)
	// 503 means not applied, so even Register is repeated, after Retry-After.
	if _, err := c.Register(ctx, f.token(t, "VA1", 24*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if f.sleepCount() != 2 || f.sleeps[0] != time.Second {
		t.Fatalf("waits = %v, want two of Retry-After 1s", f.sleeps)
	}
	f.sim.Fail503(5)
	_, err := c.Register(ctx, "tok-X", true)
	e := wantErr(t, err, ssm.ErrUnavailable, ssm.KindUnavailable, "unavailable")
	if e.Status != 503 {
		t.Fatalf("status %d", e.Status)
	}
}

func TestTrust(t *testing.T) {
	f := newFixture(t)
	other := ssmsim.New(ssmsim.Options{})
	t.Cleanup(other.Close)
	for name, ca := range map[string][]byte{"other CA": other.CACertPEM(), "system roots": nil} {
		t.Run(name, func(t *testing.T) {
			c := f.client(t, "sb-1", func(cfg *ssm.Config) { cfg.TrustedCA = ca })
			_, err := c.Register(context.Background(), f.token(t, "VA1", time.Hour), false)
			wantErr(t, err, ssm.ErrTLS, ssm.KindTLS, "")
			if f.sleepCount() != 0 {
				t.Fatal("an untrusted certificate was retried")
			}
		})
	}
}

func TestConfigAndLocalChecks(t *testing.T) {
	for _, cfg := range []ssm.Config{
		{URL: "http://127.0.0.1/ssm/v1", ProductInstanceID: "x"},
		{URL: "https:///x", ProductInstanceID: "x"},
		{URL: "https://127.0.0.1/ssm/v1"},
		{URL: "https://127.0.0.1/ssm/v1", ProductInstanceID: "x", TrustedCA: []byte("not PEM")},
	} {
		if _, err := ssm.New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	f := newFixture(t)
	c := f.client(t, "sb-1", nil)
	for _, rep := range []ssm.UsageReport{
		{MeasuredAt: start},
		{ReportID: "r"},
		{ReportID: "r", MeasuredAt: start, Usage: map[ssm.Entitlement]int{ssm.PMPPlus: -1}},
	} {
		_, err := c.ReportUsage(context.Background(), "cred", rep)
		wantErr(t, err, ssm.ErrRefused, ssm.KindRefused, "invalidRequest")
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Fatalf("invalid reports reached SSM (%d requests)", n)
	}
}

// TestRenewalSurvivesRestart: after SSM restarts, the kept-alive connection
// is dead; a renewal sent on it is repeated (it is idempotent) and succeeds.
func TestRenewalSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client(t, "sb-1", nil)
	reg, err := c.Register(ctx, f.token(t, "VA1", time.Hour), false)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := f.sim.SetUnreachable(true); err != nil {
			t.Fatal(err)
		}
		if err := f.sim.SetUnreachable(false); err != nil {
			t.Fatal(err)
		}
		if _, err := c.RenewAuthorization(ctx, reg.Credential); err != nil {
			t.Fatalf("restart %d: %v", i, err)
		}
		rep := ssm.UsageReport{ReportID: fmt.Sprint("r", i), MeasuredAt: start, Usage: map[ssm.Entitlement]int{ssm.PMPPlus: 1}}
		if _, err := c.ReportUsage(ctx, reg.Credential, rep); err != nil {
			t.Fatalf("restart %d: usage: %v", i, err)
		}
	}
	if n := len(f.sim.UsageReports("sb-1")); n != 5 {
		t.Fatalf("%d reports stored, want 5", n)
	}
}
