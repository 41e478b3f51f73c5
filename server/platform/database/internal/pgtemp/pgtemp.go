package pgtemp

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// DefaultURL is the server the tests and migrategen use when
// SWITCHBOARD_TEST_POSTGRES is not set: the local development server with
// trust authentication.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// nameUnsafe matches what may not go into a database name unquoted.
var nameUnsafe = regexp.MustCompile(`[^a-z0-9_]+`)

// Create creates a new empty database on the server serverURL points to
// (any existing database on it will do to connect to) and returns the URL
// of the new database and a function that drops it. The name starts with
// prefix, lowercased and reduced to [a-z0-9_], and ends in random hex.
func Create(ctx context.Context, serverURL, prefix string) (dbURL string, drop func(context.Context) error, err error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("pgtemp: parse server URL: %w", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return "", nil, fmt.Errorf("pgtemp: server URL must start with postgres://, not %s://", u.Scheme)
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	prefix = strings.Trim(nameUnsafe.ReplaceAllString(strings.ToLower(prefix), "_"), "_")
	// PostgreSQL truncates identifiers at 63 bytes; keep the random part.
	if len(prefix) > 40 {
		prefix = prefix[:40]
	}
	name := prefix + "_" + hex.EncodeToString(rnd[:])

	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("pgtemp: %w", err)
	}
	defer admin.Close()
	// template0 never has connections, unlike template1, which a stray
	// psql session would otherwise lock against CREATE DATABASE.
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+name+`" TEMPLATE template0`); err != nil {
		return "", nil, fmt.Errorf("pgtemp: create database %s on %s: %w", name, u.Host, err)
	}
	drop = func(ctx context.Context) error {
		admin, err := sql.Open("pgx", serverURL)
		if err != nil {
			return fmt.Errorf("pgtemp: %w", err)
		}
		defer admin.Close()
		// FORCE ends sessions a leaked pool may still hold.
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			return fmt.Errorf("pgtemp: drop database %s: %w", name, err)
		}
		return nil
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
