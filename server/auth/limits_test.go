package auth

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/auditevent"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// stubSource is a third identity source (IM-24) that counts the
// credential checks it is asked for.
type stubSource struct{ checks atomic.Int32 }

func (s *stubSource) Authenticate(_ context.Context, username, password string) (*Identity, error) {
	s.checks.Add(1)
	if username != "sso-user" {
		return nil, ErrUnknownUser
	}
	if password != "sso-pw" {
		return &Identity{Username: username, Source: principal.SourceLDAP}, ErrInvalidCredentials
	}
	return &Identity{Username: username, DisplayName: "Sso User", Role: principal.RoleVideoOperator, Source: principal.SourceLDAP}, nil
}

func TestRateLimitBucket(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		svc := newService(t, db, clk)
		addUser(t, db, "ada", "right", user.RoleVideoOperator)
		st, _ := svc.SignInSettings(ctx)
		if !st.RateLimit.Enabled || st.RateLimit.RefillSeconds != 300 || st.RateLimit.MaxTokens != 3 {
			t.Fatalf("AU-42 defaults: %+v", st.RateLimit)
		}
		start := clk.Now()
		at := func(d time.Duration) { clk.now = start.Add(d) }

		// (a) Three failures at t=0; at 299 s refused without consuming; at
		// 300 s exactly one attempt is evaluated; at 301 s refused again.
		for range 3 {
			_, err := svc.SignIn(ctx, "ada", "wrong", Meta{})
			wantReason(t, err, errs.Unauthenticated, errs.ReasonInvalidCredentials)
		}
		at(299 * time.Second)
		_, err := svc.SignIn(ctx, "ada", "right", Meta{}) // correct credentials, still refused (AU-44)
		wantReason(t, err, errs.ResourceExhausted, errs.ReasonRateLimited)
		if e, _ := errs.From(err); e.Message != "Too many sign in attempts. Please try again later" {
			t.Fatalf("message %q", e.Message)
		}
		at(300 * time.Second)
		_, err = svc.SignIn(ctx, "ada", "wrong", Meta{})
		wantReason(t, err, errs.Unauthenticated, errs.ReasonInvalidCredentials)
		at(301 * time.Second)
		_, err = svc.SignIn(ctx, "ada", "right", Meta{})
		wantReason(t, err, errs.ResourceExhausted, errs.ReasonRateLimited)

		// (b) A fresh user fails three times at t=0 and waits.
		addUser(t, db, "bea", "right", user.RoleVideoOperator)
		at(0)
		for range 3 {
			_, _ = svc.SignIn(ctx, "bea", "wrong", Meta{})
		}
		for _, step := range []struct {
			at   time.Duration
			want int
		}{{0, 0}, {300 * time.Second, 1}, {600 * time.Second, 2}, {900 * time.Second, 3}, {1200 * time.Second, 3}} {
			at(step.at)
			if n, err := svc.Tokens(ctx, "bea"); err != nil || n != step.want {
				t.Fatalf("at %v: %d tokens (%v), want %d", step.at, n, err, step.want)
			}
		}

		// A success neither consumes nor refills (AU-45).
		_, _ = svc.SignIn(ctx, "bea", "wrong", Meta{})
		at(1200*time.Second + 1)
		if _, err := svc.SignIn(ctx, "bea", "right", Meta{}); err != nil {
			t.Fatal(err)
		}
		if n, _ := svc.Tokens(ctx, "bea"); n != 2 {
			t.Fatalf("after a success with 2 tokens left: %d", n)
		}

		// Unknown usernames are limited the same way (AU-46).
		for range 3 {
			_, _ = svc.SignIn(ctx, "nosuchuser", "x", Meta{})
		}
		_, err = svc.SignIn(ctx, "nosuchuser", "x", Meta{})
		wantReason(t, err, errs.ResourceExhausted, errs.ReasonRateLimited)

		// An empty bucket asks no identity source (AU-45).
		stub := &stubSource{}
		svc.AddAuthenticator(stub)
		for range 3 {
			_, _ = svc.SignIn(ctx, "sso-user", "bad", Meta{})
		}
		before := stub.checks.Load()
		for range 5 {
			_, err = svc.SignIn(ctx, "sso-user", "sso-pw", Meta{})
			wantReason(t, err, errs.ResourceExhausted, errs.ReasonRateLimited)
		}
		if stub.checks.Load() != before {
			t.Fatal("a refused attempt must not check credentials")
		}

		// Changing the maximum applies at once (ST-51).
		_, err = svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{RateLimit: &RateLimit{Enabled: true, MaxTokens: 1}})
		if err != nil {
			t.Fatal(err)
		}
		addUser(t, db, "cid", "right", user.RoleVideoOperator)
		_, _ = svc.SignIn(ctx, "cid", "wrong", Meta{})
		_, err = svc.SignIn(ctx, "cid", "right", Meta{})
		wantReason(t, err, errs.ResourceExhausted, errs.ReasonRateLimited)

		// Off, nothing is limited.
		_, err = svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{RateLimit: &RateLimit{Enabled: false}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SignIn(ctx, "cid", "right", Meta{}); err != nil {
			t.Fatal(err)
		}
		// Refilled buckets are purged by the sweeper.
		clk.now = start.Add(24 * time.Hour)
		if _, err := svc.ExpireSessions(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.Ent.RateLimitBucket.Query().Count(ctx); n != 0 {
			t.Fatalf("%d buckets left", n)
		}
	})
}

func TestPluggableAuthenticator(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		svc := newService(t, db, clk)
		svc.AddAuthenticator(&stubSource{})
		res, err := svc.SignIn(ctx, "sso-user", "sso-pw", Meta{})
		if err != nil || res.Principal.Role != principal.RoleVideoOperator || res.Principal.DisplayName != "Sso User" {
			t.Fatalf("IM-24: %+v %v", res, err)
		}
		_, err = svc.SignIn(ctx, "sso-user", "wrong", Meta{})
		wantReason(t, err, errs.Unauthenticated, errs.ReasonInvalidCredentials)
		u, _ := db.Ent.User.Query().Where(user.Username("sso-user")).Only(ctx)
		if u == nil || u.FailedSignIns != 1 {
			t.Fatalf("the failure is recorded on the directory user: %+v", u)
		}
	})
}

func TestIdleTimeoutAndLifetime(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		svc := newService(t, db, clk)
		addUser(t, db, "ada", "pw", user.RoleVideoOperator)

		// AU-47 validation.
		for _, v := range []int{59, 86401} {
			_, err := svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{IdleTimeout: &IdleTimeout{Enabled: true, TimeoutSeconds: v}})
			wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		}
		st, err := svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{IdleTimeout: &IdleTimeout{Enabled: true}})
		if err != nil || st.IdleTimeout.TimeoutSeconds != 3600 {
			t.Fatalf("enabling without a value stores 3600: %+v %v", st, err)
		}
		_, err = svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{IdleTimeout: &IdleTimeout{Enabled: true, TimeoutSeconds: 60}})
		if err != nil {
			t.Fatal(err)
		}

		// AU-49: last activity at t=0, valid at 59 s, gone by 90 s, and
		// only ReportActivity counts as activity (AU-48).
		res, err := svc.SignIn(ctx, "ada", "pw", Meta{})
		if err != nil {
			t.Fatal(err)
		}
		idle, err := svc.SignIn(ctx, "ada", "pw", Meta{})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 { // background polling every 10 s
			clk.Advance(10 * time.Second)
			p, err := svc.Authenticate(ctx, idle.Token)
			if err != nil {
				t.Fatal(err)
			}
			if want := res.Principal.ExpireTime.Add(-24*time.Hour + 60*time.Second); !p.IdleExpireTime.Equal(want) {
				t.Fatalf("idle end %v, want %v", p.IdleExpireTime, want)
			}
		}
		clk.Advance(9 * time.Second) // t = 59 s
		p, err := svc.Authenticate(ctx, res.Token)
		if err != nil {
			t.Fatalf("valid at 59 s: %v", err)
		}
		if _, err := svc.ReportActivity(ctx, p); err != nil {
			t.Fatal(err)
		}
		clk.Advance(30 * time.Second) // t = 89 s: the sweeper runs
		if n, err := svc.ExpireSessions(ctx); err != nil || n != 1 {
			t.Fatalf("sweeper: %d %v", n, err)
		}
		_, err = svc.Authenticate(ctx, idle.Token)
		wantReason(t, err, errs.Unauthenticated, errs.ReasonSessionExpired)
		if _, err := svc.Authenticate(ctx, res.Token); err != nil {
			t.Fatalf("the active session stays: %v", err)
		}
		if n, _ := db.Ent.AuditEvent.Query().Where(auditevent.Action("SESSION_EXPIRED")).Count(ctx); n != 1 {
			t.Fatalf("want one SESSION_EXPIRED audit record, got %d", n)
		}

		// AU-50: constant activity, still 24 h at most.
		_, err = svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{IdleTimeout: &IdleTimeout{Enabled: true, TimeoutSeconds: 3600}})
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := svc.SignIn(ctx, "ada", "pw", Meta{})
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range append(make([]time.Duration, 47), 29*time.Minute) { // 47 × 30 min, then 23 h 59 min
			if step == 0 {
				step = 30 * time.Minute
			}
			clk.Advance(step)
			p, err := svc.Authenticate(ctx, fresh.Token)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.ReportActivity(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(time.Minute + 30*time.Second) // 24 h 30 s
		_, err = svc.Authenticate(ctx, fresh.Token)
		wantReason(t, err, errs.Unauthenticated, errs.ReasonSessionExpired)
	})
}

func TestAccountActivityAndMessages(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		svc := newService(t, db, clk)
		addUser(t, db, "ada", "pw", user.RoleVideoOperator)
		long := make([]rune, 4097)
		for i := range long {
			long[i] = 'é'
		}
		_, err := svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{Messages: &Messages{PreSignIn: string(long)}})
		wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		_, err = svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{Messages: &Messages{
			PreSignIn: "Authorised use only.\n<script>x</script>", PostSignIn: "Welcome", ShowAccountActivity: true}})
		if err != nil {
			t.Fatal(err)
		}
		if msg, _ := svc.PreSignInMessage(ctx); msg != "Authorised use only.\n<script>x</script>" {
			t.Fatalf("pre-sign-in message %q", msg)
		}
		first, err := svc.SignIn(ctx, "ada", "pw", Meta{RemoteAddr: "192.0.2.1"})
		if err != nil || first.PostSignInMessage != "Welcome" || first.Activity == nil || !first.Activity.PreviousSignInTime.IsZero() {
			t.Fatalf("first sign-in: %+v %v", first, err)
		}
		clk.Advance(time.Hour)
		_, _ = svc.SignIn(ctx, "ada", "bad", Meta{})
		clk.Advance(time.Minute)
		_, _ = svc.SignIn(ctx, "ada", "bad", Meta{})
		failedAt := clk.Now()
		res, err := svc.SignIn(ctx, "ada", "pw", Meta{RemoteAddr: "192.0.2.2"})
		if err != nil {
			t.Fatal(err)
		}
		a := res.Activity
		if a.FailedAttemptsSince != 2 || !a.PreviousSignInTime.Equal(first.Principal.ExpireTime.Add(-24*time.Hour)) ||
			a.PreviousSignInAddress != "192.0.2.1" || !a.LastFailedAttemptTime.Equal(failedAt) {
			t.Fatalf("AU-56: %+v", a)
		}
		_, err = svc.UpdateSignInSettings(ctx, SignInSettingsUpdate{Messages: &Messages{}})
		if err != nil {
			t.Fatal(err)
		}
		res, _ = svc.SignIn(ctx, "ada", "pw", Meta{})
		if res.Activity != nil || res.PostSignInMessage != "" {
			t.Fatalf("with the option off: %+v", res)
		}
	})
}

func TestSessionsAndAPITokens(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		svc := newService(t, db, clk)
		ada := addUser(t, db, "ada", "pw", user.RoleVideoOperator)
		addUser(t, db, "bob", "pw", user.RoleAdministrator)
		var adaTokens []string
		for range 3 {
			r, _ := svc.SignIn(ctx, "ada", "pw", Meta{})
			adaTokens = append(adaTokens, r.Token)
		}
		bob, _ := svc.SignIn(ctx, "bob", "pw", Meta{})

		page, err := svc.ListSessions(ctx, SessionFilter{UserID: ada.ID}, 2, "")
		if err != nil || len(page.Items) != 2 || page.NextPageToken == "" {
			t.Fatalf("own sessions page 1: %+v %v", page, err)
		}
		page2, _ := svc.ListSessions(ctx, SessionFilter{UserID: ada.ID}, 2, page.NextPageToken)
		if len(page2.Items) != 1 || page2.NextPageToken != "" {
			t.Fatalf("own sessions page 2: %+v", page2)
		}
		// Someone else's session is not one's own.
		err = svc.RevokeSession(ctx, bob.Principal.SessionID, ada.ID)
		wantReason(t, err, errs.NotFound, errs.ReasonNotFound)
		if err := svc.RevokeSession(ctx, page.Items[0].ID, ada.ID); err != nil {
			t.Fatal(err)
		}
		all, _ := svc.ListSessions(ctx, SessionFilter{}, 0, "")
		if len(all.Items) != 3 {
			t.Fatalf("%d sessions", len(all.Items))
		}
		n, err := svc.RevokeAllSessions(ctx, bob.Principal.SessionID)
		if err != nil || n != 2 {
			t.Fatalf("sign out all: %d %v", n, err)
		}
		if _, err := svc.Authenticate(ctx, bob.Token); err != nil {
			t.Fatal("the caller's session stays")
		}

		// API tokens.
		_, _, err = svc.CreateAPIToken(ctx, "ci", principal.RoleVideoOperator, clk.Now().Add(-time.Second), "bob")
		wantReason(t, err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		tok, secret, err := svc.CreateAPIToken(ctx, "ci", principal.RoleVideoOperator, clk.Now().Add(48*time.Hour), "bob")
		if err != nil || len(secret) < 40 || tok.Prefix != secret[:10] {
			t.Fatalf("create: %+v %v", tok, err)
		}
		_, _, err = svc.CreateAPIToken(ctx, "ci", principal.RoleVideoOperator, clk.Now().Add(time.Hour), "bob")
		wantReason(t, err, errs.AlreadyExists, errs.ReasonAlreadyExists)
		stored, _ := db.Ent.ApiToken.Get(ctx, tok.ID)
		if string(stored.TokenHash) == secret {
			t.Fatal("the secret must be stored as a digest")
		}
		p, err := svc.Authenticate(ctx, secret)
		if err != nil || p.Source != principal.SourceAPIToken || p.Role != principal.RoleVideoOperator || p.APITokenID != tok.ID {
			t.Fatalf("authenticate: %+v %v", p, err)
		}
		list, _ := svc.ListAPITokens(ctx, 0, "")
		if len(list.Items) != 1 || !list.Items[0].LastUseTime.Equal(clk.Now()) {
			t.Fatalf("last use: %+v", list)
		}
		err = svc.SignOut(ctx, p.SessionID)
		wantReason(t, err, errs.FailedPrecondition, errs.ReasonFailedPrecondition)
		clk.Advance(48 * time.Hour)
		_, err = svc.Authenticate(ctx, secret)
		wantReason(t, err, errs.Unauthenticated, errs.ReasonSessionExpired)
		if err := svc.DeleteAPIToken(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Authenticate(ctx, secret)
		wantReason(t, err, errs.Unauthenticated, errs.ReasonUnauthenticated)
	})
}
