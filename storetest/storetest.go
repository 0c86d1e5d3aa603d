// Package storetest is the conformance suite every roster.Store must pass.
// A store's own tests call Run with a function that opens a fresh, empty
// store; each test of the suite runs as a subtest on its own store and checks
// one promise of the service interfaces in package roster, or of SPEC §2–5.
package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// Opener opens a fresh, empty store for one test, and closes it with
// t.Cleanup. now is the store's clock, or nil for the real one.
type Opener func(t testing.TB, now roster.Clock) roster.Service

// test is one case of the suite.
type test struct {
	name string
	fn   func(t *testing.T, open Opener)
}

// Run runs the whole suite against the stores open makes, one subtest per
// case, grouped by resource. The cases run in parallel, each on its own
// store: open must be safe to call from several tests at once.
func Run(t *testing.T, open Opener) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Permission", permissionTests},
		{"Community", communityTests},
		{"User", userTests},
		{"Member", memberTests},
		{"Role", roleTests},
		{"Reorder", reorderTests},
		{"Assignment", assignmentTests},
		{"Expiry", expiryTests},
		{"Guard", guardTests},
		{"LastAdmin", lastAdminTests},
		{"Check", checkTests},
		{"Effective", effectiveTests},
		{"Audit", auditTests},
		{"Page", pageTests},
		{"APIKey", apiKeyTests},
		{"Channel", channelTests},
		{"ChangeLog", changeLogTests},
		{"Reach", reachTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, open)
				})
			}
		})
	}
}

// Clock is a clock a test moves by hand. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// KeyID is the id of the key the suite's actors act through.
const KeyID = "k1"

// AsKey returns ctx carrying an API key acting as itself, which the
// permission and hierarchy guards do not restrict.
func AsKey(ctx context.Context) context.Context {
	return roster.NewContext(ctx, roster.Actor{KeyID: KeyID})
}

// AsUser returns ctx carrying a user acting through the key, whom the guards
// check.
func AsUser(ctx context.Context, user string) context.Context {
	return roster.NewContext(ctx, roster.Actor{KeyID: KeyID, UserID: user})
}

// AsRestricted returns ctx carrying a key restricted to one community.
func AsRestricted(ctx context.Context, community string) context.Context {
	return roster.NewContext(ctx, roster.Actor{KeyID: "k-" + community, CommunityID: community})
}

// fixture is one test's store, with a context for the key actor and, when
// the test controls time, its clock.
type fixture struct {
	roster.Service
	// key carries the key actor.
	key context.Context
	// clock is nil when the store reads the real clock.
	clock *Clock
}

// newFixture opens a fresh store on the real clock.
func newFixture(t *testing.T, open Opener) *fixture {
	t.Helper()
	return &fixture{Service: open(t, nil), key: AsKey(t.Context())}
}

// newCommunityFixture opens a fresh store holding community c1, with no
// owner, and the given members.
func newCommunityFixture(t *testing.T, open Opener, members ...string) *fixture {
	t.Helper()
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", members...)
	return f
}

// newClockFixture opens a fresh store on a clock the test moves.
func newClockFixture(t *testing.T, open Opener) *fixture {
	t.Helper()
	clock := NewClock(time.Now().UTC().Truncate(time.Second))
	return &fixture{Service: open(t, clock.Now), key: AsKey(t.Context()), clock: clock}
}

// as returns a context for a user actor.
func (f *fixture) as(tb testing.TB, user string) context.Context {
	return AsUser(tb.Context(), user)
}

// one returns a change of one role for one user.
func one(scope, user, role string) roster.Change {
	return roster.Change{Scope: scope, UserIDs: []string{user}, RoleIDs: []string{role}}
}

// grant returns a change of one role for one user as a RoleGrant.
func grant(c roster.Change) roster.RoleGrant {
	return roster.RoleGrant{Scope: c.Scope, UserID: c.UserIDs[0], RoleID: c.RoleIDs[0], Source: c.Source, ExpiresAt: c.ExpiresAt}
}

// wantResult fails unless a single add or removal answered the user's roles
// with the outcome want.
func wantResult(tb testing.TB, what string, got roster.RoleResult, user, want string) {
	tb.Helper()
	if got.UserID != user || got.Result != want {
		tb.Errorf("%s: got %s for %s, want %s for %s", what, got.Result, got.UserID, want, user)
	}
}

// wantCode fails the test unless err has the code want ("" for no error).
func wantCode(tb testing.TB, what string, err error, want string) {
	tb.Helper()
	if got := roster.ErrorCode(err); got != want {
		tb.Fatalf("%s: got code %q (%v), want %q", what, got, err, want)
	}
}

// extra returns the value of an extra fact of err, as an int when it is a
// number.
func extra(err error, key string) any {
	e, ok := err.(*roster.Error)
	if !ok {
		return nil
	}
	switch v := e.Extra[key].(type) {
	case int64:
		return int(v)
	case float64:
		return int(v)
	default:
		return v
	}
}

// MustCreatePermission registers a permission key.
func MustCreatePermission(tb testing.TB, ctx context.Context, s roster.Store, key string) roster.Permission {
	tb.Helper()
	p, _, err := s.CreatePermission(ctx, roster.Permission{Key: key, Description: "test permission " + key})
	if err != nil {
		tb.Fatalf("CreatePermission(%s): %v", key, err)
	}
	return p
}

// MustCreateCommunity creates a community.
func MustCreateCommunity(tb testing.TB, ctx context.Context, s roster.Store, c roster.Community) roster.Community {
	tb.Helper()
	if c.Name == "" {
		c.Name = "Community " + c.ID
	}
	c, _, err := s.CreateCommunity(ctx, c)
	if err != nil {
		tb.Fatalf("CreateCommunity(%s): %v", c.ID, err)
	}
	return c
}

// MustCreateOwned creates a community owned by owner ("" for none).
func MustCreateOwned(tb testing.TB, ctx context.Context, s roster.Store, id, owner string) roster.Community {
	tb.Helper()
	c := roster.Community{ID: id}
	if owner != "" {
		c.OwnerID = &owner
	}
	return MustCreateCommunity(tb, ctx, s, c)
}

// MustAddMember makes users members of a community.
func MustAddMember(tb testing.TB, ctx context.Context, s roster.Store, community string, users ...string) {
	tb.Helper()
	for _, u := range users {
		if _, _, err := s.AddMember(ctx, community, u, nil); err != nil {
			tb.Fatalf("AddMember(%s, %s): %v", community, u, err)
		}
	}
}

// MustCreateRole creates a role in a scope.
func MustCreateRole(tb testing.TB, ctx context.Context, s roster.Store, scope string, r roster.Role) roster.Role {
	tb.Helper()
	r, _, err := s.CreateRole(ctx, scope, r)
	if err != nil {
		tb.Fatalf("CreateRole(%q, %s): %v", scope, r.Name, err)
	}
	return r
}

// MustFindRole returns a role of a scope.
func MustFindRole(tb testing.TB, ctx context.Context, s roster.Store, scope, id string) roster.Role {
	tb.Helper()
	r, err := s.FindRole(ctx, scope, id)
	if err != nil {
		tb.Fatalf("FindRole(%q, %s): %v", scope, id, err)
	}
	return r
}

// MustAddRoles applies the adds of a change.
func MustAddRoles(tb testing.TB, ctx context.Context, s roster.Store, c roster.Change) []roster.PairResult {
	tb.Helper()
	res, _, err := s.AddRoles(ctx, c)
	if err != nil {
		tb.Fatalf("AddRoles(%q, %v, %v): %v", c.Scope, c.UserIDs, c.RoleIDs, err)
	}
	return res
}

// MustGrant gives one role to one user manually.
func MustGrant(tb testing.TB, ctx context.Context, s roster.Store, scope, user, role string) {
	tb.Helper()
	MustAddRoles(tb, ctx, s, one(scope, user, role))
}

// MustProvision gives a user a role through a provisioning grant.
func MustProvision(tb testing.TB, ctx context.Context, s roster.Store, scope, user, role string) {
	tb.Helper()
	c := one(scope, user, role)
	c.Source = roster.SourceProvisioning
	MustAddRoles(tb, ctx, s, c)
}

// MustRevision returns the store's current revision.
func MustRevision(tb testing.TB, ctx context.Context, s roster.Store) roster.Revision {
	tb.Helper()
	rev, err := s.CurrentRevision(ctx)
	if err != nil {
		tb.Fatalf("CurrentRevision: %v", err)
	}
	return rev
}

// MustEvents returns every event matching the filter, reading every page.
func MustEvents(tb testing.TB, ctx context.Context, s roster.Store, f roster.EventFilter) []roster.Event {
	tb.Helper()
	var all []roster.Event
	page := roster.Page{Limit: roster.MaxPageLimit}
	for {
		events, next, err := s.ListEvents(ctx, f, page)
		if err != nil {
			tb.Fatalf("ListEvents(%+v): %v", f, err)
		}
		all = append(all, events...)
		if next == "" {
			return all
		}
		page.Cursor = next
	}
}

// MustEventsSince returns the events after revision rev, oldest first.
func MustEventsSince(tb testing.TB, ctx context.Context, s roster.Store, rev roster.Revision) []roster.Event {
	tb.Helper()
	var out []roster.Event
	for _, e := range MustEvents(tb, ctx, s, roster.EventFilter{}) {
		if e.Revision > rev {
			out = append(out, e)
		}
	}
	return out
}

// MustMember returns a user's roles in a scope.
func MustMember(tb testing.TB, ctx context.Context, s roster.Store, scope, user string) roster.Member {
	tb.Helper()
	m, err := s.ListUserRoles(ctx, scope, user)
	if err != nil {
		tb.Fatalf("ListUserRoles(%q, %s): %v", scope, user, err)
	}
	return m
}

// heldSources returns the sources through which m holds the role, or nil.
func heldSources(m roster.Member, roleID string) []roster.Source {
	for _, h := range m.Roles {
		if h.RoleID == roleID {
			var out []roster.Source
			for _, g := range h.Grants {
				out = append(out, g.Source)
			}
			slices.Sort(out)
			return out
		}
	}
	return nil
}

// holds reports whether m holds the role.
func holds(m roster.Member, roleID string) bool { return heldSources(m, roleID) != nil }

// actions returns the actions of events, sorted.
func actions(events []roster.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Action
	}
	slices.Sort(out)
	return out
}

// wantActions fails unless events hold exactly the actions want, in any
// order.
func wantActions(tb testing.TB, what string, events []roster.Event, want ...string) {
	tb.Helper()
	want = slices.Clone(want)
	slices.Sort(want)
	if got := actions(events); !slices.Equal(got, want) {
		tb.Errorf("%s: got actions %v, want %v", what, got, want)
	}
}

// wantNoChange fails if the store moved past revision before: a refused
// request writes no event.
// wantEvent checks that the change since before wrote exactly one event, of
// the action, at revision rev, and returns it.
func wantEvent(tb testing.TB, f *fixture, what string, before, rev roster.Revision, action string) roster.Event {
	tb.Helper()
	events := MustEventsSince(tb, f.key, f, before)
	wantActions(tb, what, events, action)
	if len(events) != 1 {
		return roster.Event{}
	}
	if events[0].Revision != rev {
		tb.Errorf("%s: got event at revision %d, want %d (the revision answered)", what, events[0].Revision, rev)
	}
	return events[0]
}

func wantNoChange(tb testing.TB, f *fixture, what string, before roster.Revision, rev roster.Revision) {
	tb.Helper()
	if rev != 0 {
		tb.Errorf("%s: got revision %d from a refused request, want 0", what, rev)
	}
	if now := MustRevision(tb, f.key, f); now != before {
		tb.Errorf("%s: got current revision %d after a refused request, want %d", what, now, before)
	}
	if events := MustEventsSince(tb, f.key, f, before); len(events) != 0 {
		tb.Errorf("%s: got %d events (%v) after a refused request, want none", what, len(events), actions(events))
	}
}

// roleIDs returns the ids of roles, in order.
func roleIDs(roles []roster.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.ID
	}
	return out
}

// MustRoleIDs returns the ids of a scope's roles from the bottom up.
func MustRoleIDs(tb testing.TB, ctx context.Context, s roster.Store, scope string) []string {
	tb.Helper()
	roles, _, err := s.ListRoles(ctx, scope, roster.Page{Limit: roster.MaxPageLimit})
	if err != nil {
		tb.Fatalf("ListRoles(%q): %v", scope, err)
	}
	for i, r := range roles {
		if r.Position != i {
			tb.Fatalf("ListRoles(%q): role %s (%s) at index %d has position %d, want %d", scope, r.ID, r.Name, i, r.Position, i)
		}
	}
	return roleIDs(roles)
}

func ptr[T any](v T) *T { return &v }
