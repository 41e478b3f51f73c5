package database_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect/sql/schema"

	"github.com/switchboardhq/switchboard/server/platform/database"
	"github.com/switchboardhq/switchboard/server/platform/database/databasetest"
)

// entSchemaMu serialises ent schema diffs: ent's migration engine writes to
// the package-level tables in ent/migrate while it works (setupTables), so
// two diffs running at once in one process race.
var entSchemaMu sync.Mutex

// drift asks ent to diff ent/schema against the live database and returns
// the statements it would need, or "" when the two agree. Drops are
// included, so a column or index left behind by the migrations counts too.
func drift(t *testing.T, db *database.DB) string {
	t.Helper()
	entSchemaMu.Lock()
	defer entSchemaMu.Unlock()
	dir := &atlasmigrate.MemDir{}
	err := db.Ent.Schema.NamedDiff(context.Background(), "drift",
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeInspect),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		t.Fatalf("diff ent/schema against the database: %v", err)
	}
	files, err := dir.Files()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, f := range files {
		b.Write(f.Bytes())
	}
	return b.String()
}

// TestSchemaInSync fails when ent/schema changed without a migration: the
// migrated database must be exactly what ent expects.
func TestSchemaInSync(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		if d := drift(t, db); d != "" {
			t.Fatalf("the migrations do not produce the schema ent/schema describes; run\n"+
				"\tgo run ./server/platform/database/internal/migrategen -name <change>\n"+
				"ent would still need:\n%s", d)
		}
	})
}

// TestSchemaDriftIsDetected proves the check above can fail: after an
// index is dropped behind ent's back, the diff is no longer empty.
func TestSchemaDriftIsDetected(t *testing.T) {
	databasetest.ForEach(t, func(t *testing.T, db *database.DB) {
		if _, err := db.SQL.ExecContext(context.Background(), "DROP INDEX session_expire_time"); err != nil {
			t.Fatal(err)
		}
		if d := drift(t, db); !strings.Contains(d, "session_expire_time") {
			t.Fatalf("drift after dropping an index = %q, want it to recreate session_expire_time", d)
		}
	})
}
