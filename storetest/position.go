package storetest

import (
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/rosterhq/roster"
)

var reorderTests = []test{
	{"NewRolePushesOthersUp", testNewRolePushesOthersUp},
	{"CreateRoleAtPosition", testCreateRoleAtPosition},
	{"MoveRoleUp", testMoveRoleUp},
	{"MoveRoleDown", testMoveRoleDown},
	{"MoveEveryone", testMoveEveryone},
	{"ShiftedRolesChangeVersion", testShiftedRolesChangeVersion},
	{"ReorderRoles", testReorderRoles},
	{"ReorderRolesInvalid", testReorderRolesInvalid},
	{"ReorderPlatformRoles", testReorderPlatformRoles},
	{"ConcurrentCreateRole", testConcurrentCreateRole},
}

// ladder creates roles A, B, C in c1 at the given positions (0 for the
// default) and returns the scope's role ids from the bottom up.
func ladder(t *testing.T, f *fixture) (everyone, admin string, a, b, c roster.Role) {
	t.Helper()
	MustCreateOwned(t, f.key, f, "c1", "")
	a = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "A"})
	b = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "B", Position: 2})
	c = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "C", Position: 3})
	everyone = MustFindRole(t, f.key, f, "c1", roster.BuiltinEveryone).ID
	admin = MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin).ID
	// Bottom up: everyone, A, B, C, admin.
	if got, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, a.ID, b.ID, c.ID, admin}; !slices.Equal(got, want) {
		t.Fatalf("ladder: got %v, want %v", got, want)
	}
	return everyone, admin, a, b, c
}

func testNewRolePushesOthersUp(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	everyone := MustFindRole(t, f.key, f, "c1", roster.BuiltinEveryone).ID
	admin := MustFindRole(t, f.key, f, "c1", roster.BuiltinAdmin).ID
	a := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "A"})
	b := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "B"})
	if a.Position != 1 || b.Position != 1 {
		t.Errorf("positions on creation: got %d and %d, want 1 and 1", a.Position, b.Position)
	}
	if got, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, b.ID, a.ID, admin}; !slices.Equal(got, want) {
		t.Errorf("roles: got %v, want %v (each new role just above everyone)", got, want)
	}
}

func testCreateRoleAtPosition(t *testing.T, open Opener) {
	f := newFixture(t, open)
	everyone, admin, a, b, c := ladder(t, f)
	d := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "D", Position: 2})
	if d.Position != 2 {
		t.Errorf("position: got %d, want 2", d.Position)
	}
	if got, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, a.ID, d.ID, b.ID, c.ID, admin}; !slices.Equal(got, want) {
		t.Errorf("roles: got %v, want %v", got, want)
	}
	top := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Top", Position: 6})
	if got, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, a.ID, d.ID, b.ID, c.ID, admin, top.ID}; !slices.Equal(got, want) {
		t.Errorf("roles: got %v, want %v", got, want)
	}
}

func testMoveRoleUp(t *testing.T, open Opener) {
	f := newFixture(t, open)
	everyone, admin, a, b, c := ladder(t, f)
	got, _, err := f.UpdateRole(f.key, "c1", a.ID, roster.RoleUpdate{Position: ptr(3)})
	wantCode(t, "UpdateRole position", err, "")
	if got.Position != 3 || got.Version != 2 {
		t.Errorf("UpdateRole: got position %d version %d, want 3, 2", got.Position, got.Version)
	}
	if ids, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, b.ID, c.ID, a.ID, admin}; !slices.Equal(ids, want) {
		t.Errorf("roles: got %v, want %v", ids, want)
	}
	// Moving admin itself works too.
	if _, _, err := f.UpdateRole(f.key, "c1", roster.BuiltinAdmin, roster.RoleUpdate{Position: ptr(1)}); err != nil {
		t.Fatalf("UpdateRole(admin) position: %v", err)
	}
	if ids, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, admin, b.ID, c.ID, a.ID}; !slices.Equal(ids, want) {
		t.Errorf("roles: got %v, want %v", ids, want)
	}
}

func testMoveRoleDown(t *testing.T, open Opener) {
	f := newFixture(t, open)
	everyone, admin, a, b, c := ladder(t, f)
	if _, _, err := f.UpdateRole(f.key, "c1", c.ID, roster.RoleUpdate{Position: ptr(1)}); err != nil {
		t.Fatalf("UpdateRole position: %v", err)
	}
	if ids, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, c.ID, a.ID, b.ID, admin}; !slices.Equal(ids, want) {
		t.Errorf("roles: got %v, want %v", ids, want)
	}
	// Staying in place changes nothing.
	before := MustRevision(t, f.key, f)
	was, err := f.FindRole(f.key, "c1", b.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := f.UpdateRole(f.key, "c1", b.ID, roster.RoleUpdate{Position: ptr(3)})
	wantCode(t, "UpdateRole to the same position", err, "")
	if got.Version != was.Version {
		t.Errorf("version: got %d, want %d for a no-op", got.Version, was.Version)
	}
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("events of a no-op: got %v, want none", actions(events))
	}
}

func testMoveEveryone(t *testing.T, open Opener) {
	f := newFixture(t, open)
	everyone, admin, a, b, c := ladder(t, f)
	before := MustRevision(t, f.key, f)
	_, rev, err := f.UpdateRole(f.key, "c1", roster.BuiltinEveryone, roster.RoleUpdate{Position: ptr(2)})
	if code := roster.ErrorCode(err); code != roster.EROLEPROTECTED && code != roster.EVALIDATION {
		t.Errorf("moving everyone: got code %q, want %s or %s", code, roster.EROLEPROTECTED, roster.EVALIDATION)
	}
	wantNoChange(t, f, "moving everyone", before, rev)
	if ids, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, a.ID, b.ID, c.ID, admin}; !slices.Equal(ids, want) {
		t.Errorf("roles: got %v, want %v", ids, want)
	}
}

func testReorderRoles(t *testing.T, open Opener) {
	f := newFixture(t, open)
	everyone, admin, a, b, c := ladder(t, f)
	before := MustRevision(t, f.key, f)
	roles, rev, err := f.ReorderRoles(f.key, "c1", []string{c.ID, roster.BuiltinAdmin, a.ID, b.ID})
	wantCode(t, "ReorderRoles", err, "")
	want := []string{everyone, c.ID, admin, a.ID, b.ID}
	if got := roleIDs(roles); !slices.Equal(got, want) {
		t.Errorf("ReorderRoles: got %v, want %v", got, want)
	}
	for i, r := range roles {
		if r.Position != i {
			t.Errorf("ReorderRoles: got %s at position %d, want %d", r.Name, r.Position, i)
		}
	}
	if got := MustRoleIDs(t, f.key, f, "c1"); !slices.Equal(got, want) {
		t.Errorf("ListRoles: got %v, want %v", got, want)
	}
	events := MustEventsSince(t, f.key, f, before)
	if len(events) == 0 || events[len(events)-1].Revision != rev {
		t.Errorf("ReorderRoles: got revision %d and events %v, want the revision of its last event", rev, actions(events))
	}
	if !slices.Contains(actions(events), roster.ActionRolesReordered) {
		t.Errorf("events: got %v, want %s", actions(events), roster.ActionRolesReordered)
	}
	// The same order again changes nothing.
	before = MustRevision(t, f.key, f)
	if _, _, err := f.ReorderRoles(f.key, "c1", want[1:]); err != nil {
		t.Fatalf("ReorderRoles again: %v", err)
	}
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("events of a no-op reorder: got %v, want none", actions(events))
	}
}

func testReorderRolesInvalid(t *testing.T, open Opener) {
	f := newFixture(t, open)
	everyone, admin, a, b, c := ladder(t, f)
	MustCreateOwned(t, f.key, f, "c2", "")
	foreign := MustCreateRole(t, f.key, f, "c2", roster.Role{Name: "Foreign"})
	before := MustRevision(t, f.key, f)
	tests := []struct {
		name string
		ids  []string
	}{
		{"missing a role", []string{a.ID, b.ID, admin}},
		{"a role twice", []string{a.ID, b.ID, c.ID, admin, a.ID}},
		{"admin twice by alias", []string{a.ID, b.ID, c.ID, admin, roster.BuiltinAdmin}},
		{"everyone by id", []string{everyone, a.ID, b.ID, c.ID, admin}},
		{"everyone by alias", []string{roster.BuiltinEveryone, a.ID, b.ID, c.ID, admin}},
		{"unknown id", []string{a.ID, b.ID, c.ID, admin, "nope"}},
		{"another community's role", []string{a.ID, b.ID, c.ID, admin, foreign.ID}},
		{"a role replaced by another", []string{a.ID, b.ID, foreign.ID, admin}},
		{"empty", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rev, err := f.ReorderRoles(f.key, "c1", tc.ids)
			wantCode(t, "ReorderRoles", err, roster.EVALIDATION)
			wantNoChange(t, f, "ReorderRoles", before, rev)
		})
	}
	if ids, want := MustRoleIDs(t, f.key, f, "c1"), []string{everyone, a.ID, b.ID, c.ID, admin}; !slices.Equal(ids, want) {
		t.Errorf("roles: got %v, want %v", ids, want)
	}
}

func testReorderPlatformRoles(t *testing.T, open Opener) {
	f := newFixture(t, open)
	r := MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Global mods"})
	roles, _, err := f.ReorderRoles(f.key, roster.Platform, []string{roster.BuiltinAdmin, r.ID})
	wantCode(t, "ReorderRoles at platform scope", err, "")
	if len(roles) != 3 || roles[1].Builtin != roster.BuiltinAdmin || roles[2].ID != r.ID {
		t.Errorf("ReorderRoles: got %v, want everyone, admin, Global mods", roleIDs(roles))
	}
}

// testShiftedRolesChangeVersion checks that a role whose position changes
// because another role was created, moved or deleted gets a new version, as
// it does when reordered: its version changes with each change.
func testShiftedRolesChangeVersion(t *testing.T, open Opener) {
	f := newFixture(t, open)
	_, _, a, b, c := ladder(t, f)
	versions := func() map[string]int {
		out := map[string]int{}
		for _, id := range []string{a.ID, b.ID, c.ID, roster.BuiltinAdmin} {
			r := MustFindRole(t, f.key, f, "c1", id)
			out[id] = r.Version*1000 + r.Position
		}
		return out
	}
	steps := []struct {
		name string
		do   func() error
	}{
		{"CreateRole at 1", func() error {
			_, _, err := f.CreateRole(f.key, "c1", roster.Role{Name: "D"})
			return err
		}},
		{"UpdateRole moving A to the top of the others", func() error {
			_, _, err := f.UpdateRole(f.key, "c1", a.ID, roster.RoleUpdate{Position: ptr(4)})
			return err
		}},
		{"DeleteRole at the bottom", func() error {
			_, err := f.DeleteRole(f.key, "c1", MustRoleIDs(t, f.key, f, "c1")[1], roster.RoleDelete{})
			return err
		}},
	}
	for _, st := range steps {
		before := versions()
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for id, after := range versions() {
			moved := after%1000 != before[id]%1000
			bumped := after/1000 > before[id]/1000
			if moved && !bumped {
				t.Errorf("%s: role %s moved from %d to %d at version %d, want a new version",
					st.name, id, before[id]%1000, after%1000, after/1000)
			}
		}
	}
}

// testConcurrentCreateRole creates roles at once: each gets its own position
// and the scope's positions stay 0..n.
func testConcurrentCreateRole(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			pos := 0
			if i%2 == 1 {
				pos = 2
			}
			_, _, errs[i] = f.CreateRole(f.key, "c1", roster.Role{Name: "role " + strconv.Itoa(i), Position: pos})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		wantCode(t, "CreateRole "+strconv.Itoa(i), err, "")
	}
	// MustRoleIDs fails unless the positions are exactly 0..n+1.
	if ids := MustRoleIDs(t, f.key, f, "c1"); len(ids) != n+2 {
		t.Errorf("roles: got %d, want %d", len(ids), n+2)
	}
}
