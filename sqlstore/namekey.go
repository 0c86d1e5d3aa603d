package sqlstore

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster"
)

// keySeparator ends the key of a role whose name has the key of an older
// role of its scope: the role keeps working, under the key, this separator
// and its id, until it is renamed. No name holds a control character, so
// no name has such a key.
const keySeparator = "\x1f"

// nameKeyForm is the version of roster.NameKey the stored keys follow, in
// role_name_keys.form: 0, the lower-cased name; 1, NameKey without its
// last NFKC (an accent after an ignorable character stayed apart); 2,
// NameKey as it is. A change to NameKey that changes a key increments it.
const nameKeyForm = 2

// rekeyRoles completes migration 3 (00003_role_name_keys.sql): once per
// form, it sets each role's name_key, on which a scope's role names are
// unique, to roster.NameKey(name) where older code wrote another form.
// The two differ for names that are not plain text (full-width letters, ß,
// ligatures, characters Unicode ignores). Two roles of a scope whose names
// now share a key both keep working: the older one takes the key, and the
// others a key of their own (key, keySeparator, id).
func (db *DB) rekeyRoles(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: role name keys: %w", err)
	}
	defer tx.Rollback()
	// Claiming the work first makes a replica migrating at the same time
	// wait for this one, then find nothing left to do.
	res, err := tx.ExecContext(ctx, `UPDATE role_name_keys SET form = $1 WHERE form < $1`, nameKeyForm)
	if err != nil {
		return fmt.Errorf("sqlstore: role name keys: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	changes, err := newNameKeys(ctx, sqlTx{tx})
	if err != nil {
		return err
	}
	// First a key no role can hold, then the new one: no role takes a key
	// another still holds.
	for _, pass := range []func(nameKey) string{
		func(c nameKey) string { return "\x1e" + c.id },
		func(c nameKey) string { return c.key },
	} {
		for _, c := range changes {
			if _, err := tx.ExecContext(ctx, `UPDATE roles SET name_key = $1 WHERE id = $2`, pass(c), c.id); err != nil {
				return fmt.Errorf("sqlstore: role name keys: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: role name keys: %w", err)
	}
	return nil
}

// nameKey is the key a role is to have.
type nameKey struct{ id, key string }

// newNameKeys returns the roles whose name_key is not the one they are to
// have, with that key.
func newNameKeys(ctx context.Context, q querier) ([]nameKey, error) {
	var changes []nameKey
	var scope string
	taken := map[string]bool{}
	err := each(ctx, q, "role name keys", `SELECT id, scope, name, name_key FROM roles ORDER BY scope, created_at, id`, nil, func(row scanner) error {
		var id, s, name, old string
		if err := row.Scan(&id, &s, &name, &old); err != nil {
			return err
		}
		if s != scope {
			scope = s
			clear(taken)
		}
		k := roster.NameKey(name)
		if taken[k] {
			k += keySeparator + id
		}
		taken[k] = true
		if k != old {
			changes = append(changes, nameKey{id, k})
		}
		return nil
	})
	return changes, err
}
