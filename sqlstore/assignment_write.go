package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// AddRole gives one user one role.
func (db *DB) AddRole(ctx context.Context, g roster.RoleGrant) (roster.RoleResult, roster.Revision, error) {
	return db.changeOne(ctx, g, false)
}

// RemoveRole takes one role from one user.
func (db *DB) RemoveRole(ctx context.Context, g roster.RoleGrant) (roster.RoleResult, roster.Revision, error) {
	g.ExpiresAt = nil
	return db.changeOne(ctx, g, true)
}

// AddRoles adds roles to users.
func (db *DB) AddRoles(ctx context.Context, c roster.Change) ([]roster.PairResult, roster.Revision, error) {
	return db.changeMany(ctx, c, false)
}

// RemoveRoles removes roles from users.
func (db *DB) RemoveRoles(ctx context.Context, c roster.Change) ([]roster.PairResult, roster.Revision, error) {
	c.ExpiresAt = nil
	return db.changeMany(ctx, c, true)
}

// changeOne makes a change of one role for one user, whose fields are
// userId and roleId, and returns the user's roles afterwards.
func (db *DB) changeOne(ctx context.Context, g roster.RoleGrant, remove bool) (roster.RoleResult, roster.Revision, error) {
	if err := g.Clean(db.now()); err != nil {
		return roster.RoleResult{}, 0, err
	}
	var out roster.RoleResult
	rev, err := db.updateChange(ctx, g.Scope, func(tx *Tx) error {
		results, err := tx.change(g.Change(), changeKind{remove: remove, single: true}, &out.Member)
		if err != nil {
			return err
		}
		out.Result = results[0].Result
		return nil
	})
	if err != nil {
		return roster.RoleResult{}, 0, err
	}
	return out, rev, nil
}

// changeMany makes a batch change, whose fields are userIds and roleIds.
func (db *DB) changeMany(ctx context.Context, c roster.Change, remove bool) ([]roster.PairResult, roster.Revision, error) {
	if err := c.Clean(db.now()); err != nil {
		return nil, 0, err
	}
	var out []roster.PairResult
	rev, err := db.updateChange(ctx, c.Scope, func(tx *Tx) error {
		var err error
		out, err = tx.change(c, changeKind{remove: remove}, nil)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return out, rev, nil
}

// updateChange is updateReached for a change of roles, which in a
// community may run beside others (see sideBySide): it sends its
// statements through pipe and later only. At platform scope it may create
// users, through statements of its own, and does not.
func (db *DB) updateChange(ctx context.Context, scope string, fn func(tx *Tx) error) (roster.Revision, error) {
	if err := authz.Reach(roster.ActorFrom(ctx), scope); err != nil {
		return 0, err
	}
	return db.enqueue(&job{ctx: ctx, scopes: []string{scope}, fn: fn, done: make(chan jobResult, 1), side: scope != roster.Platform})
}

// changeKind says what a change does, and whether it is of one role for
// one user, named userId and roleId in errors, or a batch.
type changeKind struct{ remove, single bool }

// userAt and roleAt name the i-th user and role of the change in errors.
func (k changeKind) userAt(i int) string { return k.at("userId", i) }
func (k changeKind) roleAt(i int) string { return k.at("roleId", i) }

func (k changeKind) at(field string, i int) string {
	if k.single {
		return field
	}
	return fmt.Sprintf("%ss[%d]", field, i)
}

// change decides a change in the transaction, writes it, and returns the
// outcome of each pair; when member is given, the change is of one user,
// whose roles afterwards it returns in member. Its facts are read in one
// pipeline (and the admin role's holders, when a removal of it needs them,
// in a second). In a community the member's roles afterwards follow from those
// held before; at platform scope they are read with what it writes.
func (tx *Tx) change(c roster.Change, k changeKind, member *roster.Member) ([]roster.PairResult, error) {
	if c.ExpiresAt != nil {
		// The expiry is checked again at the write's time, as it is
		// stored: a change that waited past it would grant nothing.
		exp := fromMicros(micros(*c.ExpiresAt))
		c.ExpiresAt = &exp
		if err := c.Clean(tx.now); err != nil {
			return nil, err
		}
	}
	users := roster.Unique(c.UserIDs)
	var o owner
	var roles []roster.Role
	// found are those of the users who are members of the community.
	var found []roster.Member
	held := map[string][]roster.HeldRole{}
	rc := authz.ChangeFacts{Single: k.single, Source: c.Source, Platform: c.Scope == roster.Platform}
	steps := o.step(c.Scope)
	if !rc.Platform {
		steps = []step{ownerAndMembersStep(c.Scope, users, &o, &found)}
	}
	steps = append(steps, rolesStep(c.Scope, c.RoleIDs, &roles))
	steps = append(steps, heldByStep(c.Scope, users, tx.now, held))
	subjectReads, subject := subjectSteps(c.Scope, tx.actor, tx.now)
	steps = append(steps, subjectReads...)
	if err := pipe(tx.ctx, tx, steps...); err != nil {
		return nil, err
	}
	own, err := o.of(c.Scope)
	if err != nil {
		return nil, err
	}
	if roles, err = resolveRoles(roles, c.RoleIDs, k); err != nil {
		return nil, err
	}
	members := make([]string, len(found))
	for i, m := range found {
		members[i] = m.UserID
	}
	inMemory := member != nil && !rc.Platform
	if inMemory && len(found) > 0 {
		*member = found[0]
	}
	if err := tx.checkHolders(c.Scope, c.UserIDs, members, k); err != nil {
		return nil, err
	}
	rc.HasOwner, rc.Actor = own != "", subject(own)
	var names []string
	for _, u := range users {
		for _, r := range roles {
			rc.Pairs = append(rc.Pairs, authz.Pair{User: u, Role: authz.RoleOf(r), Held: sources(held[u], r.ID)})
			names = append(names, r.Name)
		}
	}
	if k.remove && rc.NeedsAdminHolders() {
		// Few removals need them: they take a round trip of their own.
		if rc.AdminHolders, err = adminHolders(tx, c.Scope); err != nil {
			return nil, err
		}
	}
	decide := authz.AddRoles
	if k.remove {
		decide = authz.RemoveRoles
	}
	outcomes, err := decide(rc)
	if err != nil {
		return nil, err
	}
	results := make([]roster.PairResult, len(rc.Pairs))
	var changed []roster.Assignment
	for i, p := range rc.Pairs {
		results[i] = roster.PairResult{UserID: p.User, RoleID: p.Role.ID, Result: outcomes[i]}
		a := roster.Assignment{UserID: p.User, RoleID: p.Role.ID, RoleName: names[i]}
		switch outcomes[i] {
		case roster.Added:
			changed = append(changed, a)
		case roster.Removed, roster.Retained:
			a.Grant = grantOf(held[p.User], p.Role.ID, c.Source)
			changed = append(changed, a)
		}
		if outcomes[i] == roster.Retained || outcomes[i] == roster.Kept {
			results[i].KeptBy = keptBy(p.Held, c.Source)
		}
	}
	if k.remove {
		err = tx.ungrant(c.Scope, roster.ActionMemberRoleRemoved, changed...)
	} else {
		err = tx.grant(c.Scope, c.Source, c.ExpiresAt, changed...)
	}
	if err != nil || member == nil {
		return results, err
	}
	if inMemory {
		member.Roles = heldAfter(held[users[0]], roles[0], outcomes[0], tx.newGrant(c.Source, c.ExpiresAt))
		return results, nil
	}
	ok := false
	reads := memberSteps(c.Scope, users[0], tx.now, member, &ok)
	if tx.readBack(reads) {
		// The member is read with the commit: the scope's lock keeps
		// them there.
		return results, nil
	}
	if err := pipe(tx.ctx, tx, reads...); err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("sqlstore: the member changed is gone")
	}
	return results, nil
}

// ownerAndMembersStep reads what o.step reads of a community, and into
// members those of the users who are its members, without their roles.
func ownerAndMembersStep(community string, users []string, o *owner, members *[]roster.Member) step {
	*members = nil
	return step{what: "community", query: `SELECT c.owner_id, m.user_id, m.display_name, m.joined_at
		FROM communities c LEFT JOIN members m ON m.community_id = c.id AND m.user_id IN (` + placeholders(2, len(users)) + `)
		WHERE c.id = $1`, args: append([]any{community}, anys(users)...), scan: func(s scanner) error {
		var user, name sql.NullString
		var joined sql.NullInt64
		o.found = true
		if err := s.Scan(&o.id, &user, &name, &joined); err != nil || !user.Valid {
			return err
		}
		*members = append(*members, roster.Member{CommunityID: roster.ScopeRef(community), UserID: user.String, DisplayName: name.String,
			JoinedAt: timePtr(joined), Roles: []roster.HeldRole{}})
		return nil
	}}
}

// newGrant returns the grant the write makes from a source; change
// rounds expires as it is stored.
func (tx *Tx) newGrant(src roster.Source, expires *time.Time) roster.Grant {
	return roster.Grant{Source: src, GrantedBy: roster.Actor{KeyID: tx.actor.KeyID, UserID: tx.actor.UserID}, GrantedAt: tx.now, ExpiresAt: expires}
}

// heldAfter returns the roles held, ordered by position and their grants
// by source, once a change of one role with the outcome given is made:
// an added role gains grant, a removed or retained one loses the grant of
// its source.
func heldAfter(held []roster.HeldRole, r roster.Role, outcome string, grant roster.Grant) []roster.HeldRole {
	out := append([]roster.HeldRole{}, held...)
	i := slices.IndexFunc(out, func(h roster.HeldRole) bool { return h.RoleID == r.ID })
	switch {
	case outcome == roster.Added && i < 0:
		at, _ := slices.BinarySearchFunc(out, r.Position, func(h roster.HeldRole, p int) int { return cmp.Compare(h.Position, p) })
		return slices.Insert(out, at, roster.HeldRole{RoleID: r.ID, Name: r.Name, Position: r.Position, Grants: []roster.Grant{grant}})
	case outcome == roster.Added:
		grants := append(slices.Clone(out[i].Grants), grant)
		slices.SortFunc(grants, func(a, b roster.Grant) int { return cmp.Compare(a.Source, b.Source) })
		out[i].Grants = grants
	case (outcome == roster.Removed || outcome == roster.Retained) && i >= 0:
		out[i].Grants = slices.DeleteFunc(slices.Clone(out[i].Grants), func(g roster.Grant) bool { return g.Source == grant.Source })
		if len(out[i].Grants) == 0 {
			return slices.Delete(out, i, i+1)
		}
	}
	return out
}

// grantOf returns the grant of a role from a source among held roles.
func grantOf(held []roster.HeldRole, roleID string, src roster.Source) roster.Grant {
	for _, h := range held {
		for _, g := range h.Grants {
			if h.RoleID == roleID && g.Source == src {
				return g
			}
		}
	}
	return roster.Grant{Source: src}
}

// sources returns the sources through which a user holds a role.
func sources(held []roster.HeldRole, roleID string) []roster.Source {
	for _, h := range held {
		if h.RoleID == roleID {
			out := make([]roster.Source, len(h.Grants))
			for i, g := range h.Grants {
				out[i] = g.Source
			}
			return out
		}
	}
	return nil
}

// keptBy returns the source, other than the one removed, through which a
// role is still held.
func keptBy(held []roster.Source, removed roster.Source) roster.Source {
	for _, s := range held {
		if s != removed {
			return s
		}
	}
	return ""
}

// rolesStep reads into out the roles of scope that ids (one or more)
// name, by id or by the built-in aliases, with their permissions, in order
// of position.
func rolesStep(scope string, ids []string, out *[]roster.Role) step {
	named := `scope = $1 AND (id IN (` + placeholders(2, len(ids)) + `) OR builtin IN (` + placeholders(2, len(ids)) + `))`
	return rowsOf(out, "roles", selectRoles+` WHERE `+named+` ORDER BY position`, append([]any{scope}, anys(ids)...), scanRole)
}

// resolveRoles finds among the roles read every role named, once each, or
// fails naming each unknown one at its place in the change.
func resolveRoles(all []roster.Role, ids []string, k changeKind) ([]roster.Role, error) {
	byID := make(map[string]roster.Role, len(all)+2)
	for _, r := range all {
		byID[r.ID] = r
		if r.Builtin == roster.BuiltinEveryone || r.Builtin == roster.BuiltinAdmin {
			byID[r.Builtin] = r
		}
	}
	roles := make([]roster.Role, 0, len(ids))
	var missing []roster.FieldError
	found := map[string]bool{}
	for i, id := range ids {
		r, ok := byID[id]
		switch {
		case !ok:
			missing = append(missing, roster.FieldError{Location: k.roleAt(i), Message: "no such role here", Value: id})
		case !found[r.ID]:
			found[r.ID] = true
			roles = append(roles, r)
		}
	}
	if len(missing) > 0 {
		return nil, &roster.Error{Code: roster.EROLENOTFOUND, Message: fmt.Sprintf("%d of the roles do not exist", len(missing)), Fields: missing}
	}
	return roles, nil
}

// checkHolders makes sure every user may hold roles in scope: members of a
// community (members are those of them read), or any user at platform
// scope (whose record an add creates).
func (tx *Tx) checkHolders(scope string, users, members []string, k changeKind) error {
	if scope == roster.Platform {
		if k.remove {
			return nil
		}
		for _, u := range roster.Unique(users) {
			if _, err := tx.ensureUser(u); err != nil {
				return err
			}
		}
		return nil
	}
	member := make(map[string]bool, len(members))
	for _, u := range members {
		member[u] = true
	}
	var missing []roster.FieldError
	for i, u := range users {
		if !member[u] {
			member[u] = true // each missing user once
			missing = append(missing, roster.FieldError{Location: k.userAt(i), Message: "is not a member of the community", Value: u})
		}
	}
	if len(missing) > 0 {
		return &roster.Error{Code: roster.EMEMBERNOTFOUND, Message: fmt.Sprintf("%d of the users are not members of community %s", len(missing), scope), Fields: missing}
	}
	return nil
}

// adminHolders returns the users who hold the scope's admin role.
func adminHolders(tx *Tx, scope string) ([]string, error) {
	var out []string
	// The step fills out: it is read once the pipeline has run.
	err := pipe(tx.ctx, tx, adminHoldersStep(scope, tx.now, &out))
	return out, err
}

// adminHoldersStep reads into out the users who hold the scope's admin role.
func adminHoldersStep(scope string, now time.Time, out *[]string) step {
	return rowsOf(out, "admin holders", `
		SELECT DISTINCT a.user_id FROM assignments a JOIN roles r ON r.id = a.role_id
		WHERE r.scope = $1 AND r.builtin = 'admin' AND (a.expires_at IS NULL OR a.expires_at > $2)`, []any{scope, micros(now)}, scanString)
}

// grant writes assignments of roles from one source (replacing expired ones
// of the same source), many per statement, and an event for each.
func (tx *Tx) grant(scope string, src roster.Source, expires *time.Time, as ...roster.Assignment) error {
	for chunk := range slices.Chunk(as, tx.db.dialect.maxRows) {
		roles, users := make([]string, len(chunk)), make([]string, len(chunk))
		for i, a := range chunk {
			roles[i], users[i] = a.RoleID, a.UserID
		}
		from, args := tx.db.dialect.rows(7, len(chunk), roles, users)
		tx.later(step{what: "grant", query: `INSERT INTO assignments (role_id, user_id, source, scope, granted_by_key, granted_by_user, granted_at, expires_at)
			SELECT column1, column2, CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), CAST($5 AS BIGINT), CAST($6 AS BIGINT)
			FROM ` + from + ` WHERE true
			ON CONFLICT (role_id, user_id, source) DO UPDATE SET granted_by_key = excluded.granted_by_key,
				granted_by_user = excluded.granted_by_user, granted_at = excluded.granted_at, expires_at = excluded.expires_at`,
			args: append([]any{src, scope, tx.actor.KeyID, tx.actor.UserID, micros(tx.now), nullMicros(expires)}, args...)})
	}
	for _, a := range as {
		a.Grant = tx.newGrant(src, expires)
		if err := tx.event(scope, roster.ActionMemberRoleAdded, roster.TargetMember, a.UserID, nil, a); err != nil {
			return err
		}
	}
	return nil
}

// removeAssignments deletes the assignments of scope matching where (whose
// placeholders start at $2), with one member.role_removed event each.
func removeAssignments(tx *Tx, scope, where string, args ...any) error {
	gone, err := collect(tx.ctx, tx, "assignments", `SELECT a.user_id, a.role_id, r.name, `+grantColumns+`
		FROM assignments a JOIN roles r ON r.id = a.role_id WHERE a.scope = $1 AND `+where+` ORDER BY a.user_id, a.role_id, a.source`,
		append([]any{scope}, args...), scanAssignment)
	if err != nil {
		return err
	}
	return tx.ungrant(scope, roster.ActionMemberRoleRemoved, gone...)
}

// scanAssignment scans a user id, a role id and name, and a grant.
func scanAssignment(s scanner) (roster.Assignment, error) {
	var a roster.Assignment
	var err error
	a.Grant, err = scanGrant(s, &a.UserID, &a.RoleID, &a.RoleName)
	return a, err
}

// ungrant deletes assignments, each of its grant's source, many per
// statement, and writes an event of the action (member.role_removed or
// member.role_expired) for each.
func (tx *Tx) ungrant(scope, action string, as ...roster.Assignment) error {
	for chunk := range slices.Chunk(as, tx.db.dialect.maxRows) {
		roles, users, sources := make([]string, len(chunk)), make([]string, len(chunk)), make([]string, len(chunk))
		for i, a := range chunk {
			roles[i], users[i], sources[i] = a.RoleID, a.UserID, string(a.Source)
		}
		from, args := tx.db.dialect.rows(1, len(chunk), roles, users, sources)
		tx.later(step{what: "remove assignments", query: `DELETE FROM assignments WHERE (role_id, user_id, source) IN
			(SELECT column1, column2, column3 FROM ` + from + `)`, args: args})
	}
	for _, a := range as {
		if err := tx.event(scope, action, roster.TargetMember, a.UserID, a, nil); err != nil {
			return err
		}
	}
	return nil
}
