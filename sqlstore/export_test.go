package sqlstore

import (
	"context"
	"errors"
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
// set (a held-back statement is then never sent). Run side by side, it
// sends only a read at once, when Read is set.
type GroupWrite struct {
	User     string
	HoldBack bool
	Read     bool
	Fail     error
}

// RunGroup runs the writes as one group, in order, and returns each
// write's error. The store's committers stop meanwhile, so that it has
// the statement cache to itself, as a committer does.
func (db *DB) RunGroup(ctx context.Context, writes []GroupWrite) ([]error, error) {
	db.stopCommitters()
	defer db.startCommitters(db.dialect.committers)
	results, _, err := db.tryGroup(groupJobs(ctx, writes, false), false)
	return errorsOf(results), err
}

// RunSideGroup runs the writes as one group side by side, each in a scope
// named for its user, and, as commitGroup does, each alone when a
// statement of the group fails at the database.
func (db *DB) RunSideGroup(ctx context.Context, writes []GroupWrite) ([]error, error) {
	db.stopCommitters()
	defer db.startCommitters(db.dialect.committers)
	jobs := groupJobs(ctx, writes, true)
	results, _, err := db.tryGroup(jobs, true)
	if !errors.Is(err, errAlone) {
		return errorsOf(results), err
	}
	results = nil
	for _, j := range jobs {
		// Alone, the group's failure is the write's, as commitJobs
		// answers it.
		r, _, err := db.tryGroup([]*job{j}, false)
		if err != nil {
			r = []jobResult{{err: err}}
		}
		results = append(results, r...)
	}
	return errorsOf(results), nil
}

func groupJobs(ctx context.Context, writes []GroupWrite, side bool) []*job {
	jobs := make([]*job, len(writes))
	for i, w := range writes {
		scope := ""
		if side {
			scope = w.User
		}
		jobs[i] = &job{ctx: ctx, scopes: []string{scope}, side: side, fn: func(tx *Tx) error {
			if w.Read {
				var n int
				if err := pipe(tx.ctx, tx, step{what: "users", query: `SELECT COUNT(*) FROM users`, scan: func(s scanner) error { return s.Scan(&n) }}); err != nil {
					return err
				}
			}
			insert := step{what: "user", query: `INSERT INTO users (id, display_name, created_at, updated_at) VALUES ($1, '', 0, 0)`, args: []any{w.User}}
			if w.HoldBack {
				tx.later(insert)
			} else if err := pipe(tx.ctx, tx, insert); err != nil {
				return err
			}
			return w.Fail
		}}
	}
	return jobs
}

func errorsOf(results []jobResult) []error {
	if results == nil {
		return nil
	}
	errs := make([]error, len(results))
	for i, r := range results {
		errs[i] = r.err
	}
	return errs
}
