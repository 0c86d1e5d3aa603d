package roster

import (
	"slices"
	"strings"
	"testing"
)

// TestNameKey checks which names share a key: those that differ only in
// case, compatibility forms, normalisation or invisible characters.
func TestNameKey(t *testing.T) {
	for _, tc := range []struct {
		names []string
		key   string
	}{
		{[]string{"admin", "Admin", "ADMIN", "ＡＤＭＩＮ", "ａｄｍｉｎ", "ᴬᴰᴹᴵᴺ", "admin\u200b", "\ufeffadmin", "ad\u00admin", "admin\ufe0f", "admin\u3164"}, "admin"},
		{[]string{"Straße", "STRASSE", "strasse", "Strasse", "ＳＴＲＡＳＳＥ"}, "strasse"},
		{[]string{"ﬁne", "FINE", "fine"}, "fine"},
		{[]string{"ΣΑΣ", "σας", "σασ"}, "σασ"},
		{[]string{"ǅemal", "Ǆemal", "ǆemal", "DŽemal"}, "dž" + "emal"},
		{[]string{"café", "cafe\u0301", "CAFÉ", "CAFE\u0301", "Cafe\ufe00\u0301", "cafe\u200b\u0301"}, "café"},
		{[]string{"Ⅻ", "xii", "XII"}, "xii"},
		{[]string{"モデ", "ﾓﾃﾞ"}, "モデ"},
		{[]string{"😀 Fans", "😀 FANS"}, "😀 fans"},
	} {
		for _, name := range tc.names {
			if got := NameKey(name); got != tc.key {
				t.Errorf("NameKey(%q): got %q, want %q", name, got, tc.key)
			}
			if got := NameKey(NameKey(name)); got != tc.key {
				t.Errorf("NameKey(NameKey(%q)): got %q, want %q", name, got, tc.key)
			}
		}
	}
	for _, pair := range [][2]string{{"admin", "admins"}, {"mod", "mød"}, {"Σ", "S"}, {"a b", "ab"}, {"i", "ı"}} {
		if NameKey(pair[0]) == NameKey(pair[1]) {
			t.Errorf("NameKey(%q) == NameKey(%q) = %q, want them apart", pair[0], pair[1], NameKey(pair[0]))
		}
	}
}

// TestNamesRefuseFormatCharacters checks that names, display names and
// key names refuse format characters, and names that show nothing.
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
	for _, s := range []string{"\u3164", "\ufe0f", "\u3164\u115f"} {
		r := Role{Name: s}
		if locs, msg := locations(r.Clean()); !slices.Equal(locs, []string{"name"}) || !strings.Contains(msg, "empty") {
			t.Errorf("role %q: got %q %q, want name refused as empty", s, locs, msg)
		}
	}
}
