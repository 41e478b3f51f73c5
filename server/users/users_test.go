package users_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/auth"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/principal"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
	"github.com/switchboardhq/switchboard/server/users"
)

// cheap keeps the suite fast; production cost is benchmarked.
var cheap = auth.HashParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

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

type fixture struct {
	db    *database.DB
	auth  *auth.Service
	users *users.Service
	clk   *clock
}

func newFixture(t testing.TB, db *database.DB) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	a, err := auth.New(db.Ent, audit.NewRecorder(db.Ent, log, clk.Now), log, auth.Options{HashParams: cheap, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.New(make([]byte, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	u := users.New(db.Ent, a, box, log, users.Options{Now: clk.Now})
	a.AddAuthenticator(u.Directory)
	return &fixture{db: db, auth: a, users: u, clk: clk}
}

// admin is a local administrator caller.
var admin = &principal.Principal{UserID: -1, Username: "root", Role: principal.RoleAdministrator, Source: principal.SourceLocal}

func (f *fixture) createUser(t testing.TB, name, password string, role principal.Role) {
	t.Helper()
	if _, err := f.users.CreateLocalUser(context.Background(), users.NewLocalUser{Username: name, Password: password, Role: role}); err != nil {
		t.Fatal(err)
	}
}

func wantReason(t testing.TB, err error, kind errs.Kind, reason errs.Reason) *errs.Error {
	t.Helper()
	e, ok := errs.From(err)
	if !ok || e.Kind != kind || e.Reason != reason {
		t.Fatalf("want %v/%s, got %v", kind, reason, err)
	}
	return e
}

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func userRole(r string) user.Role { return user.Role(r) }
