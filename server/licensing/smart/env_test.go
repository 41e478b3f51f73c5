package smart_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/licensing/smart"
	"github.com/switchboardhq/switchboard/server/notifications"
	"github.com/switchboardhq/switchboard/server/platform/audit"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
	"github.com/switchboardhq/switchboard/server/platform/jobs"
	"github.com/switchboardhq/switchboard/server/platform/secrets"
	"github.com/switchboardhq/switchboard/server/ssm"
	ssmsim "github.com/switchboardhq/switchboard/sim/ssm"
)

// clock is the shared manual clock of the service and the simulator.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// start is 10:00 UTC on a Tuesday, so that the first midnight is 14 h away.
var start = time.Date(2026, 3, 3, 10, 0, 0, 0, time.UTC)

type env struct {
	t      *testing.T
	ctx    context.Context
	clk    *clock
	sim    *ssmsim.Sim
	svc    *smart.Service
	db     *database.DB
	notes  *notifications.Service
	active atomic.Bool
	logs   *lockedBuffer

	mu    sync.Mutex
	usage map[time.Time]map[ssm.Entitlement]int
}

// newEnv starts a simulator over HTTPS with VA1 (10 PMP Plus, 5 SMP
// Plus) and VA2 (50 PMP Plus), and the service over db in Smart mode.
func newEnv(t *testing.T, db *database.DB) *env {
	t.Helper()
	e := &env{t: t, ctx: context.Background(), clk: &clock{now: start}, db: db, logs: &lockedBuffer{},
		usage: map[time.Time]map[ssm.Entitlement]int{}}
	e.active.Store(true)
	e.sim = ssmsim.New(ssmsim.Options{Clock: e.clk, Seed: 7})
	if err := e.sim.Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.sim.Close)
	if err := e.sim.AddAccount("VA1", map[ssmsim.Entitlement]int{ssmsim.PMPPlus: 10, ssmsim.SMPPlus: 5}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.AddAccount("VA2", map[ssmsim.Entitlement]int{ssmsim.PMPPlus: 50}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.notes = notifications.New(db.Ent, log, notifications.Options{Now: e.clk.Now})
	box, err := secrets.New([]byte(strings.Repeat("k", secrets.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	conn := ssm.Config{URL: e.sim.URL(), TrustedCA: e.sim.CACertPEM(), Timeout: 5 * time.Second,
		Sleep: func(context.Context, time.Duration) error { return nil }}
	reg := jobs.New(log, nil)
	e.svc, err = smart.New(db.Ent, conn, reg, e.notes, box, log, smart.Options{
		Now:        e.clk.Now,
		Active:     func(context.Context) (bool, error) { return e.active.Load(), nil },
		Usage:      e.usageOf,
		NoSchedule: true,
		Audit:      audit.NewRecorder(db.Ent, log, e.clk.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.noSecretsLogged() })
	return e
}

func (e *env) usageOf(_ context.Context, day time.Time) (map[ssm.Entitlement]int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.usage[day], nil
}

func (e *env) setUsage(day time.Time, u map[ssm.Entitlement]int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.usage[day] = u
}

func (e *env) token(account string) string {
	e.t.Helper()
	tok, err := e.sim.IssueToken(account, 30*24*time.Hour)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *env) register(account string) smart.Status {
	e.t.Helper()
	st, err := e.svc.Register(e.ctx, e.token(account), false)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

func (e *env) status() smart.Status {
	e.t.Helper()
	st, err := e.svc.Status(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// holding reports whether an SSM notification is current.
func (e *env) holding(code string) bool {
	e.t.Helper()
	h, err := e.notes.Holding(e.ctx, notifications.SubjectSystem, code)
	if err != nil {
		e.t.Fatal(err)
	}
	_, ok := h["ssm"][code]
	return ok
}

// requests counts every request the simulator answered, whatever the
// answer.
func (e *env) requests() int { return len(e.sim.Requests()) }

// noSecretsLogged checks that no credential the simulator issued reaches
// the log.
func (e *env) noSecretsLogged() {
	logs := e.logs.String()
	for _, in := range e.sim.Instances() {
		if strings.Contains(logs, in.Credential) {
			e.t.Errorf("the credential of %s is in the log", in.ID)
		}
	}
}

func wantKind(t *testing.T, err error, kind errs.Kind) {
	t.Helper()
	if err == nil || errs.KindOf(err) != kind {
		t.Fatalf("error %v, want kind %v", err, kind)
	}
}

func forEach(t *testing.T, fn func(t *testing.T, e *env)) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) { fn(t, newEnv(t, db)) })
}

func forEachUnconfigured(t *testing.T, fn func(t *testing.T, svc *smart.Service)) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		log := slog.New(slog.DiscardHandler)
		box, err := secrets.New([]byte(strings.Repeat("k", secrets.KeySize)))
		if err != nil {
			t.Fatal(err)
		}
		svc, err := smart.New(db.Ent, ssm.Config{}, jobs.New(log, nil), notifications.New(db.Ent, log, notifications.Options{}), box, log, smart.Options{NoSchedule: true})
		if err != nil {
			t.Fatal(err)
		}
		fn(t, svc)
	})
}
