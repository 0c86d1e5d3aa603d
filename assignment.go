package roster

import (
	"context"
	"fmt"
	"time"
)

// Source says who keeps an assignment: a person or the host's own manual
// call, or a provisioning sync from an identity provider or the host's rules.
type Source string

// Assignment sources.
const (
	SourceManual       Source = "manual"
	SourceProvisioning Source = "provisioning"
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return s == SourceManual || s == SourceProvisioning }

// Outcomes of adding or removing one role for one user.
const (
	Added       = "added"
	AlreadyHeld = "already_held"
	Removed     = "removed"
	NotHeld     = "not_held"
	Retained    = "retained"
	Kept        = "kept"
)

// MaxBatch bounds each list of a batch request.
const MaxBatch = 100

// Change asks to add or remove roles for users. A single change has one user
// and one role; a batch up to MaxBatch of each, applied all or nothing.
type Change struct {
	// Scope is a community id, or Platform.
	Scope   string
	UserIDs []string
	RoleIDs []string
	// Source defaults to SourceManual. Only a key acting as itself may use
	// SourceProvisioning.
	Source Source
	// ExpiresAt, on adds, ends the grant at that time.
	ExpiresAt *time.Time
}

// PairResult is the outcome for one (user, role) pair of a change.
type PairResult struct {
	UserID string `json:"userId"`
	RoleID string `json:"roleId"`
	Result string `json:"result" enum:"added,already_held,removed,not_held,retained,kept" doc:"What happened to the pair: kept when a manual removal met only a provisioning grant, which stays."`
	// KeptBy, for a pair Retained or Kept, is the source through which the
	// user still holds the role.
	KeptBy Source `json:"keptBy,omitempty" enum:"manual,provisioning" doc:"retained and kept: the source through which the user still holds the role."`
}

// RoleGrant asks to add or remove one role for one user.
type RoleGrant struct {
	// Scope is a community id, or Platform.
	Scope  string
	UserID string
	RoleID string
	// Source defaults to SourceManual, as in a Change.
	Source Source
	// ExpiresAt, on an add, ends the grant at that time.
	ExpiresAt *time.Time
}

// RoleResult is a user's roles in a scope after one role was added or
// removed, and what happened to that role.
type RoleResult struct {
	Member
	Result string `json:"result" enum:"added,already_held,removed,retained" doc:"What happened to the role."`
}

// AssignmentService adds and removes roles. In a community, roles go only to
// members (EMEMBERNOTFOUND); at platform scope to any user, whose record is
// created if needed. Roles are named by id or built-in alias; an unknown one
// is EROLENOTFOUND.
type AssignmentService interface {
	// ListUserRoles returns the roles a user holds in the scope. Returns
	// ECOMMUNITYNOTFOUND, EMEMBERNOTFOUND, or EUSERNOTFOUND at platform scope.
	ListUserRoles(ctx context.Context, scope, userID string) (Member, error)

	// AddRole gives one user one role and returns their roles afterwards
	// with the outcome, Added or AlreadyHeld.
	AddRole(ctx context.Context, g RoleGrant) (RoleResult, Revision, error)

	// RemoveRole takes one role from one user, as RemoveRoles does, and
	// returns their roles afterwards with the outcome, Removed or Retained.
	// A role the user does not hold through the source is EROLENOTHELD; a
	// manual removal of a role held only through provisioning, which
	// RemoveRoles reports Kept, is EGRANTEDBYSOURCE.
	RemoveRole(ctx context.Context, g RoleGrant) (RoleResult, Revision, error)

	// AddRoles applies a batch's adds, all or nothing, and returns the
	// outcome of each (user, role) pair.
	AddRoles(ctx context.Context, c Change) ([]PairResult, Revision, error)

	// RemoveRoles applies a batch's removals, all or nothing. A manual
	// removal never removes a provisioning grant: a pair whose role is held
	// only through one is reported Kept, and the others' removals apply; a
	// pair whose manual grant goes while a provisioning grant stays is
	// reported Retained. Both name the source in KeptBy, and neither a Kept
	// pair nor a NotHeld one writes an event. Removing admin from oneself is
	// ECANNOTREMOVEADMIN; from the last holder of a scope that has no owner,
	// ELASTADMIN. A role not held through the source is reported NotHeld.
	RemoveRoles(ctx context.Context, c Change) ([]PairResult, Revision, error)

	// ExpireGrants removes at most limit grants whose ExpiresAt has
	// passed, each with one member.role_expired event by the system
	// actor, and returns how many it removed. Where several processes
	// share the database, each grant's removal and event are made once.
	ExpireGrants(ctx context.Context, limit int) (int, error)
}

// Clean checks a change. It returns a validation error naming each bad
// field. Duplicate ids stay: stores collapse them with Unique, so that errors
// can name an id at its place in the request.
func (c *Change) Clean(now time.Time) error {
	var f fields
	f.source(&c.Source)
	f.ids("userIds", c.UserIDs)
	f.ids("roleIds", c.RoleIDs)
	f.future("expiresAt", c.ExpiresAt, now)
	return f.err()
}

// Clean checks a single grant, as Change.Clean checks a batch.
func (g *RoleGrant) Clean(now time.Time) error {
	var f fields
	f.source(&g.Source)
	f.id("userId", g.UserID)
	f.id("roleId", g.RoleID)
	f.future("expiresAt", g.ExpiresAt, now)
	return f.err()
}

// Change returns the grant as a change of one user and one role.
func (g RoleGrant) Change() Change {
	return Change{Scope: g.Scope, UserIDs: []string{g.UserID}, RoleIDs: []string{g.RoleID}, Source: g.Source, ExpiresAt: g.ExpiresAt}
}

// source defaults a change's source to manual and checks it.
func (f *fields) source(s *Source) {
	if *s == "" {
		*s = SourceManual
	}
	if !s.Valid() {
		f.add("source", "must be manual or provisioning", *s)
	}
}

// ids checks a batch's list of 1 to MaxBatch ids.
func (f *fields) ids(loc string, ids []string) {
	f.size(loc, len(ids), MaxBatch, "ids")
	for i, id := range ids {
		f.id(fmt.Sprintf("%s[%d]", loc, i), id)
	}
}

// Unique returns ids without repeats, each at its first place.
func Unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
