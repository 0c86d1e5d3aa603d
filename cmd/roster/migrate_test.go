package main

import (
	"bytes"
	"context"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// migrationNames lists the engine's migration files, in order, as the
// repository holds them.
func migrationNames(t *testing.T, engine string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "sqlstore", "migrations", engine, "*.sql"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("migrations of %s: got %v (%v), want some", engine, paths, err)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	slices.Sort(names)
	return names
}

// TestMigrateListsAppliesAndReportsUpToDateOnEachEngine runs `roster
// migrate` on a new database of each engine: status lists every migration
// pending, up applies each (one "applied" line apiece), a second up says
// the database is up to date, status then lists every migration applied,
// and `roster serve` then serves on the migrated database.
func TestMigrateListsAppliesAndReportsUpToDateOnEachEngine(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		dsn := e.EmptyDSN(t)
		names := migrationNames(t, e.Name)
		dataDir := t.TempDir()
		migrate := func(args ...string) []string {
			t.Helper()
			var out, errOut bytes.Buffer
			full := append([]string{"migrate", "--db", dsn, "--data-dir", dataDir}, args...)
			if err := Run(context.Background(), full, &out, &errOut); err != nil {
				t.Fatalf("roster migrate %v: %v\n%s", args, err, errOut.String())
			}
			return strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		}
		wantStatus := func(got []string, state string) {
			t.Helper()
			var want []string
			for _, n := range names {
				want = append(want, state+" "+n)
			}
			normalized := make([]string, len(got))
			for i, l := range got {
				normalized[i] = strings.Join(strings.Fields(l), " ")
			}
			if !slices.Equal(normalized, want) {
				t.Fatalf("migrate status: got %q, want %q", got, want)
			}
		}

		wantStatus(migrate("status"), "pending")
		var wantApplied []string
		for _, n := range names {
			wantApplied = append(wantApplied, "applied "+n)
		}
		if got := migrate(); !slices.Equal(got, wantApplied) {
			t.Fatalf("migrate: got %q, want %q", got, wantApplied)
		}
		if got, want := migrate("up"), []string{"the database is up to date"}; !slices.Equal(got, want) {
			t.Fatalf("migrate up again: got %q, want %q", got, want)
		}
		wantStatus(migrate("status"), "applied")

		t.Setenv("ROSTER_ADMIN_KEY", replicaAdminKey)
		r := MustServe(t, "--db", dsn, "--data-dir", t.TempDir())
		if got := get(t, r.URL+"/v1/communities", replicaAdminKey); got != http.StatusOK {
			t.Fatalf("GET /v1/communities on the migrated database: got %d, want 200", got)
		}
		if got := get(t, r.URL+"/readyz", ""); got != http.StatusOK {
			t.Fatalf("GET /readyz on the migrated database: got %d, want 200", got)
		}
		if err := r.Stop(t); err != nil {
			t.Fatalf("stop: %v", err)
		}
		wantStatus(migrate("status"), "applied")
	})
}
