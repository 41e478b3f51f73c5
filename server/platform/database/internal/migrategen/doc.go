// Command migrategen writes the next versioned migration for both dialects
// by diffing ent/schema against the migration directories:
//
//	go run ./server/platform/database/internal/migrategen -name add_bridges
//
// For each dialect it replays the existing migrations on an empty dev
// database (SQLite in memory; a throwaway PostgreSQL database on the
// server named by -postgres or SWITCHBOARD_TEST_POSTGRES, dropped
// afterwards), asks ent for the statements that bring that schema to the
// one ent/schema describes, and writes them as NNNN_name.sql, numbered
// after the newest existing file. No atlas.sum is written: the runner in
// package database keeps its own checksums, in the database. When the
// schema has not changed, nothing is written.
package main
