// Package pgtemp creates throwaway PostgreSQL databases on a server, for the
// test helpers in databasetest and for migrategen's dev database. Each
// database gets a unique name, so any number of tests and tools can share
// one server without seeing each other's tables.
package pgtemp
