// Package settings stores typed settings sections as JSON documents under a
// key, one row each, in the database. Every read goes to the database, so a
// change made through one instance takes effect on every instance at once
// (SPEC §0.7: no restart, no apply). Domains own their keys and defaults;
// secrets inside a section are sealed by the domain before Put.
package settings

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/setting"
	"github.com/switchboardhq/switchboard/server/platform/database"
)

// Get decodes the section stored under key into v and reports whether one
// was stored; when none was, v is left as the caller initialised it (its
// defaults). Errors are already translated.
func Get(ctx context.Context, db *ent.Client, key string, v any) (bool, error) {
	row, err := db.Setting.Query().Where(setting.Key(key)).Only(ctx)
	if ent.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, database.Translate(err)
	}
	if err := json.Unmarshal([]byte(row.Value), v); err != nil {
		return false, fmt.Errorf("settings: decode %s: %w", key, err)
	}
	return true, nil
}

// Put stores v as the section under key, replacing any previous value.
func Put(ctx context.Context, db *ent.Client, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("settings: encode %s: %w", key, err)
	}
	err = db.Setting.Create().SetKey(key).SetValue(string(b)).
		OnConflictColumns(setting.FieldKey).
		Update(func(u *ent.SettingUpsert) {
			u.UpdateValue()
			u.UpdateUpdateTime()
			u.AddRevision(1)
		}).Exec(ctx)
	return database.Translate(err)
}
