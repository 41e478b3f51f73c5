package database_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/errs"
)

func TestOpenSQLiteInDataDir(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	db, err := database.Open(ctx, "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Dialect != database.DialectSQLite {
		t.Errorf("dialect = %q", db.Dialect)
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o700 {
		t.Errorf("data directory mode = %04o, want 0700", perm)
	}
	if err := db.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dataDir, database.SQLiteFileName)); err != nil {
		t.Errorf("database file: %v", err)
	}
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"foreign_keys": "1",
		"busy_timeout": "10000",
		"synchronous":  "1", // NORMAL
	} {
		var got string
		if err := db.SQL.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
			t.Fatalf("PRAGMA %s: %v", pragma, err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s, want %s", pragma, got, want)
		}
	}
}

func TestOpenSQLiteExplicitPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, url := range []string{
		"sqlite://" + filepath.Join(dir, "a.db"),
		"file:" + filepath.Join(dir, "b.db"),
		"file://" + filepath.Join(dir, "c", "c.db"),
		"sqlite://" + filepath.Join(dir, "we#ird %41.db"),
	} {
		db, err := database.Open(ctx, url, "")
		if err != nil {
			t.Errorf("Open(%q): %v", url, err)
			continue
		}
		if err := db.Migrate(ctx); err != nil {
			t.Errorf("Migrate on %q: %v", url, err)
		}
		db.Close()
	}
	for _, name := range []string{"a.db", "b.db", "c/c.db", "we#ird %41.db"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s was not created: %v", name, err)
		}
	}
}

func TestOpenRejectsBadURLs(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct{ url, want string }{
		{"mysql://root:hunter2@db/switchboard", `unsupported database URL scheme "mysql"`},
		{"sqlite://" + filepath.Join(t.TempDir(), "x.db") + "?_pragma=foreign_keys(0)", "query parameters"},
		{"", "no data directory"},
	} {
		_, err := database.Open(ctx, tt.url, "")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", tt.url, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open(%q) error leaks the password: %v", tt.url, err)
		}
	}
}

func TestOpenUnreachablePostgresIsUnavailable(t *testing.T) {
	// Port 1 on loopback refuses at once.
	_, err := database.Open(context.Background(), "postgres://postgres:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", "")
	if err == nil {
		t.Fatal("Open succeeded on a closed port")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
	if k := errs.KindOf(database.Translate(err)); k != errs.Unavailable {
		t.Errorf("Translate(%v) kind = %v, want unavailable", err, k)
	}
}

func TestSQLiteFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	db, err := database.Open(context.Background(), "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{database.SQLiteFileName, database.SQLiteFileName + "-wal"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, st.Mode().Perm())
		}
	}
}
