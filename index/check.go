package index

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// Check answers each check in order, at one revision of at least
// minRevision.
func (ix *Index) Check(ctx context.Context, checks []roster.Check, minRevision roster.Revision) ([]bool, roster.Revision, error) {
	if len(checks) == 0 || len(checks) > roster.MaxCheckBatch {
		return nil, 0, roster.Invalid(roster.FieldError{Location: "body.checks", Message: "must list 1 to 1000 checks", Value: len(checks)})
	}
	if err := ix.reach(ctx, minRevision); err != nil {
		return nil, 0, err
	}
	actor := roster.ActorFrom(ctx)
	out := make([]bool, len(checks))
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	now := micros(ix.opt.Now())
	for i, c := range checks {
		ok, err := ix.allowed(actor, c, now)
		if err != nil {
			return nil, 0, located(err, i)
		}
		out[i] = ok
	}
	return out, ix.Revision(), nil
}

// Allowed answers one check.
func (ix *Index) Allowed(ctx context.Context, c roster.Check, minRevision roster.Revision) (bool, roster.Revision, error) {
	if minRevision > 0 {
		if err := ix.reach(ctx, minRevision); err != nil {
			return false, 0, err
		}
	}
	actor := roster.ActorFrom(ctx)
	ix.mu.RLock()
	ok, err := ix.allowed(actor, c, micros(ix.opt.Now()))
	rev := ix.Revision()
	ix.mu.RUnlock()
	if err != nil {
		return false, 0, located(err, -1)
	}
	return ok, rev, nil
}

// badPermission marks a check whose permission is not in the catalog; the
// caller names its place in the request.
type badPermission string

func (b badPermission) Error() string { return string(b) }

// located names the field of a bad check: in a batch at index i, or in a
// single check when i < 0.
func located(err error, i int) error {
	key, ok := err.(badPermission)
	if !ok {
		return err
	}
	loc := "body.permission"
	if i >= 0 {
		loc = fmt.Sprintf("body.checks[%d].permission", i)
	}
	return roster.Invalid(roster.FieldError{Location: loc, Message: "is not a registered permission", Value: string(key)})
}

// allowed decides one check. The caller holds the read lock; now is in
// Unix microseconds.
func (ix *Index) allowed(actor roster.Actor, c roster.Check, now int64) (bool, error) {
	st := ix.st
	b, ok := st.bits[c.Permission]
	if !ok {
		return false, badPermission(c.Permission)
	}
	if actor.CommunityID != "" {
		if err := actor.Reach(c.CommunityID); err != nil {
			return false, err
		}
	}
	var f authz.Facts
	platform := st.scopes[roster.Platform]
	f.All, f.Granted = platform.grants(platform.everyone, platform.members[c.UserID], b, now)
	if c.CommunityID == roster.Platform {
		return f.All || f.Granted, nil
	}
	s, ok := st.scopes[c.CommunityID]
	if !ok {
		return false, roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", c.CommunityID)
	}
	var ch *channel
	if c.ChannelID != "" {
		if ch = s.channels[c.ChannelID]; ch == nil {
			return false, roster.Errorf(roster.ECHANNELNOTFOUND, "channel %s not found in community %s", c.ChannelID, c.CommunityID)
		}
	}
	held, member := s.members[c.UserID]
	if !member {
		return f.All || f.Granted, nil
	}
	all, granted := s.grants(s.everyone, held, b, now)
	f.All = f.All || all || s.owner == c.UserID
	f.Granted = f.Granted || granted
	if ch != nil && !f.All {
		s.overwrites(ch, c.UserID, held, b, now, &f)
	}
	return authz.Allowed(f), nil
}

// grants reports whether the everyone role and the live grants give
// ADMINISTRATOR, and whether they give the permission at bit b.
func (s *scope) grants(everyone uint16, held []grant, b uint16, now int64) (all, granted bool) {
	e := &s.roles[everyone].perms
	all, granted = e.lo&1 != 0, e.has(b)
	for _, g := range held {
		if g.live(now) {
			p := &s.roles[g.role].perms
			all = all || p.lo&1 != 0
			granted = granted || p.has(b)
		}
	}
	return all, granted
}

// overwrites fills in which of the channel's overwrites name bit b for a
// member holding held.
func (s *scope) overwrites(ch *channel, user string, held []grant, b uint16, now int64, f *authz.Facts) {
	for i := range ch.roles {
		o := &ch.roles[i]
		switch {
		case o.slot == s.everyone:
			f.EveryoneDeny, f.EveryoneAllow = o.deny.has(b), o.allow.has(b)
		case holds(held, o.slot, now):
			f.RolesDeny = f.RolesDeny || o.deny.has(b)
			f.RolesAllow = f.RolesAllow || o.allow.has(b)
		}
	}
	if o, ok := ch.members[user]; ok {
		f.MemberDeny, f.MemberAllow = o.deny.has(b), o.allow.has(b)
	}
}

// holds reports whether a live grant gives the role at slot.
func holds(held []grant, slot uint16, now int64) bool {
	for _, g := range held {
		if g.role == slot && g.live(now) {
			return true
		}
	}
	return false
}
