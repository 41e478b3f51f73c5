package auth

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/auditevent"
	"github.com/switchboardhq/switchboard/ent/session"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
)

// cheap keeps the storage suite fast; production cost is measured in the
// benchmark below.
var cheap = HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newService(t *testing.T, db *database.DB, clk *clock) *Service {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(db.Ent, audit.NewRecorder(db.Ent, log, clk.Now), log, Options{HashParams: cheap, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func addUser(t *testing.T, db *database.DB, name, password string, role user.Role) *ent.User {
	t.Helper()
	hash, err := HashPassword(password, cheap)
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.Ent.User.Create().SetUsername(name).SetRole(role).SetPasswordHash(hash).
		SetFirstName("Ada").SetLastName("Lovelace").Save(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func wantReason(t *testing.T, err error, kind errs.Kind, reason errs.Reason) {
	t.Helper()
	e, ok := errs.From(err)
	if !ok || e.Kind != kind || e.Reason != reason {
		t.Fatalf("want %v/%s, got %v", kind, reason, err)
	}
}

func TestSignInAndSessions(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		svc := newService(t, db, clk)
		addUser(t, db, "ada", "right password", user.RoleVideoOperator)

		_, err := svc.SignIn(ctx, "ada", "wrong password", Meta{})
		wantReason(t, err, errs.Unauthenticated, errs.ReasonInvalidCredentials)
		_, err = svc.SignIn(ctx, "nobody", "right password", Meta{})
		wantReason(t, err, errs.Unauthenticated, errs.ReasonInvalidCredentials)
		_, err = svc.SignIn(ctx, "Ada", "right password", Meta{})
		wantReason(t, err, errs.Unauthenticated, errs.ReasonInvalidCredentials) // case-sensitive (AU-13)

		res, err := svc.SignIn(ctx, "ada", "right password", Meta{RemoteAddr: "192.0.2.1", UserAgent: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Principal.Role != principal.RoleVideoOperator || res.Principal.DisplayName != "Ada Lovelace" ||
			res.Principal.Source != principal.SourceLocal {
			t.Fatalf("unexpected principal %+v", res.Principal)
		}
		if want := clk.Now().Add(DefaultSessionLifetime); !res.Principal.ExpireTime.Equal(want) {
			t.Fatalf("expire time %v, want %v", res.Principal.ExpireTime, want)
		}

		// The token is stored only as a digest.
		sess, err := db.Ent.Session.Query().Only(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(sess.TokenHash) == res.Token || len(sess.TokenHash) != 32 {
			t.Fatal("the session must store a SHA-256 digest of the token, not the token")
		}

		p, err := svc.Authenticate(ctx, res.Token)
		if err != nil || p.Username != "ada" || p.SessionID != sess.ID {
			t.Fatalf("authenticate: %+v, %v", p, err)
		}
		_, err = svc.Authenticate(ctx, res.Token+"x")
		wantReason(t, err, errs.Unauthenticated, errs.ReasonUnauthenticated)
		_, err = svc.Authenticate(ctx, "not-a-token")
		wantReason(t, err, errs.Unauthenticated, errs.ReasonUnauthenticated)

		// 24 hours after sign-in the session ends, whatever the activity.
		clk.Advance(DefaultSessionLifetime - time.Second)
		if _, err := svc.Authenticate(ctx, res.Token); err != nil {
			t.Fatalf("session must still be valid: %v", err)
		}
		clk.Advance(time.Second)
		_, err = svc.Authenticate(ctx, res.Token)
		wantReason(t, err, errs.Unauthenticated, errs.ReasonSessionExpired)
		// The expired session is kept, ended, so that its holder keeps being
		// told SESSION_EXPIRED; the sweeper purges it a day later.
		if n, _ := db.Ent.Session.Query().Where(session.EndTimeNotNil()).Count(ctx); n != 1 {
			t.Fatalf("expired session must be marked ended, got %d", n)
		}
		_, err = svc.Authenticate(ctx, res.Token)
		wantReason(t, err, errs.Unauthenticated, errs.ReasonSessionExpired)
		clk.Advance(tombstoneLifetime)
		if _, err := svc.ExpireSessions(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.Ent.Session.Query().Count(ctx); n != 0 {
			t.Fatalf("expired session must be purged a day later, %d left", n)
		}

		// Sign out ends the session; a second sign-out is harmless.
		res, err = svc.SignIn(ctx, "ada", "right password", Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.SignOut(ctx, res.Principal.SessionID); err != nil {
			t.Fatal(err)
		}
		if err := svc.SignOut(ctx, res.Principal.SessionID); err != nil {
			t.Fatalf("second sign-out: %v", err)
		}
		_, err = svc.Authenticate(ctx, res.Token)
		wantReason(t, err, errs.Unauthenticated, errs.ReasonUnauthenticated)
	})
}

func TestPurgeExpiredSessions(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
		svc := newService(t, db, clk)
		addUser(t, db, "ada", "pw", user.RoleAdministrator)
		for range 3 {
			if _, err := svc.SignIn(ctx, "ada", "pw", Meta{}); err != nil {
				t.Fatal(err)
			}
		}
		clk.Advance(12 * time.Hour)
		fresh, err := svc.SignIn(ctx, "ada", "pw", Meta{})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(12 * time.Hour)
		n, err := svc.PurgeExpiredSessions(ctx)
		if err != nil || n != 3 {
			t.Fatalf("purged %d (%v), want 3", n, err)
		}
		if _, err := svc.Authenticate(ctx, fresh.Token); err != nil {
			t.Fatalf("the younger session must survive: %v", err)
		}
	})
}

func TestBootstrapAdmin(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Now()}
		svc := newService(t, db, clk)
		dir := t.TempDir()

		boot, err := svc.EnsureBootstrapAdmin(ctx, dir, "")
		if err != nil || !boot.Created || boot.GeneratedPassword == "" {
			t.Fatalf("bootstrap: %+v, %v", boot, err)
		}
		st, err := os.Stat(filepath.Join(dir, InitialPasswordFile))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("initial password file must exist with mode 0600: %v %v", st, err)
		}
		content, _ := os.ReadFile(filepath.Join(dir, InitialPasswordFile))
		if string(content) != boot.GeneratedPassword+"\n" {
			t.Fatal("the file must hold the generated password")
		}
		res, err := svc.SignIn(ctx, BootstrapUsername, boot.GeneratedPassword, Meta{})
		if err != nil || res.Principal.Role != principal.RoleAdministrator {
			t.Fatalf("bootstrap admin must sign in as administrator: %v", err)
		}

		// A second start changes nothing.
		again, err := svc.EnsureBootstrapAdmin(ctx, dir, "other")
		if err != nil || again.Created {
			t.Fatalf("second bootstrap: %+v, %v", again, err)
		}
		if n, _ := db.Ent.User.Query().Count(ctx); n != 1 {
			t.Fatalf("want exactly one user, got %d", n)
		}
		if n, _ := db.Ent.AuditEvent.Query().Where(auditevent.Action("BOOTSTRAP_ADMIN_CREATED")).Count(ctx); n != 1 {
			t.Fatalf("want one bootstrap audit record, got %d", n)
		}
	})
}

func TestBootstrapWithConfiguredPasswordIsRaceFree(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Now()}
		svc := newService(t, db, clk)
		var wg sync.WaitGroup
		created := make(chan bool, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := svc.EnsureBootstrapAdmin(ctx, t.TempDir(), "configured-password")
				if err != nil {
					t.Error(err)
				}
				created <- b.Created
			}()
		}
		wg.Wait()
		close(created)
		n := 0
		for c := range created {
			if c {
				n++
			}
		}
		if users, _ := db.Ent.User.Query().Count(ctx); users != 1 || n != 1 {
			t.Fatalf("want one admin created once, got %d users, %d creations", users, n)
		}
		if _, err := svc.SignIn(ctx, BootstrapUsername, "configured-password", Meta{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBreakGlassReset(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Now()}
		svc := newService(t, db, clk)
		addUser(t, db, "ada", "forgotten", user.RoleVideoOperator)
		old, err := svc.SignIn(ctx, "ada", "forgotten", Meta{})
		if err != nil {
			t.Fatal(err)
		}

		if _, err := svc.BreakGlassReset(ctx, "nobody", false); err != ErrNoSuchUser {
			t.Fatalf("unknown user without --create: got %v", err)
		}
		pw, err := svc.BreakGlassReset(ctx, "ada", false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Authenticate(ctx, old.Token); err == nil {
			t.Fatal("break-glass must end the user's sessions")
		}
		if _, err := svc.SignIn(ctx, "ada", "forgotten", Meta{}); err == nil {
			t.Fatal("the old password must no longer work")
		}
		res, err := svc.SignIn(ctx, "ada", pw, Meta{})
		if err != nil || res.Principal.Role != principal.RoleVideoOperator {
			t.Fatalf("reset without --create keeps the role: %v %+v", err, res)
		}

		pw2, err := svc.BreakGlassReset(ctx, "rescue", true)
		if err != nil {
			t.Fatal(err)
		}
		res, err = svc.SignIn(ctx, "rescue", pw2, Meta{})
		if err != nil || res.Principal.Role != principal.RoleAdministrator {
			t.Fatalf("--create must make an administrator: %v", err)
		}
		events, err := db.Ent.AuditEvent.Query().Where(auditevent.Action("BREAK_GLASS_RESET")).All(ctx)
		if err != nil || len(events) != 2 || events[0].Actor != audit.ActorBreakGlass {
			t.Fatalf("want two BREAK_GLASS_RESET records by %s, got %v (%v)", audit.ActorBreakGlass, events, err)
		}
	})
}

func TestBreakGlassCreateAdmin(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Now()}
		svc := newService(t, db, clk)
		addUser(t, db, "ada", "pw", user.RoleVideoOperator)
		if _, err := svc.BreakGlassCreateAdmin(ctx, "ada"); err != ErrUserExists {
			t.Fatalf("existing user: %v", err)
		}
		if _, err := svc.BreakGlassCreateAdmin(ctx, "two words"); err == nil {
			t.Fatal("invalid username accepted")
		}
		pw, err := svc.BreakGlassCreateAdmin(ctx, "rescue")
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.SignIn(ctx, "rescue", pw, Meta{})
		if err != nil || res.Principal.Role != principal.RoleAdministrator {
			t.Fatalf("sign in: %v", err)
		}
		events, err := db.Ent.AuditEvent.Query().Where(auditevent.Action("BREAK_GLASS_CREATE_ADMIN")).All(ctx)
		if err != nil || len(events) != 1 || events[0].Actor != audit.ActorBreakGlass || events[0].Target != "rescue" {
			t.Fatalf("audit: %v %v", events, err)
		}
	})
}
