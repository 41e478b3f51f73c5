// Package database opens Switchboard's store and keeps its schema current.
// SQLite (pure Go, modernc.org/sqlite) is the embedded default for a single
// host; PostgreSQL (through pgx) is the production store. Both are reached
// through the generated ent client, and both are migrated by the same small
// runner from versioned SQL files embedded in the binary, one directory per
// dialect, generated from ent/schema by internal/migrategen. The package is
// also the one place where ent and driver errors are translated into the
// errs vocabulary (Translate), so no other package has to know what a
// SQLSTATE or an SQLite result code is, and no SQL text reaches a client.
package database
