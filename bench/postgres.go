package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// createDatabase creates a fresh database on the PostgreSQL server at
// serverURL and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, serverURL string) (string, func(), error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, err
	}
	db, err := sql.Open("pgx", serverURL)
	if err != nil {
		return "", nil, err
	}
	name := "sbbench_" + time.Now().UTC().Format("20060102_150405")
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("create database %s: %w", name, err)
	}
	drop := func() {
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Println("drop", name, err)
		}
	}
	u.Path = "/" + name
	return u.String(), drop, nil
}
