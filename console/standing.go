package console

import (
	"context"
	"errors"
	"slices"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// standing is what a page knows of the signed-in person in one community,
// to show disabled, with the reason, what the guards would refuse them.
type standing struct {
	subject authz.Subject
	// roles counts the community's roles, everyone included.
	roles int
}

// standingIn reads the signed-in person's standing in a community: for an
// API key acting as itself, none (nothing is refused it); for a user,
// their effective permissions, their platform administration and the
// positions of the roles they hold there. Three reads, whatever the page.
func (c *Console) standingIn(ctx context.Context, ss *session, community string, roles int) (standing, error) {
	st := standing{subject: authz.Key, roles: roles}
	user := ss.actor.UserID
	if user == "" {
		return st, nil
	}
	// The user's own platform standing is read past a key's reach: it
	// only decides what the page offers, never what is done.
	platform, _, err := c.svc.EffectivePermissions(roster.NewContext(ctx, roster.SystemActor), roster.Platform, "", user)
	if err != nil && roster.ErrorCode(err) != roster.EUSERNOTFOUND {
		return st, err
	}
	// A non-member has in a community what their platform roles give.
	eff, _, err := c.svc.EffectivePermissions(ctx, community, "", user)
	if roster.ErrorCode(err) == roster.EMEMBERNOTFOUND || roster.ErrorCode(err) == roster.EUSERNOTFOUND {
		eff, err = platform, nil
	}
	if err != nil {
		return st, err
	}
	var positions []int
	if m, err := c.svc.ListUserRoles(ctx, community, user); err == nil {
		for _, r := range m.Roles {
			positions = append(positions, r.Position)
		}
	} else if roster.ErrorCode(err) != roster.EMEMBERNOTFOUND {
		return st, err
	}
	st.subject = authz.SubjectOf(user, eff, platform.Administrator, positions...)
	return st, nil
}

// editRole is why the person may not edit the role, or "".
func (st standing) editRole(r roster.Role) string {
	return reason(authz.UpdateRole(authz.UpdateRoleFacts{Actor: st.subject, Role: authz.RoleOf(r), Roles: st.roles}))
}

// rename is why the person may not rename the role, or "".
func (st standing) rename(r roster.Role) string {
	return reason(authz.UpdateRole(authz.UpdateRoleFacts{Actor: st.subject, Role: authz.RoleOf(r), Roles: st.roles, Edit: authz.RoleEdit{Rename: true}}))
}

// toggle is why the person may not turn the permission on (or off, when the
// role grants it) for the role, or "".
func (st standing) toggle(r roster.Role, perm string) string {
	perms := slices.DeleteFunc(slices.Clone(r.Permissions), func(p string) bool { return p == perm })
	if len(perms) == len(r.Permissions) {
		perms = append(perms, perm)
	}
	return reason(authz.UpdateRole(authz.UpdateRoleFacts{Actor: st.subject, Role: authz.RoleOf(r), Roles: st.roles, Edit: authz.RoleEdit{Permissions: perms}}))
}

// deleteRole is why the person may not delete the role (forcing it off its
// holders), or "".
func (st standing) deleteRole(r roster.Role) string {
	return reason(authz.DeleteRole(authz.DeleteRoleFacts{Actor: st.subject, Role: authz.RoleOf(r), Force: true}))
}

// createRole is why the person may not create a role, or "".
func (st standing) createRole() string {
	return reason(authz.CreateRole(authz.CreateRoleFacts{Actor: st.subject, Position: roster.DefaultNewPosition, Roles: st.roles}))
}

// reason is an error's message, or "" for none.
func reason(err error) string {
	if err == nil {
		return ""
	}
	var e *roster.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// change is why the person may not add (or remove) the role for the user
// (anyone but them when ""), who holds it through the sources held, by
// hand, or "". admins are the holders of the admin role, which matter in a
// community without an owner.
func (st standing) change(user string, r roster.Role, held []roster.Source, remove bool, com roster.Community, admins []string) string {
	f := authz.ChangeFacts{Actor: st.subject, Single: true, Source: roster.SourceManual, HasOwner: com.OwnerID != nil,
		Pairs: []authz.Pair{{User: user, Role: authz.RoleOf(r), Held: held}}, AdminHolders: admins}
	decide := authz.AddRoles
	if remove {
		decide = authz.RemoveRoles
	}
	_, err := decide(f)
	return reason(err)
}

// steps are why the person may not move each role (bottom to top,
// everyone left out) a step up, and down, or "".
func (st standing) steps(roles []roster.Role) (up, down []string) {
	var facts []authz.RoleFacts
	for _, r := range roles {
		if r.Builtin != roster.BuiltinEveryone {
			facts = append(facts, authz.RoleOf(r))
		}
	}
	ups, downs := authz.StepMoves(st.subject, facts)
	for i := range ups {
		up, down = append(up, reason(ups[i])), append(down, reason(downs[i]))
	}
	return up, down
}

// addMembers is why the person may not add others as members, or "".
func (st standing) addMembers() string {
	return reason(authz.AddMembers(authz.AddMembersFacts{Actor: st.subject, Users: []string{""}}))
}

// removeMember is why the person may not remove the member from the
// community, whose admin role (adminID) admins users hold, or "".
func (st standing) removeMember(m roster.Member, com roster.Community, adminID string, admins int) string {
	f := authz.RemoveMemberFacts{Actor: st.subject, HasOwner: com.OwnerID != nil, AdminHolders: admins,
		Member: authz.MemberFacts{User: m.UserID, Owner: com.OwnerID != nil && *com.OwnerID == m.UserID}}
	var positions []int
	for _, h := range m.Roles {
		positions = append(positions, h.Position)
		f.Member.HoldsAdmin = f.Member.HoldsAdmin || h.RoleID == adminID
	}
	f.Member.Top = authz.Top(positions...)
	return reason(authz.RemoveMember(f))
}
