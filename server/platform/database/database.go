package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver

	"github.com/switchboardhq/switchboard/ent"
)

// The dialects a DB can have. They double as the names of the migration
// directories and of the databasetest subtests.
const (
	DialectSQLite   = "sqlite"
	DialectPostgres = "postgres"
)

// SQLiteFileName is the name of the SQLite database file inside the data
// directory when Open is given no URL.
const SQLiteFileName = "switchboard.db"

// SQLite connection settings. Each connection runs these pragmas when it is
// opened:
//   - busy_timeout first, so that even the pragmas below wait for a lock
//     instead of failing with SQLITE_BUSY;
//   - foreign_keys, which SQLite leaves off by default, and without which the
//     session → user reference would not be enforced;
//   - journal_mode(WAL), so readers never block the writer or each other;
//   - synchronous(NORMAL), which is durable in WAL mode except for the last
//     transactions before a power loss, and much faster than FULL.
//
// _txlock=immediate makes every transaction start with BEGIN IMMEDIATE, that
// is, take the write lock up front. A deferred transaction that reads and
// then writes has to upgrade its lock, and SQLite answers a contended
// upgrade with SQLITE_BUSY at once, without consulting the busy timeout
// (waiting could deadlock). Taking the lock at BEGIN turns that failure into
// an orderly wait in the busy handler. The cost, that read-only transactions
// also serialise, is small: plain queries outside a transaction do not.
//
// _time_format=sqlite stores times as "YYYY-MM-DD HH:MM:SS.SSS+HH:MM", the
// text form SQLite's own date functions understand.
const sqliteParams = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
	"&_txlock=immediate&_time_format=sqlite"

// sqliteMaxConns bounds the SQLite pool. One connection would rule out
// SQLITE_BUSY entirely, but it serialises every read behind every write, and
// any code that uses the client while it holds a transaction open (a hook, a
// nested helper) would wait for itself forever. With WAL, readers run
// concurrently with the one writer, and writers queue in the busy handler
// (see sqliteParams), so a small pool is both safe and faster. Idle
// connections are kept so that the pragmas are not re-run on every burst.
const sqliteMaxConns = 8

// DB is an open Switchboard database: the ent client for domain code, the
// underlying *sql.DB for the migration runner and health checks, and the
// dialect, which tells the two apart where SQL differs.
type DB struct {
	// Ent is the generated ent client over SQL.
	Ent *ent.Client
	// SQL is the connection pool Ent runs on. Domain code should not need
	// it; it exists for migrations, health checks and tests.
	SQL *sql.DB
	// Dialect is DialectSQLite or DialectPostgres.
	Dialect string
}

// Open opens the database named by url and checks that it answers.
//
// An empty url selects the embedded SQLite store in <dataDir>/switchboard.db,
// creating dataDir with mode 0700 if needed. "sqlite://PATH" and "file:PATH"
// select an SQLite file at an explicit path (the connection settings are
// always Switchboard's own, so the path takes no query parameters).
// "postgres://…" and "postgresql://…" select PostgreSQL through pgx; the URL
// is passed to pgx as is, so its parameters (sslmode, …) apply.
//
// Open does not migrate: call Migrate before using Ent.
func Open(ctx context.Context, url, dataDir string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case url == "":
		if dataDir == "" {
			return nil, errors.New("database: no database URL and no data directory")
		}
		db, err = openSQLite(filepath.Join(dataDir, SQLiteFileName))
	case strings.HasPrefix(url, "sqlite://"):
		db, err = openSQLite(strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "file:"):
		db, err = openSQLite(strings.TrimPrefix(strings.TrimPrefix(url, "file:"), "//"))
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(url)
	default:
		// The URL may carry a password, so only its scheme is echoed.
		scheme, _, _ := strings.Cut(url, ":")
		return nil, fmt.Errorf("database: unsupported database URL scheme %q: use postgres://, postgresql://, sqlite:// or file:, or leave the URL empty for SQLite in the data directory", scheme)
	}
	if err != nil {
		return nil, err
	}
	if err := db.SQL.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("database: connect to %s: %w", db.Dialect, err)
	}
	return db, nil
}

func openSQLite(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("database: empty SQLite path")
	}
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("database: SQLite path %q has query parameters; Switchboard sets the connection parameters itself", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("database: create data directory: %w", err)
	}
	// The database holds password hashes and sealed secrets: create it
	// readable by the service account only. SQLite gives its -wal and -shm
	// files the permissions of the database file.
	if f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("database: create SQLite file: %w", err)
	} else {
		f.Close()
	}
	// A plain path, not a "file:" URI: modernc strips its own parameters
	// from it and SQLite then takes the name literally, so '%' and '#' in
	// a directory name mean nothing special.
	sqlDB, err := sql.Open("sqlite", path+"?"+sqliteParams)
	if err != nil {
		return nil, fmt.Errorf("database: open SQLite %s: %w", path, err)
	}
	sqlDB.SetMaxOpenConns(sqliteMaxConns)
	sqlDB.SetMaxIdleConns(sqliteMaxConns)
	// ent's dialect.SQLite is "sqlite3" while modernc registers "sqlite";
	// handing ent the opened *sql.DB avoids registering the driver twice.
	return newDB(sqlDB, dialect.SQLite, DialectSQLite), nil
}

func openPostgres(url string) (*DB, error) {
	sqlDB, err := sql.Open("pgx", url)
	if err != nil {
		// pgx redacts the password in its parse errors.
		return nil, fmt.Errorf("database: open PostgreSQL: %w", err)
	}
	// The server's default max_connections is 100, shared by every replica
	// and every tool; keep one process well inside that.
	sqlDB.SetMaxOpenConns(20)
	sqlDB.SetMaxIdleConns(10)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	// Recycle connections now and then so that a failover or a DNS change
	// is picked up without a restart.
	sqlDB.SetConnMaxLifetime(time.Hour)
	return newDB(sqlDB, dialect.Postgres, DialectPostgres), nil
}

func newDB(sqlDB *sql.DB, entDialect, name string) *DB {
	var drv dialect.Driver = entsql.OpenDB(entDialect, sqlDB)
	if name == DialectSQLite {
		drv = newSerialWriter(drv)
	}
	return &DB{
		Ent:     ent.NewClient(ent.Driver(drv)),
		SQL:     sqlDB,
		Dialect: name,
	}
}

// Ping checks that the database answers. Its error is already translated
// (usually Unavailable), so a health check can return it as is.
func (db *DB) Ping(ctx context.Context) error {
	return Translate(db.SQL.PingContext(ctx))
}

// Close closes the ent client and the connection pool under it.
func (db *DB) Close() error {
	// The ent driver owns the *sql.DB, so closing the client closes both.
	return db.Ent.Close()
}
