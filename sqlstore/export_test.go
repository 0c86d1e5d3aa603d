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

// GroupWrite is one write of a group a test runs: it creates a user, by a
// statement sent at once or held back, and then fails with Fail when it is
// set (a held-back statement is then never sent).
type GroupWrite struct {
	User     string
	HoldBack bool
	Fail     error
}

// RunGroup runs the writes as one group, in order, and returns each
// write's error. The store's committers stop meanwhile, so that it has
// the statement cache to itself, as a committer does.
func (db *DB) RunGroup(ctx context.Context, writes []GroupWrite) ([]error, error) {
	db.stopCommitters()
	defer db.startCommitters(db.dialect.committers)
	jobs := make([]*job, len(writes))
	for i, w := range writes {
		jobs[i] = &job{ctx: ctx, scopes: []string{""}, fn: func(tx *Tx) error {
			insert := step{what: "user", query: `INSERT INTO users (id, display_name, created_at, updated_at) VALUES ($1, '', 0, 0)`, args: []any{w.User}}
			if w.HoldBack {
				tx.group.later(insert)
			} else if err := pipe(tx.ctx, tx, insert); err != nil {
				return err
			}
			return w.Fail
		}}
	}
	results, _, err := db.tryGroup(jobs, false)
	if err != nil {
		return nil, err
	}
	errs := make([]error, len(results))
	for i, r := range results {
		errs[i] = r.err
	}
	return errs, nil
}
