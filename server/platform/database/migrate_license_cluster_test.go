package database_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
)

// Migration 0008 gives the licence samples stored before it the cluster
// their bridge is in at upgrade time; a removed bridge's samples keep 0.
func TestMigrationBackfillsLicenseSampleCluster(t *testing.T) {
	for _, d := range databasetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url, dir := "", t.TempDir()
			if d == database.DialectPostgres {
				url = databasetest.NewPostgresURL(t)
			}
			db, err := database.Open(ctx, url, filepath.Join(dir, "data"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			migs, err := database.Migrations(d)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for n < len(migs) && migs[n].Version < 8 {
				n++
			}
			if err := db.MigrateWith(ctx, migs[:n]); err != nil {
				t.Fatal(err)
			}
			q := func(query string) string {
				if d != database.DialectPostgres {
					return query
				}
				out, k := []byte{}, 0
				for i := 0; i < len(query); i++ {
					if query[i] == '?' {
						k++
						out = append(out, '$', byte('0'+k))
						continue
					}
					out = append(out, query[i])
				}
				return string(out)
			}
			exec := func(query string, args ...any) {
				t.Helper()
				if _, err := db.SQL.ExecContext(ctx, q(query), args...); err != nil {
					t.Fatalf("%s: %v", query, err)
				}
			}
			exec(`INSERT INTO clusters (id, create_time, update_time, display_name) VALUES (7, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'Paris')`)
			exec(`INSERT INTO call_bridges (id, create_time, update_time, display_name, address, port, username, password_sealed, cluster_id)
				VALUES (3, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'cb1', 'cb1.example', 443, 'admin', ?, 7)`, []byte{1})
			exec(`INSERT INTO license_samples (bridge_id, host_id, time) VALUES (3, 'h3', '2026-01-01 00:00:00'), (9, 'h9', '2026-01-01 00:00:00')`)
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			rows, err := db.SQL.QueryContext(ctx, `SELECT host_id, cluster_id FROM license_samples ORDER BY host_id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			got := map[string]int{}
			for rows.Next() {
				var h string
				var c int
				if err := rows.Scan(&h, &c); err != nil {
					t.Fatal(err)
				}
				got[h] = c
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got["h3"] != 7 || got["h9"] != 0 {
				t.Fatalf("cluster ids after the migration: %v, want h3 → 7, h9 → 0", got)
			}
		})
	}
}
