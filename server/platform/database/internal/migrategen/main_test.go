package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
)

// TestGenerate runs the generator the way a developer does: against the
// committed migrations it must find nothing to do, and from an empty
// directory it must write a first migration for the whole schema.
func TestGenerate(t *testing.T) {
	ctx := context.Background()
	for _, d := range databasetest.Dialects() {
		// Not parallel: ent's migration engine writes to the package-level
		// tables in ent/migrate while it diffs, so two diffs in one process
		// race.
		t.Run(d, func(t *testing.T) {
			committed := filepath.Join("..", "..", "migrations", d)
			copyDir := t.TempDir()
			entries, err := os.ReadDir(committed)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(committed, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(copyDir, e.Name()), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			written, err := generate(ctx, d, copyDir, "noop", databasetest.PostgresURL())
			if err != nil {
				t.Fatalf("generate against the committed migrations: %v", err)
			}
			if written != "" {
				b, _ := os.ReadFile(written)
				t.Fatalf("ent/schema has changes the committed migrations lack; commit a migration for them:\n%s", b)
			}

			empty := t.TempDir()
			written, err = generate(ctx, d, empty, "initial", databasetest.PostgresURL())
			if err != nil {
				t.Fatalf("generate from scratch: %v", err)
			}
			if filepath.Base(written) != "0001_initial.sql" {
				t.Fatalf("from scratch wrote %q, want 0001_initial.sql", written)
			}
			got, _ := os.ReadFile(written)
			migs, err := database.ParseMigrations(os.DirFS(empty))
			if err != nil || len(migs) != 1 {
				t.Fatalf("the runner cannot read the generated file: %v", err)
			}
			for _, table := range []string{"users", "sessions", "audit_events"} {
				if !strings.Contains(string(got), table) {
					t.Errorf("the first migration does not create %s:\n%s", table, got)
				}
			}
		})
	}
}
