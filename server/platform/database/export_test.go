package database

import "context"

// MigrateWith runs the migration runner on an explicit list of migrations,
// so tests can present edited or additional files.
func (db *DB) MigrateWith(ctx context.Context, migs []Migration) error {
	return db.migrate(ctx, migs)
}
