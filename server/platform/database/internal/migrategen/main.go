package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/internal/pgtemp"
)

var validName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func main() {
	name := flag.String("name", "", "migration name, lower_snake_case, e.g. add_bridges (required)")
	dir := flag.String("dir", "", "migrations root holding sqlite/ and postgres/ (default: server/platform/database/migrations in this module)")
	pgURL := flag.String("postgres", envOr("SWITCHBOARD_TEST_POSTGRES", pgtemp.DefaultURL),
		"PostgreSQL server to create the throwaway dev database on")
	flag.Parse()
	if !validName.MatchString(*name) {
		fmt.Fprintln(os.Stderr, "migrategen: -name is required and must be lower_snake_case, e.g. -name add_bridges")
		os.Exit(2)
	}
	if *dir == "" {
		root, err := moduleRoot()
		if err != nil {
			fail(err)
		}
		*dir = filepath.Join(root, "server", "platform", "database", "migrations")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, d := range []string{database.DialectSQLite, database.DialectPostgres} {
		written, err := generate(ctx, d, filepath.Join(*dir, d), *name, *pgURL)
		if err != nil {
			fail(fmt.Errorf("%s: %w", d, err))
		}
		if written == "" {
			fmt.Printf("%s: schema unchanged, nothing written\n", d)
			continue
		}
		fmt.Printf("%s: wrote %s\n", d, written)
	}
}

// generate writes the next migration for one dialect into dir and returns
// its path, or "" when there is nothing to migrate.
func generate(ctx context.Context, dialectName, dir, name, pgURL string) (string, error) {
	existing, err := database.ParseMigrations(os.DirFS(dir))
	if err != nil {
		return "", err
	}
	next := 1
	if len(existing) > 0 {
		next = existing[len(existing)-1].Version + 1
	}
	// Atlas wants a directory with a valid atlas.sum. An in-memory copy
	// gets one, and the repository does not have to carry it.
	mem := &atlasmigrate.MemDir{}
	var files []atlasmigrate.File
	for _, m := range existing {
		files = append(files, atlasmigrate.NewLocalFile(fmt.Sprintf("%04d_%s.sql", m.Version, m.Name), []byte(m.SQL)))
	}
	if err := mem.CopyFiles(files); err != nil {
		return "", err
	}

	drv, closeDev, err := openDev(ctx, dialectName, pgURL)
	if err != nil {
		return "", err
	}
	defer closeDev()
	client := ent.NewClient(ent.Driver(drv))
	err = client.Schema.NamedDiff(ctx, name,
		schema.WithDir(mem),
		schema.WithFormatter(numbered{version: next}),
		// Replay the directory on the empty dev database and diff the
		// result, rather than trusting any live database's state.
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(drv.Dialect()),
		// A field or index removed from ent/schema must be removed from
		// the database too, or the schema-in-sync test fails.
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		return "", err
	}
	fileName := fmt.Sprintf("%04d_%s.sql", next, name)
	b, err := fs.ReadFile(mem, fileName)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil // no changes, so the formatter was never called
	}
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, fileName)
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return "", err
	}
	return out, nil
}

// openDev opens an empty dev database for dialectName and returns its ent
// driver and a function that disposes of it.
func openDev(ctx context.Context, dialectName, pgURL string) (*entsql.Driver, func(), error) {
	switch dialectName {
	case database.DialectSQLite:
		db, err := sql.Open("sqlite", "file:migrategen?mode=memory&_pragma=foreign_keys(1)")
		if err != nil {
			return nil, nil, err
		}
		// Every connection to ":memory:" is its own database; keep one.
		db.SetMaxOpenConns(1)
		return entsql.OpenDB(dialect.SQLite, db), func() { db.Close() }, nil
	case database.DialectPostgres:
		url, drop, err := pgtemp.Create(ctx, pgURL, "switchboard_migrategen")
		if err != nil {
			return nil, nil, fmt.Errorf("dev database (set -postgres or SWITCHBOARD_TEST_POSTGRES): %w", err)
		}
		db, err := sql.Open("pgx", url)
		if err != nil {
			_ = drop(context.WithoutCancel(ctx))
			return nil, nil, err
		}
		return entsql.OpenDB(dialect.Postgres, db), func() {
			db.Close()
			if err := drop(context.WithoutCancel(ctx)); err != nil {
				fmt.Fprintln(os.Stderr, "migrategen:", err)
			}
		}, nil
	}
	return nil, nil, fmt.Errorf("unknown dialect %q", dialectName)
}

// numbered formats a plan as one NNNN_name.sql file, the layout
// database.Migrate reads. The statements are atlas's default rendering.
type numbered struct{ version int }

func (n numbered) Format(plan *atlasmigrate.Plan) ([]atlasmigrate.File, error) {
	files, err := atlasmigrate.DefaultFormatter.Format(plan)
	if err != nil {
		return nil, err
	}
	if len(files) != 1 {
		return nil, fmt.Errorf("formatter produced %d files, want 1", len(files))
	}
	header := fmt.Sprintf("-- Generated by migrategen -name %s from ent/schema. Review it like code.\n"+
		"-- Once it has been applied anywhere, never edit it: Migrate refuses a changed checksum.\n\n", plan.Name)
	return []atlasmigrate.File{
		atlasmigrate.NewLocalFile(fmt.Sprintf("%04d_%s.sql", n.version, plan.Name), append([]byte(header), files[0].Bytes()...)),
	}, nil
}

// moduleRoot finds the directory holding go.mod, so that the command works
// from anywhere inside the repository.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the Go module; pass -dir")
		}
		dir = parent
	}
}

func envOr(key, def string) string {
	if v := strings.TrimSpace(os.Getenv(key)); v != "" {
		return v
	}
	return def
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "migrategen:", err)
	os.Exit(1)
}
