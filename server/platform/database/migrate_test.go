package database_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
	"github.com/switchboardhq/switchboard/server/platform/database/internal/pgtemp"
)

type historyRow struct {
	Version   int
	Name      string
	Checksum  string
	AppliedAt time.Time
}

func history(t *testing.T, db *database.DB) []historyRow {
	t.Helper()
	rows, err := db.SQL.QueryContext(context.Background(),
		"SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
	if err != nil {
		t.Fatalf("read schema_migrations: %v", err)
	}
	defer rows.Close()
	var out []historyRow
	for rows.Next() {
		var r historyRow
		if err := rows.Scan(&r.Version, &r.Name, &r.Checksum, &r.AppliedAt); err != nil {
			t.Fatalf("scan schema_migrations: %v", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrationsAreWellFormed(t *testing.T) {
	for _, d := range databasetest.Dialects() {
		migs, err := database.Migrations(d)
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		if len(migs) == 0 || migs[0].Version != 1 || migs[0].Name != "initial" {
			t.Fatalf("%s: want 0001_initial first, got %+v", d, migs)
		}
	}
	// Both dialects must move in step, or a deployment that switches
	// stores would find a different history.
	sq, _ := database.Migrations(database.DialectSQLite)
	pg, _ := database.Migrations(database.DialectPostgres)
	if len(sq) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d; generate both with migrategen", len(sq), len(pg))
	}
	for i := range sq {
		if sq[i].Version != pg[i].Version || sq[i].Name != pg[i].Name {
			t.Errorf("migration %d differs: sqlite %04d_%s, postgres %04d_%s", i, sq[i].Version, sq[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}

func TestMigrateAppliesAllAndIsIdempotent(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		migs, err := database.Migrations(db.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		before := history(t, db)
		if len(before) != len(migs) {
			t.Fatalf("schema_migrations has %d rows, want %d", len(before), len(migs))
		}
		for i, m := range migs {
			if before[i].Version != m.Version || before[i].Name != m.Name || before[i].Checksum != m.Checksum {
				t.Errorf("row %d = %+v, want version %d name %s checksum %s", i, before[i], m.Version, m.Name, m.Checksum)
			}
		}
		if err := db.Migrate(ctx); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		after := history(t, db)
		if len(after) != len(before) {
			t.Fatalf("second Migrate changed the history: %+v → %+v", before, after)
		}
		for i := range after {
			if !after[i].AppliedAt.Equal(before[i].AppliedAt) {
				t.Errorf("second Migrate re-applied %04d: applied_at %v → %v", after[i].Version, before[i].AppliedAt, after[i].AppliedAt)
			}
		}
	})
}

func TestMigrateRefusesChangedHistory(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		migs, err := database.Migrations(db.Dialect)
		if err != nil {
			t.Fatal(err)
		}

		// An applied file that was edited afterwards.
		edited := append([]database.Migration(nil), migs...)
		edited[0].SQL += "\n-- edited\n"
		edited[0].Checksum = "0000"
		if err := db.MigrateWith(ctx, edited); !errors.Is(err, database.ErrChecksumMismatch) {
			t.Errorf("Migrate with an edited applied file: got %v, want ErrChecksumMismatch", err)
		}

		// A checksum tampered with in the database.
		if _, err := db.SQL.ExecContext(ctx, "UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1"); err != nil {
			t.Fatal(err)
		}
		err = db.Migrate(ctx)
		if !errors.Is(err, database.ErrChecksumMismatch) {
			t.Fatalf("Migrate after tampering: got %v, want ErrChecksumMismatch", err)
		}
		if !strings.Contains(err.Error(), "0001_initial") {
			t.Errorf("error %q does not name the migration", err)
		}
		if _, err := db.SQL.ExecContext(ctx, "UPDATE schema_migrations SET checksum = '"+migs[0].Checksum+"' WHERE version = 1"); err != nil {
			t.Fatal(err)
		}

		// A database migrated by a newer build.
		if _, err := db.SQL.ExecContext(ctx,
			"INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (9999, 'from_the_future', CURRENT_TIMESTAMP, 'x')"); err != nil {
			t.Fatal(err)
		}
		if err := db.Migrate(ctx); !errors.Is(err, database.ErrUnknownMigration) {
			t.Fatalf("Migrate with an unknown applied version: got %v, want ErrUnknownMigration", err)
		}
	})
}

func TestMigrateRefusesOutOfOrderMigration(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		migs, _ := database.Migrations(db.Dialect)
		next := migs[len(migs)-1].Version
		withNewer := append(append([]database.Migration(nil), migs...),
			migration(next+2, "newer", "CREATE TABLE t_newer (id integer PRIMARY KEY)"))
		if err := db.MigrateWith(ctx, withNewer); err != nil {
			t.Fatal(err)
		}
		withOlder := append(withNewer, migration(next+1, "older", "CREATE TABLE t_older (id integer PRIMARY KEY)"))
		if err := db.MigrateWith(ctx, withOlder); !errors.Is(err, database.ErrUnknownMigration) {
			t.Fatalf("got %v, want ErrUnknownMigration for a pending migration older than the newest applied one", err)
		}
	})
}

func TestMigrateFailureRollsBack(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		migs, _ := database.Migrations(db.Dialect)
		v := migs[len(migs)-1].Version + 1
		broken := append(append([]database.Migration(nil), migs...),
			migration(v, "broken", "CREATE TABLE t_half (id integer PRIMARY KEY);\nSELECT * FROM no_such_table;"))
		err := db.MigrateWith(ctx, broken)
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%04d_broken", v)) || !strings.Contains(err.Error(), "statement 2") {
			t.Fatalf("got %v, want an error naming %04d_broken, statement 2", err, v)
		}
		if _, err := db.SQL.ExecContext(ctx, "SELECT count(*) FROM t_half"); err == nil {
			t.Error("the first statement of the failed migration was not rolled back")
		}
		if got := len(history(t, db)); got != len(migs) {
			t.Errorf("the failed migration was recorded: %d rows, want %d", got, len(migs))
		}

		fixed := append(append([]database.Migration(nil), migs...),
			migration(v, "fixed", "CREATE TABLE t_whole (id integer PRIMARY KEY);\nINSERT INTO t_whole (id) VALUES (1);"))
		if err := db.MigrateWith(ctx, fixed); err != nil {
			t.Fatalf("a good migration after a failed one: %v", err)
		}
		h := history(t, db)
		if last := h[len(h)-1]; last.Version != v || last.Name != "fixed" {
			t.Errorf("last history row = %+v, want %04d_fixed", last, v)
		}
	})
}

// TestMigrateConcurrentStarts starts several "replicas" on one empty
// database at once; each migration must be applied exactly once and every
// start must succeed.
func TestMigrateConcurrentStarts(t *testing.T) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url, dataDir := "", ""
			switch d {
			case database.DialectSQLite:
				url = "sqlite://" + filepath.Join(t.TempDir(), "concurrent.db")
			case database.DialectPostgres:
				var drop func(context.Context) error
				var err error
				url, drop, err = pgtemp.Create(ctx, databasetest.PostgresURL(), "sbtest_concurrent")
				if err != nil {
					t.Fatalf("PostgreSQL is required: %v", err)
				}
				t.Cleanup(func() {
					if err := drop(context.Background()); err != nil {
						t.Error(err)
					}
				})
			}
			const replicas = 4
			dbs := make([]*database.DB, replicas)
			for i := range dbs {
				db, err := database.Open(ctx, url, dataDir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs[i] = db
			}
			var wg sync.WaitGroup
			errc := make(chan error, replicas)
			for _, db := range dbs {
				wg.Go(func() { errc <- db.Migrate(ctx) })
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				if err != nil {
					t.Errorf("concurrent Migrate: %v", err)
				}
			}
			migs, _ := database.Migrations(d)
			if got := history(t, dbs[0]); len(got) != len(migs) {
				t.Errorf("history has %d rows, want %d: %+v", len(got), len(migs), got)
			}
		})
	}
}

func migration(version int, name, sql string) database.Migration {
	return database.Migration{Version: version, Name: name, SQL: sql, Checksum: fmt.Sprintf("test-%d-%s", version, name)}
}
