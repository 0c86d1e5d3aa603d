package sqlstore

import (
	"context"
	"fmt"
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
	rows, err := db.read.QueryContext(ctx, `SELECT id, name_key FROM roles WHERE scope = $1`, scope)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, key string
		if err := rows.Scan(&id, &key); err != nil {
			return nil, fmt.Errorf("name keys: %w", err)
		}
		out[id] = key
	}
	return out, rows.Err()
}
