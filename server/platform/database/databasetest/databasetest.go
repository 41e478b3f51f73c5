package databasetest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/internal/pgtemp"
)

// EnvPostgres names the environment variable holding the URL of the
// PostgreSQL server the tests create their databases on. The database in
// the URL only needs to exist; tests never touch it.
const EnvPostgres = "SWITCHBOARD_TEST_POSTGRES"

// DefaultPostgresURL is used when EnvPostgres is unset.
const DefaultPostgresURL = pgtemp.DefaultURL

// Dialects returns the dialects every storage test runs on.
func Dialects() []string {
	return []string{database.DialectSQLite, database.DialectPostgres}
}

// PostgresURL returns the URL of the test PostgreSQL server.
func PostgresURL() string {
	if v := strings.TrimSpace(os.Getenv(EnvPostgres)); v != "" {
		return v
	}
	return DefaultPostgresURL
}

// Open returns a fresh database of the given dialect with all migrations
// applied, closed (and, for PostgreSQL, dropped) when the test ends.
func Open(t testing.TB, dialect string) *database.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var dbURL, dataDir string
	switch dialect {
	case database.DialectSQLite:
		dataDir = t.TempDir()
	case database.DialectPostgres:
		dbURL = NewPostgresURL(t) // dropped after the Close below, which is registered later
	default:
		t.Fatalf("databasetest: unknown dialect %q; want one of %v", dialect, Dialects())
	}
	db, err := database.Open(ctx, dbURL, dataDir)
	if err != nil {
		t.Fatalf("databasetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("databasetest: close %s: %v", dialect, err)
		}
	})
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("databasetest: migrate %s: %v", dialect, err)
	}
	return db
}

// NewPostgresURL creates an empty PostgreSQL database for a test that needs
// a URL rather than an open handle (for example to start a whole server
// with --database-url), and drops it when the test ends.
func NewPostgresURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dbURL, drop, err := pgtemp.Create(ctx, PostgresURL(), "sbtest_"+t.Name())
	if err != nil {
		t.Fatalf("databasetest: PostgreSQL is required and is not usable at %s (set %s): %v",
			redact(PostgresURL()), EnvPostgres, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := drop(ctx); err != nil {
			t.Errorf("databasetest: %v", err)
		}
	})
	return dbURL
}

// ForEach runs fn as the subtests "sqlite" and "postgres", each with its own
// fresh database from Open. The subtests run in parallel with each other
// (their databases share nothing), which also means they finish after the
// calling test function has returned: fn must not share mutable state with
// the caller.
func ForEach(t *testing.T, fn func(t *testing.T, db *database.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, d))
		})
	}
}

// redact hides the password of a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
