package authz

import (
	"slices"

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

// The stages of a channel's overwrites, in the order they apply (SPEC §2.4,
// Discord's): the everyone role's overwrite, then those of all the roles the
// user holds together, then the user's own.
const (
	EveryoneStage = iota
	RolesStage
	MemberStage
	stageCount
)

// Stage is what the overwrites of one stage say of a permission.
type Stage struct{ Deny, Allow bool }

// then returns whether a permission is held after the stage, given whether
// it was held before: the stage's denies take it away, then its allows give
// it.
func (s Stage) then(held bool) bool { return held && !s.Deny || s.Allow }

// Facts are the answers about one permission that decide a check: whether
// the user holds every permission (owner or ADMINISTRATOR), whether their
// roles grant it, and what each stage of the channel's overwrites says of it.
type Facts struct {
	All     bool
	Granted bool
	Stages  [stageCount]Stage
}

// Allowed decides one permission: the owner and ADMINISTRATOR hold it
// whatever the overwrites say; otherwise what the roles grant, changed by
// each stage of the overwrites in order. It is the one statement of the
// overwrite order; Effective walks the same stages to give its reasons.
func Allowed(f Facts) bool {
	if f.All {
		return true
	}
	held := f.Granted
	for _, s := range f.Stages {
		held = s.then(held)
	}
	return held
}

// stages lists the overwrites of each stage.
func (ow *Overwrites) stages() [stageCount][]Overwrite {
	var out [stageCount][]Overwrite
	if ow.Everyone != nil {
		out[EveryoneStage] = []Overwrite{*ow.Everyone}
	}
	out[RolesStage] = ow.Roles
	if ow.Member != nil {
		out[MemberStage] = []Overwrite{*ow.Member}
	}
	return out
}

// applyOverwrites changes p, which holds what the roles grant, by the
// channel's overwrites, stage by stage as Allowed decides, recording the
// overwrites that allow a permission among its reasons and, in p.Denied,
// those that took one away.
func applyOverwrites(p *Perms, ow *Overwrites) {
	stages := ow.stages()
	named := map[string]bool{}
	for _, list := range stages {
		for _, o := range list {
			for _, k := range o.Deny {
				named[k] = true
			}
			for _, k := range o.Allow {
				named[k] = true
			}
		}
	}
	for key := range named {
		_, held := p.Keys[key]
		for _, list := range stages {
			var s Stage
			var denies, allows []roster.Reason
			for _, o := range list {
				if slices.Contains(o.Deny, key) {
					s.Deny, denies = true, append(denies, o.reason(roster.EffectDeny))
				}
				if slices.Contains(o.Allow, key) {
					s.Allow, allows = true, append(allows, o.reason(roster.EffectAllow))
				}
			}
			if held && s.Deny {
				delete(p.Keys, key)
				p.Denied[key] = denies
			}
			if s.Allow {
				delete(p.Denied, key)
				p.Keys[key] = append(p.Keys[key], allows...)
			}
			held = s.then(held)
		}
	}
}

func (o Overwrite) reason(effect string) roster.Reason {
	return roster.Reason{Kind: roster.ReasonOverwrite, RoleID: o.RoleID, RoleName: o.RoleName, UserID: o.UserID, Effect: effect}
}
