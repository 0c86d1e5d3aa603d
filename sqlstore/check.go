package sqlstore

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster"
)

// Check answers permission checks from one consistent view of the data.
func (db *DB) Check(ctx context.Context, checks []roster.Check, minRevision roster.Revision) ([]bool, roster.Revision, error) {
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer tx.Rollback()
	if len(checks) == 0 || len(checks) > roster.MaxCheckBatch {
		return nil, 0, roster.Invalid(roster.FieldError{Location: "body.checks", Message: "must list 1 to 1000 checks", Value: len(checks)})
	}
	rev, err := currentRevision(ctx, tx)
	if err != nil {
		return nil, 0, err
	}
	if rev < minRevision {
		return nil, 0, roster.Errorf(roster.EREVISIONNOTREADY, "revision %d is not reached yet (now at %d)", minRevision, rev).With("revision", rev)
	}
	perms := make([]string, len(checks))
	for i, c := range checks {
		perms[i] = c.Permission
	}
	if err := checkKeys(ctx, tx, perms, func(i int) string { return fmt.Sprintf("body.checks[%d].permission", i) }); err != nil {
		return nil, 0, err
	}
	actor := roster.ActorFrom(ctx)
	owners := map[string]string{}
	seen := map[roster.Check]standing{}
	ev := newEvaluator(ctx, tx, db.now())
	out := make([]bool, len(checks))
	for i, c := range checks {
		owner, ok := owners[c.CommunityID]
		if !ok {
			if err := actor.Reach(c.CommunityID); err != nil {
				return nil, 0, err
			}
			if owner, err = scopeOwner(ctx, tx, c.CommunityID); err != nil {
				return nil, 0, err
			}
			owners[c.CommunityID] = owner
		}
		key := roster.Check{CommunityID: c.CommunityID, UserID: c.UserID}
		st, ok := seen[key]
		if !ok {
			if st, err = ev.standing(c.CommunityID, owner, c.UserID); err != nil {
				return nil, 0, err
			}
			seen[key] = st
		}
		out[i] = st.perms.Has(c.Permission)
	}
	return out, rev, nil
}

// EffectivePermissions returns a user's permissions in a scope, and why.
func (db *DB) EffectivePermissions(ctx context.Context, scope, userID string) (roster.Effective, roster.Revision, error) {
	tx, owner, err := db.readScope(ctx, scope)
	if err != nil {
		return roster.Effective{}, 0, err
	}
	defer tx.Rollback()
	rev, err := currentRevision(ctx, tx)
	if err != nil {
		return roster.Effective{}, 0, err
	}
	st, err := standingOf(ctx, tx, scope, owner, userID, db.now())
	if err != nil {
		return roster.Effective{}, 0, err
	}
	if scope != roster.Platform && !st.holdings.Member {
		return roster.Effective{}, 0, roster.Errorf(roster.EMEMBERNOTFOUND, "user %s is not a member of community %s", userID, scope)
	}
	known, err := catalog(ctx, tx)
	if err != nil {
		return roster.Effective{}, 0, err
	}
	return roster.Effective{
		CommunityID:   roster.ScopeRef(scope),
		UserID:        userID,
		Member:        st.holdings.Member || scope == roster.Platform,
		Owner:         st.holdings.Owner,
		Administrator: st.perms.All,
		Permissions:   st.perms.List(known),
		Explain:       st.perms.Explain(known),
	}, rev, nil
}
