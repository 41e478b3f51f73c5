package database_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/user"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

// wantKind checks that err translates to the given kind and reason and that
// the client-facing message carries none of the driver's text.
func wantKind(t *testing.T, what string, err error, kind errs.Kind, reason errs.Reason) *errs.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kind)
	}
	e, ok := errs.From(database.Translate(err))
	if !ok {
		t.Fatalf("%s: Translate(%v) is not an *errs.Error", what, err)
	}
	if e.Kind != kind || e.Reason != reason {
		t.Fatalf("%s: Translate(%v) = %v/%s, want %v/%s", what, err, e.Kind, e.Reason, kind, reason)
	}
	if !errors.Is(e, err) {
		t.Errorf("%s: the translated error lost its cause", what)
	}
	for _, leak := range []string{"SQL", "sql", "constraint", "duplicate", "users", "sessions", "ent:", "pq", "pgx"} {
		if strings.Contains(e.Message, leak) {
			t.Errorf("%s: message %q contains %q", what, e.Message, leak)
		}
	}
	return e
}

func TestCRUD(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		c := db.Ent

		alice, err := c.User.Create().SetUsername("alice").SetRole(user.RoleAdministrator).SetFirstName("Alice").Save(ctx)
		if err != nil {
			t.Fatalf("create user: %v", err)
		}
		got, err := c.User.Get(ctx, alice.ID)
		if err != nil {
			t.Fatalf("get user: %v", err)
		}
		if got.Username != "alice" || got.Source != user.SourceLocal || got.FirstName != "Alice" {
			t.Errorf("read back %+v", got)
		}
		// PostgreSQL keeps microseconds, SQLite's text keeps nanoseconds.
		if d := got.CreateTime.Sub(alice.CreateTime); d.Abs() >= time.Microsecond {
			t.Errorf("create_time %v read back as %v", alice.CreateTime, got.CreateTime)
		}

		_, err = c.User.Create().SetUsername("alice").SetRole(user.RoleVideoOperator).Save(ctx)
		wantKind(t, "duplicate username", err, errs.AlreadyExists, errs.ReasonAlreadyExists)
		// The same name from another source is a different user.
		if _, err := c.User.Create().SetUsername("alice").SetSource(user.SourceLdap).SetRole(user.RoleVideoOperator).Save(ctx); err != nil {
			t.Errorf("same username, other source: %v", err)
		}

		_, err = c.User.Get(ctx, alice.ID+1000)
		wantKind(t, "missing user", err, errs.NotFound, errs.ReasonNotFound)

		_, err = c.User.Create().SetUsername("").SetRole(user.RoleAdministrator).Save(ctx)
		e := wantKind(t, "empty username", err, errs.InvalidArgument, errs.ReasonInvalidArgument)
		if len(e.Violations) != 1 || e.Violations[0].Field != "username" {
			t.Errorf("violations = %+v, want one for username", e.Violations)
		}

		expire := time.Now().UTC().Add(time.Hour)
		s, err := c.Session.Create().SetTokenHash([]byte("hash-1")).SetUserID(alice.ID).SetExpireTime(expire).Save(ctx)
		if err != nil {
			t.Fatalf("create session: %v", err)
		}
		owner, err := s.QueryUser().Only(ctx)
		if err != nil || owner.ID != alice.ID {
			t.Fatalf("session owner = %v, %v; want alice", owner, err)
		}
		n, err := alice.QuerySessions().Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("alice's sessions = %d, %v; want 1", n, err)
		}
		_, err = c.Session.Create().SetTokenHash([]byte("hash-1")).SetUserID(alice.ID).SetExpireTime(expire).Save(ctx)
		wantKind(t, "duplicate token hash", err, errs.AlreadyExists, errs.ReasonAlreadyExists)

		_, err = c.Session.Create().SetTokenHash([]byte("hash-2")).SetUserID(alice.ID + 1000).SetExpireTime(expire).Save(ctx)
		wantKind(t, "session of a missing user", err, errs.FailedPrecondition, errs.ReasonFailedPrecondition)
		// A user's sessions go with the user (ON DELETE CASCADE).
		if err := c.User.DeleteOne(alice).Exec(ctx); err != nil {
			t.Fatalf("delete a user who has sessions: %v", err)
		}
		if n, err := c.Session.Query().Count(ctx); err != nil || n != 0 {
			t.Fatalf("sessions left after deleting their user: %d, %v", n, err)
		}
		err = c.User.DeleteOneID(alice.ID).Exec(ctx)
		wantKind(t, "delete a deleted user", err, errs.NotFound, errs.ReasonNotFound)
	})
}

func TestCanceledQueriesStayContextErrors(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := db.Ent.User.Query().All(ctx)
		if got := database.Translate(err); got != context.Canceled {
			t.Errorf("Translate(%v) = %v, want context.Canceled", err, got)
		}
		if db.Dialect != database.DialectPostgres {
			return
		}
		// A query the server is still running when the deadline passes.
		ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err = db.SQL.ExecContext(ctx, "SELECT pg_sleep(5)")
		if got := database.Translate(err); got != context.DeadlineExceeded {
			t.Errorf("Translate(%v) = %v, want context.DeadlineExceeded", err, got)
		}
	})
}

// TestConcurrentWrites runs transactional and plain writes from many
// goroutines at once; none may fail with a lock error (SQLITE_BUSY).
func TestConcurrentWrites(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		const workers, rounds = 12, 8
		var wg sync.WaitGroup
		errc := make(chan error, workers*rounds)
		for w := range workers {
			wg.Go(func() {
				for r := range rounds {
					if err := concurrentRound(ctx, db.Ent, w, r); err != nil {
						errc <- fmt.Errorf("worker %d round %d: %w", w, r, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		n, err := db.Ent.User.Query().Count(ctx)
		if err != nil || n != workers*rounds {
			t.Errorf("users = %d, %v; want %d", n, err, workers*rounds)
		}
	})
}

func concurrentRound(ctx context.Context, c *ent.Client, w, r int) error {
	tx, err := c.Tx(ctx)
	if err != nil {
		return err
	}
	// Read before writing: in a deferred SQLite transaction this is the
	// lock upgrade that fails with SQLITE_BUSY instead of waiting.
	if _, err := tx.User.Query().Count(ctx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	u, err := tx.User.Create().SetUsername(fmt.Sprintf("u%d-%d", w, r)).SetRole(user.RoleVideoOperator).Save(ctx)
	if err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.User.UpdateOne(u).SetLastName("updated").Exec(ctx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	// Plain statements outside a transaction, interleaved with the others.
	if _, err := c.User.Query().Where(user.Username(u.Username)).Only(ctx); err != nil {
		return err
	}
	_, err = c.AuditEvent.Create().SetActor(u.Username).SetAction("test").SetOutcome("OK").Save(ctx)
	return err
}

// TestReadsDoNotQueueBehindWriters holds a transaction open while more
// transactions than the SQLite pool has connections wait for their turn:
// a plain read still gets a connection at once, and the waiting
// transactions run, one after the other, once the first one ends.
func TestReadsDoNotQueueBehindWriters(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		first, err := db.Ent.Tx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := first.User.Create().SetUsername("first").SetRole(user.RoleVideoOperator).Save(ctx); err != nil {
			t.Fatal(err)
		}
		const waiting = 12 // more than the SQLite pool's 8 connections
		var wg sync.WaitGroup
		errc := make(chan error, waiting)
		for i := range waiting {
			wg.Go(func() {
				errc <- database.WithTx(ctx, db.Ent, func(tx *ent.Tx) error {
					return tx.User.Create().SetUsername(fmt.Sprintf("w%d", i)).SetRole(user.RoleVideoOperator).Exec(ctx)
				})
			})
		}
		time.Sleep(200 * time.Millisecond) // let them queue
		readCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, err := db.Ent.User.Query().Count(readCtx); err != nil {
			t.Fatalf("a read while writers wait: %v", err)
		}
		if err := first.Commit(); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			if err != nil {
				t.Error(err)
			}
		}
		if n, _ := db.Ent.User.Query().Count(ctx); n != waiting+1 {
			t.Fatalf("%d users, want %d", n, waiting+1)
		}
	})
}
