package sqlstore

import (
	"context"

	"github.com/rosterhq/roster"
)

// ExpireGrants removes the grants whose expiry has passed, at most limit,
// each with its member.role_expired event.
func (db *DB) ExpireGrants(ctx context.Context, limit int) (int, error) {
	ctx = roster.NewContext(ctx, roster.SystemActor)
	now := micros(db.now())
	scopes, err := collect(ctx, db.read, "expired grants", `SELECT DISTINCT scope FROM
		(SELECT scope FROM assignments WHERE expires_at IS NOT NULL AND expires_at <= $1 ORDER BY expires_at LIMIT $2) e`,
		[]any{now, limit}, scanString)
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, scope := range scopes {
		var n int
		// The grants are read again in the scope's write, which every
		// process runs one at a time: a grant another process removed, or
		// that was given again meanwhile, is not there.
		_, err := db.update(ctx, scope, func(tx *Tx) error {
			gone, err := collect(tx.ctx, tx, "expired grants", `SELECT a.user_id, a.role_id, r.name, `+grantColumns+`
				FROM assignments a JOIN roles r ON r.id = a.role_id
				WHERE a.scope = $1 AND a.expires_at IS NOT NULL AND a.expires_at <= $2
				ORDER BY a.expires_at, a.user_id, a.role_id, a.source LIMIT $3`,
				[]any{scope, now, limit}, scanAssignment)
			n = len(gone)
			if err != nil {
				return err
			}
			return tx.ungrant(scope, roster.ActionMemberRoleExpired, gone...)
		})
		if err != nil {
			return removed, err
		}
		removed += n
	}
	return removed, nil
}
