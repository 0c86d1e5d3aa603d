package authz

import "github.com/rosterhq/roster"

// Self decides an action on a user's own record or membership: a user may
// act on themselves; acting on another user needs perm.
func Self(s Subject, target, perm string) error {
	if s.User != "" && s.User == target {
		return nil
	}
	return Require(s, perm)
}

// MemberFacts is a member as the guards see them when they are removed.
type MemberFacts struct {
	User  string
	Owner bool
	// Top is the position of their highest role.
	Top int
	// HoldsAdmin is true when they hold the community's admin role.
	HoldsAdmin bool
}

// RemoveMember decides whether the subject may remove member m from a
// community: a user may leave; removing another needs MANAGE_MEMBERS and a
// higher top role. The owner cannot leave without transferring ownership,
// and in a community without an owner the last admin cannot leave.
func RemoveMember(s Subject, m MemberFacts, hasOwner bool, adminHolders int) error {
	if s.User == "" || s.User != m.User {
		if err := Require(s, roster.PermManageMembers); err != nil {
			return err
		}
		if !s.unrestricted() && (m.Owner || m.Top >= s.Top) {
			return roster.Errorf(roster.EROLEHIERARCHY, "member %s has a role at or above your highest role", m.User)
		}
	}
	if m.Owner {
		return roster.Errorf(roster.EOWNERCANNOTLEAVE, "the owner cannot leave or be removed: transfer ownership first")
	}
	if !hasOwner && m.HoldsAdmin && adminHolders == 1 {
		return lastAdmin(false)
	}
	return nil
}

// UpdateCommunity decides a change of a community: renaming needs
// MANAGE_COMMUNITY; transferring or removing ownership is for the owner or a
// platform administrator. A community without an owner must keep an admin.
func UpdateCommunity(s Subject, rename, transfer, clearOwner bool, adminHolders int) error {
	if rename {
		if err := Require(s, roster.PermManageCommunity); err != nil {
			return err
		}
	}
	if (transfer || clearOwner) && s.User != "" && !s.Owner && !s.PlatformAdmin {
		return roster.Errorf(roster.ENOTOWNER, "only the owner or a platform administrator may transfer ownership")
	}
	if clearOwner && adminHolders == 0 {
		return roster.Errorf(roster.ELASTADMIN, "the community has no admin: removing its owner would leave nobody to administer it")
	}
	return nil
}

// DeleteCommunity decides whether the subject may delete a community: only
// its owner or a platform administrator.
func DeleteCommunity(s Subject) error {
	if s.User != "" && !s.Owner && !s.PlatformAdmin {
		return roster.Errorf(roster.ENOTOWNER, "only the owner or a platform administrator may delete the community")
	}
	return nil
}
