package authz

import (
	"github.com/rosterhq/roster"
)

// Overwrite is one channel overwrite as the rules see it: of a role (RoleID
// and RoleName set) or of a member (UserID set).
type Overwrite struct {
	RoleID   string
	RoleName string
	UserID   string
	Allow    []string
	Deny     []string
}

// Overwrites are the overwrites of one channel that apply to one user: the
// everyone role's, those of the roles the user holds, and the user's own.
type Overwrites struct {
	Everyone *Overwrite
	Roles    []Overwrite
	Member   *Overwrite
}

// Facts are the answers about one permission that decide a check: whether
// the user holds every permission (owner or ADMINISTRATOR), whether their
// roles grant it, and which channel overwrites name it.
type Facts struct {
	All                         bool
	Granted                     bool
	EveryoneDeny, EveryoneAllow bool
	RolesDeny, RolesAllow       bool
	MemberDeny, MemberAllow     bool
}

// Allowed decides one permission in Discord's order (SPEC §2.4): the owner
// and ADMINISTRATOR hold it whatever the overwrites say; otherwise what the
// roles grant, then everyone's deny and allow, then the user's roles' denies
// and allows together, then the user's own deny and allow.
func Allowed(f Facts) bool {
	if f.All {
		return true
	}
	has := f.Granted
	if f.EveryoneDeny {
		has = false
	}
	if f.EveryoneAllow {
		has = true
	}
	if f.RolesDeny {
		has = false
	}
	if f.RolesAllow {
		has = true
	}
	if f.MemberDeny {
		has = false
	}
	if f.MemberAllow {
		has = true
	}
	return has
}

// applyOverwrites changes p, which holds what the roles grant, by the
// channel's overwrites in Discord's order, recording in p.Denied the
// overwrites that took a permission away.
func applyOverwrites(p *Perms, ow *Overwrites) {
	var steps [][]Overwrite
	if ow.Everyone != nil {
		steps = append(steps, []Overwrite{*ow.Everyone})
	}
	if len(ow.Roles) > 0 {
		steps = append(steps, ow.Roles)
	}
	if ow.Member != nil {
		steps = append(steps, []Overwrite{*ow.Member})
	}
	for _, step := range steps {
		// The denies of a step apply together, then its allows.
		removed := map[string]bool{}
		for _, o := range step {
			for _, key := range o.Deny {
				if _, held := p.Keys[key]; held {
					delete(p.Keys, key)
					removed[key] = true
					p.Denied[key] = []roster.Reason{o.reason(roster.EffectDeny)}
				} else if removed[key] {
					p.Denied[key] = append(p.Denied[key], o.reason(roster.EffectDeny))
				}
			}
		}
		for _, o := range step {
			for _, key := range o.Allow {
				delete(p.Denied, key)
				p.Keys[key] = append(p.Keys[key], o.reason(roster.EffectAllow))
			}
		}
	}
}

func (o Overwrite) reason(effect string) roster.Reason {
	return roster.Reason{Kind: roster.ReasonOverwrite, RoleID: o.RoleID, RoleName: o.RoleName, UserID: o.UserID, Effect: effect}
}

// ManageChannel guards creating, renaming and deleting channels: a user
// needs MANAGE_CHANNELS.
func ManageChannel(s Subject) error { return Require(s, roster.PermManageChannels) }

// SetOverwrite guards setting or removing an overwrite: a user needs
// MANAGE_CHANNELS, may only target a role strictly below their highest
// role (role is nil for a member overwrite), and may only name permissions
// they hold, in the overwrite as it is and as it will be.
func SetOverwrite(s Subject, role *RoleFacts, perms ...[]string) error {
	if err := Require(s, roster.PermManageChannels); err != nil {
		return err
	}
	if role != nil {
		if err := below(s, role.Position, role.what()); err != nil {
			return err
		}
	}
	for _, keys := range perms {
		if err := mayGrant(s, keys); err != nil {
			return err
		}
	}
	return nil
}
