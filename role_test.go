package roster

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// locations returns the locations err names, and its messages.
func locations(err error) ([]string, string) {
	var e *Error
	if !errors.As(err, &e) {
		return nil, ""
	}
	var locs, msgs []string
	for _, f := range e.Fields {
		locs = append(locs, f.Location)
		msgs = append(msgs, f.Message)
	}
	return locs, strings.Join(msgs, "; ")
}

// TestRolePermissionsWellFormed checks that a role's permissions are
// refused, at their place in the request, unless they are well-formed
// keys: no store is asked about a NUL.
func TestRolePermissionsWellFormed(t *testing.T) {
	perms := []string{"VIEW_CHANNEL", "\x00", "ZZ", "bad key", "VIEW_CHANNEL", "A\x00B", "MANAGE_POSTS"}
	want := []string{"permissions[1]", "permissions[3]", "permissions[5]"}
	r := Role{Name: "New", Permissions: slices.Clone(perms)}
	if locs, _ := locations(r.Clean()); !slices.Equal(locs, want) {
		t.Errorf("role: got %q, want %q", locs, want)
	}
	p := slices.Clone(perms)
	u := RoleUpdate{Permissions: &p}
	if locs, _ := locations(u.Clean()); !slices.Equal(locs, want) {
		t.Errorf("role update: got %q, want %q", locs, want)
	}
	ok := Role{Name: "New", Permissions: []string{"VIEW_CHANNEL", "MANAGE_POSTS", "VIEW_CHANNEL"}}
	if err := ok.Clean(); err != nil || !slices.Equal(ok.Permissions, []string{"MANAGE_POSTS", "VIEW_CHANNEL"}) {
		t.Errorf("role: got %v %q, want the keys sorted once", err, ok.Permissions)
	}
}
