package roster_test

import (
	"slices"
	"testing"

	"github.com/rosterhq/roster"
)

func TestPermissionCategory(t *testing.T) {
	for _, key := range roster.BuiltinPermissions {
		if c := roster.PermissionCategory(key); c == roster.CategoryCustom || !slices.Contains(roster.PermissionCategories, c) {
			t.Errorf("built-in %s: got category %q, want one of the built-in categories", key, c)
		}
	}
	if c := roster.PermissionCategory("POST_MEMES"); c != roster.CategoryCustom {
		t.Errorf("a custom key: got %q, want %q", c, roster.CategoryCustom)
	}
}
