// Package databasetest gives tests a fresh, migrated, isolated database on
// each dialect Switchboard supports, so that one storage test runs against
// both SQLite and PostgreSQL. SQLite databases live in t.TempDir();
// PostgreSQL databases are created under a unique name on the server named
// by SWITCHBOARD_TEST_POSTGRES and dropped when the test ends. An
// unreachable PostgreSQL server fails the test rather than skipping it: a
// storage suite that silently ran on one dialect would prove nothing about
// the other.
package databasetest
