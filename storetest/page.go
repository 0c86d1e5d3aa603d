package storetest

import (
	"slices"
	"strconv"
	"testing"

	"github.com/rosterhq/roster"
)

var pageTests = []test{
	{"ListPermissions", testPagePermissions},
	{"ListCommunities", testPageCommunities},
	{"ListMembers", testPageMembers},
	{"ListMembersDefaultLimit", testPageMembersDefaultLimit},
	{"ListRoles", testPageRoles},
	{"ListRoleHolders", testPageRoleHolders},
	{"ListMemberships", testPageMemberships},
	{"ListAPIKeys", testPageAPIKeys},
}

// lister reads one page of a list as ids.
type lister func(p roster.Page) ([]string, string, error)

// wantPages checks that list pages through exactly want, in order, at every
// page size, and refuses bad limits and cursors.
func wantPages(t *testing.T, name string, list lister, want []string) {
	t.Helper()
	if len(want) < 3 {
		t.Fatalf("%s: got %d items to page through, want at least 3", name, len(want))
	}
	got, next, err := list(roster.Page{Limit: roster.MaxPageLimit})
	wantCode(t, name, err, "")
	if !slices.Equal(got, want) || next != "" {
		t.Errorf("%s: got %v (next %q), want %v and no next page", name, got, next, want)
	}
	if len(want) <= roster.DefaultPageLimit {
		got, next, err = list(roster.Page{})
		wantCode(t, name+" with the default limit", err, "")
		if !slices.Equal(got, want) || next != "" {
			t.Errorf("%s with the default limit: got %v (next %q), want %v and no next page", name, got, next, want)
		}
	}
	for _, size := range []int{1, 2, len(want) - 1, len(want)} {
		var all []string
		page := roster.Page{Limit: size}
		for i := 0; ; i++ {
			if i > len(want) {
				t.Fatalf("%s by %d: still paging after %d pages", name, size, i)
			}
			items, next, err := list(page)
			wantCode(t, name, err, "")
			if len(items) > size {
				t.Errorf("%s by %d: got a page of %d", name, size, len(items))
			}
			if next != "" && len(items) != size {
				t.Errorf("%s by %d: got a page of %d before the last, want %d", name, size, len(items), size)
			}
			all = append(all, items...)
			if next == "" {
				break
			}
			page.Cursor = next
		}
		if !slices.Equal(all, want) {
			t.Errorf("%s by %d: got %v, want %v", name, size, all, want)
		}
	}
	for _, p := range []roster.Page{
		{Limit: -1}, {Limit: roster.MaxPageLimit + 1},
		{Limit: 10, Cursor: "%not a cursor%"}, {Cursor: "!!"},
	} {
		_, _, err := list(p)
		wantCode(t, name+" with a bad page", err, roster.EVALIDATION)
	}
}

func testPagePermissions(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreatePermission(t, f.key, f, "AAA_FIRST")
	MustCreatePermission(t, f.key, f, "ZZZ_LAST")
	want := roster.CleanKeys(append(slices.Clone(roster.BuiltinPermissions), "AAA_FIRST", "ZZZ_LAST"))
	wantPages(t, "ListPermissions", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListPermissions(f.key, p)
		var ids []string
		for _, x := range list {
			ids = append(ids, x.Key)
		}
		return ids, next, err
	}, want)
}

func testPageCommunities(t *testing.T, open Opener) {
	f := newFixture(t, open)
	want := []string{"a", "b", "c", "d", "e"}
	for _, id := range []string{"c", "a", "e", "b", "d"} {
		MustCreateOwned(t, f.key, f, id, "")
	}
	wantPages(t, "ListCommunities", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListCommunities(f.key, roster.CommunityFilter{}, p)
		var ids []string
		for _, x := range list {
			ids = append(ids, x.ID)
		}
		return ids, next, err
	}, want)
}

func memberIDs(list []roster.Member) []string {
	var ids []string
	for _, m := range list {
		ids = append(ids, m.UserID)
	}
	return ids
}

func testPageMembers(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R"})
	MustAddMember(t, f.key, f, "c1", "u3", "u1", "u5", "u2", "u4", "x")
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"u1", "u2", "u3", "u4"}, RoleIDs: []string{r.ID}})
	wantPages(t, "ListMembers", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListMembers(f.key, "c1", roster.MemberFilter{}, p)
		return memberIDs(list), next, err
	}, []string{"u1", "u2", "u3", "u4", "u5", "x"})
	wantPages(t, "ListMembers by role", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListMembers(f.key, "c1", roster.MemberFilter{RoleID: r.ID}, p)
		return memberIDs(list), next, err
	}, []string{"u1", "u2", "u3", "u4"})
}

func testPageMembersDefaultLimit(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	var want []string
	for i := range roster.DefaultPageLimit + 5 {
		u := "u" + strconv.Itoa(1000+i)
		want = append(want, u)
		MustAddMember(t, f.key, f, "c1", u)
	}
	list, next, err := f.ListMembers(f.key, "c1", roster.MemberFilter{}, roster.Page{})
	wantCode(t, "ListMembers", err, "")
	if got := memberIDs(list); !slices.Equal(got, want[:roster.DefaultPageLimit]) || next == "" {
		t.Fatalf("ListMembers with the default limit: got %d members (next %q), want the first %d and a next page", len(got), next, roster.DefaultPageLimit)
	}
	list, next, err = f.ListMembers(f.key, "c1", roster.MemberFilter{}, roster.Page{Cursor: next})
	wantCode(t, "ListMembers", err, "")
	if got := memberIDs(list); !slices.Equal(got, want[roster.DefaultPageLimit:]) || next != "" {
		t.Errorf("second page: got %v (next %q), want %v and no next page", got, next, want[roster.DefaultPageLimit:])
	}
}

func testPageRoles(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	for _, name := range []string{"A", "B", "C"} {
		MustCreateRole(t, f.key, f, "c1", roster.Role{Name: name})
	}
	want := MustRoleIDs(t, f.key, f, "c1")
	wantPages(t, "ListRoles", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListRoles(f.key, "c1", p)
		return roleIDs(list), next, err
	}, want)
}

func testPageRoleHolders(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "R"})
	users := []string{"d", "a", "c", "b", "e"}
	MustAddMember(t, f.key, f, "c1", users...)
	MustAddMember(t, f.key, f, "c1", "not-holder")
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: users, RoleIDs: []string{r.ID}})
	// Two grants for one holder still make one holder.
	MustProvision(t, f.key, f, "c1", "b", r.ID)
	wantPages(t, "ListRoleHolders", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListRoleHolders(f.key, "c1", r.ID, p)
		var ids []string
		for _, h := range list {
			ids = append(ids, h.UserID)
		}
		return ids, next, err
	}, []string{"a", "b", "c", "d", "e"})
}

func testPageMemberships(t *testing.T, open Opener) {
	f := newFixture(t, open)
	want := []string{"a", "b", "c", "d"}
	for _, id := range []string{"d", "b", "a", "c", "z"} {
		MustCreateOwned(t, f.key, f, id, "")
	}
	for _, id := range want {
		MustAddMember(t, f.key, f, id, "alice")
	}
	wantPages(t, "ListMemberships", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListMemberships(f.key, "alice", p)
		var ids []string
		for _, m := range list {
			ids = append(ids, m.Community.ID)
		}
		return ids, next, err
	}, want)
}

func testPageAPIKeys(t *testing.T, open Opener) {
	f := newFixture(t, open)
	var want []string
	for i := range 4 {
		k, _, err := f.CreateAPIKey(f.key, roster.APIKey{Name: "key " + strconv.Itoa(i), Scopes: []string{roster.ScopeRead}})
		if err != nil {
			t.Fatalf("CreateAPIKey: %v", err)
		}
		want = append(want, k.ID)
	}
	slices.Sort(want)
	wantPages(t, "ListAPIKeys", func(p roster.Page) ([]string, string, error) {
		list, next, err := f.ListAPIKeys(f.key, p)
		var ids []string
		for _, k := range list {
			ids = append(ids, k.ID)
		}
		return ids, next, err
	}, want)
}
