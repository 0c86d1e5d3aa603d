package authz

import "github.com/rosterhq/roster"

// CreateCommunityFacts are the facts that decide creating a community.
type CreateCommunityFacts struct {
	// Actor is the actor at platform scope.
	Actor Subject
	// Owner is the owner the request names, or nil.
	Owner *string
}

// CreateCommunity decides whether the actor may create a community, and
// returns its owner: a user needs CREATE_COMMUNITY at platform scope and
// becomes the owner unless the request names another.
func CreateCommunity(f CreateCommunityFacts) (*string, error) {
	if err := Require(f.Actor, roster.PermCreateCommunity); err != nil {
		return nil, err
	}
	if f.Owner == nil && f.Actor.User != "" {
		user := f.Actor.User
		return &user, nil
	}
	return f.Owner, nil
}

// UpdateCommunityFacts are the facts that decide a change of a community.
type UpdateCommunityFacts struct {
	Actor Subject
	// Rename, Transfer and ClearOwner say what the change does: a new name,
	// a new owner, or no owner any more (a transfer to nobody).
	Rename, Transfer, ClearOwner bool
	// AdminHolders counts the holders of the community's admin role.
	AdminHolders int
}

// UpdateCommunity decides a change of a community: renaming needs
// MANAGE_COMMUNITY; transferring or removing ownership is for the owner or a
// platform administrator. A community without an owner must keep an admin.
func UpdateCommunity(f UpdateCommunityFacts) error {
	s := f.Actor
	if f.Rename {
		if err := Require(s, roster.PermManageCommunity); err != nil {
			return err
		}
	}
	if (f.Transfer || f.ClearOwner) && s.User != "" && !s.Owner && !s.PlatformAdmin {
		return roster.Errorf(roster.ENOTOWNER, "only the owner or a platform administrator may transfer ownership")
	}
	if f.ClearOwner && f.AdminHolders == 0 {
		return roster.Errorf(roster.ELASTADMIN, "the community has no admin: removing its owner would leave nobody to administer it")
	}
	return nil
}

// DeleteCommunityFacts are the facts that decide deleting a community.
type DeleteCommunityFacts struct {
	Actor Subject
}

// DeleteCommunity decides whether the actor may delete a community: only
// its owner or a platform administrator.
func DeleteCommunity(f DeleteCommunityFacts) error {
	if s := f.Actor; s.User != "" && !s.Owner && !s.PlatformAdmin {
		return roster.Errorf(roster.ENOTOWNER, "only the owner or a platform administrator may delete the community")
	}
	return nil
}

// PutUserFacts are the facts that decide writing a user's record.
type PutUserFacts struct {
	// Actor is the actor at platform scope.
	Actor Subject
	User  string
}

// PutUser decides whether the actor may write a user's record: a user may
// write their own; another's needs MANAGE_MEMBERS at platform scope.
func PutUser(f PutUserFacts) error { return self(f.Actor, f.User, roster.PermManageMembers) }

// AddMembersFacts are the facts that decide adding members to a community.
type AddMembersFacts struct {
	Actor Subject
	Users []string
}

// AddMembers decides whether the actor may add the users to a community: a
// user may join themselves; adding anyone else needs MANAGE_MEMBERS.
func AddMembers(f AddMembersFacts) error {
	for _, u := range f.Users {
		if err := self(f.Actor, u, roster.PermManageMembers); err != nil {
			return err
		}
	}
	return nil
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

// RemoveMemberFacts are the facts that decide removing a member.
type RemoveMemberFacts struct {
	Actor  Subject
	Member MemberFacts
	// HasOwner is true when the community has an owner; AdminHolders
	// counts the holders of its admin role.
	HasOwner     bool
	AdminHolders int
}

// RemoveMember decides whether the actor may remove the member: a user may
// leave; removing another needs MANAGE_MEMBERS and a higher top role. The
// owner cannot leave without transferring ownership, and in a community
// without an owner the last admin cannot leave.
func RemoveMember(f RemoveMemberFacts) error {
	s, m := f.Actor, f.Member
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
	if !f.HasOwner && m.HoldsAdmin && f.AdminHolders == 1 {
		return lastAdmin(false)
	}
	return nil
}
