package roster

import (
	"strings"
	"testing"
)

// TestNamesRefuseFormatCharacters checks that names, display names and
// key names refuse format characters.
func TestNamesRefuseFormatCharacters(t *testing.T) {
	bad := []string{"admin\u200b", "\ufeffMod", "Mod\u202e", "a\u2066b\u2069", "Mo\u00add", "Mo\u200dd", "x\u2060", "\u061cx", "x\U000E0001"}
	good := []string{"Mod", "Modérateur", "モデレーター", "😀 Fans", "Mod\ufe0f", "Ｍｏｄ", "a b"}
	clean := map[string]func(s string) error{
		"role": func(s string) error { r := Role{Name: s}; return r.Clean() },
		"role update": func(s string) error {
			u := RoleUpdate{Name: &s}
			return u.Clean()
		},
		"community":    func(s string) error { c := Community{Name: s}; return c.Clean() },
		"channel":      func(s string) error { c := Channel{ID: "news", Name: s}; return c.Clean() },
		"display name": func(s string) error { return CleanDisplayName(&s) },
		"user":         func(s string) error { u := UserUpdate{DisplayName: &s}; return u.Clean() },
	}
	for what, f := range clean {
		for _, s := range bad {
			if locs, msg := locations(f(s)); len(locs) != 1 || !strings.Contains(msg, "format characters") {
				t.Errorf("%s %q: got %q %q, want one field refused for its format characters", what, s, locs, msg)
			}
		}
		for _, s := range good {
			if err := f(s); err != nil {
				t.Errorf("%s %q: got %v, want it accepted", what, s, err)
			}
		}
	}
}
