package sqlstore_test

import (
	"context"
	"maps"
	"strings"
	"testing"

	"github.com/rs/xid"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestNameKeyMigration makes the platform roles a database written before
// migration 3 may hold, lower-cased keys and all, migrates it, and checks
// that each role has its NameKey, that names which now share one keep
// working, and that a lookalike of an existing name is refused.
func TestNameKeyMigration(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		ctx := roster.NewContext(context.Background(), roster.SystemActor)
		db := eng.Open(t, sqlstore.Options{})
		plain, _, err := db.CreateRole(ctx, roster.Platform, roster.Role{Name: "Plain"})
		if err != nil {
			t.Fatal(err)
		}
		strasse, _, err := db.CreateRole(ctx, roster.Platform, roster.Role{Name: "Straße"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateDownTo(ctx, 2); err != nil {
			t.Fatalf("down to 2: %v", err)
		}
		// What the code before wrote: lower-cased keys, a role whose
		// lower-cased name differs from Straße's, and full-width Ｐｌａｉｎ.
		roles, _, err := db.ListRoles(ctx, roster.Platform, roster.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range roles {
			if err := db.ExecRaw(ctx, `UPDATE roles SET name_key = $1 WHERE id = $2`, strings.ToLower(r.Name), r.ID); err != nil {
				t.Fatal(err)
			}
		}
		old := map[string]string{}
		for i, name := range []string{"STRASSE", "Ｐｌａｉｎ", "Ｆｕｌｌ"} {
			id := xid.New().String()
			old[name] = id
			err := db.ExecRaw(ctx, `INSERT INTO roles (id, scope, name, name_key, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`,
				id, roster.Platform, name, strings.ToLower(name), len(roles)+i, int64(4e15)+int64(i))
			if err != nil {
				t.Fatalf("insert %s: %v", name, err)
			}
		}
		keys, err := db.NameKeys(ctx, roster.Platform)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys[strasse.ID]; got != "straße" {
			t.Fatalf("before migrating: Straße's key: got %q, want the lower-cased straße", got)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		keys, err = db.NameKeys(ctx, roster.Platform)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			plain.ID: "plain", strasse.ID: "strasse", old["Ｆｕｌｌ"]: "full",
			// Younger than the names whose keys they now share.
			old["STRASSE"]: "strasse\x1f" + old["STRASSE"], old["Ｐｌａｉｎ"]: "plain\x1f" + old["Ｐｌａｉｎ"],
		}
		for id, want := range want {
			if got := keys[id]; got != want {
				t.Errorf("key of %s: got %q, want %q", id, got, want)
			}
		}
		// The roles sharing a key keep working, renamed or not.
		colour := "#112233"
		if _, _, err := db.UpdateRole(ctx, roster.Platform, old["STRASSE"], roster.RoleUpdate{Colour: &colour}); err != nil {
			t.Errorf("update STRASSE's colour: %v", err)
		}
		if _, _, err := db.UpdateRole(ctx, roster.Platform, old["STRASSE"], roster.RoleUpdate{Name: new("Strasse")}); roster.ErrorCode(err) != roster.EROLENAMETAKEN {
			t.Errorf("rename STRASSE to Strasse: got %v, want %s", err, roster.EROLENAMETAKEN)
		}
		if _, _, err := db.UpdateRole(ctx, roster.Platform, old["Ｐｌａｉｎ"], roster.RoleUpdate{Name: new("Wide")}); err != nil {
			t.Errorf("rename Ｐｌａｉｎ to Wide: %v", err)
		}
		for _, name := range []string{"strasse", "ＳＴＲＡＳＳＥ", "PLAIN", "ｆｕｌｌ", "wide"} {
			if _, _, err := db.CreateRole(ctx, roster.Platform, roster.Role{Name: name}); roster.ErrorCode(err) != roster.EROLENAMETAKEN {
				t.Errorf("create %q: got %v, want %s", name, err, roster.EROLENAMETAKEN)
			}
		}
		// Down and up again, nothing changes.
		before, err := db.NameKeys(ctx, roster.Platform)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MigrateDownTo(ctx, 2); err != nil {
			t.Fatalf("down to 2 again: %v", err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		after, err := db.NameKeys(ctx, roster.Platform)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(after, before) {
			t.Errorf("keys after down and up: got %q, want %q", after, before)
		}

		// A database keyed by the first form of NameKey, which left an
		// accent after an ignorable character apart, is keyed again.
		cafe, _, err := db.CreateRole(ctx, roster.Platform, roster.Role{Name: "Cafe\ufe00\u0301"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ExecRaw(ctx, `UPDATE roles SET name_key = $1 WHERE id = $2`, "cafe\u0301", cafe.ID); err != nil {
			t.Fatal(err)
		}
		if err := db.ExecRaw(ctx, `UPDATE role_name_keys SET form = 1`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil {
			t.Fatalf("migrate from form 1: %v", err)
		}
		keys, err = db.NameKeys(ctx, roster.Platform)
		if err != nil {
			t.Fatal(err)
		}
		if got := keys[cafe.ID]; got != "café" {
			t.Errorf("key of Cafe\ufe00\u0301 after migrating from form 1: got %q, want %q", got, "café")
		}
		if _, _, err := db.CreateRole(ctx, roster.Platform, roster.Role{Name: "Café"}); roster.ErrorCode(err) != roster.EROLENAMETAKEN {
			t.Errorf("create Café beside Cafe\ufe00\u0301: got %v, want %s", err, roster.EROLENAMETAKEN)
		}
	})
}
