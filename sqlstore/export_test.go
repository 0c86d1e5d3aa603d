package sqlstore

import (
	"context"
)

// MigrateDownTo undoes the migrations after version, for tests of a
// migration.
func (db *DB) MigrateDownTo(ctx context.Context, version int64) error {
	p, err := db.provider()
	if err != nil {
		return err
	}
	_, err = p.DownTo(ctx, version)
	return err
}

// ExecRaw runs a statement as it stands, for tests that make the rows an
// older version wrote.
func (db *DB) ExecRaw(ctx context.Context, query string, args ...any) error {
	_, err := db.write.ExecContext(ctx, query, args...)
	return err
}

// NameKeys returns the name_key of each of a scope's roles, by role id.
func (db *DB) NameKeys(ctx context.Context, scope string) (map[string]string, error) {
	out := map[string]string{}
	err := each(ctx, db.read, "name keys", `SELECT id, name_key FROM roles WHERE scope = $1`, []any{scope}, func(row scanner) error {
		var id, key string
		err := row.Scan(&id, &key)
		out[id] = key
		return err
	})
	return out, err
}
