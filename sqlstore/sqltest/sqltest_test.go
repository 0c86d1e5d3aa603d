package sqltest

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// storeState is what a test sees of a store that nothing has changed: the
// migrations applied, the platform's roles and the revision.
func storeState(t *testing.T, dsn string) (status []string, roles []string, rev roster.Revision) {
	t.Helper()
	ctx := roster.NewContext(t.Context(), roster.Actor{KeyID: "k1"})
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("sqlstore.Open: %v", err)
	}
	defer db.Close()
	if status, err = db.MigrationStatus(ctx); err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	list, _, err := db.ListRoles(ctx, roster.Platform, roster.Page{Limit: roster.MaxPageLimit})
	if err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	for _, r := range list {
		roles = append(roles, r.Name)
	}
	if rev, err = db.CurrentRevision(ctx); err != nil {
		t.Fatalf("CurrentRevision: %v", err)
	}
	return status, roles, rev
}

// TestCopyIsWhatOpenMakes checks that a test's database holds what
// sqlstore.Open makes of an empty one, and no migration is left to apply.
func TestCopyIsWhatOpenMakes(t *testing.T) {
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) {
			e.Require(t)
			dsn := e.DSN(t)
			db, err := sqlstore.OpenUnmigrated(t.Context(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			applied, err := db.Migrate(t.Context())
			db.Close()
			if err != nil || len(applied) != 0 {
				t.Fatalf("Migrate on a copy: applied %v (%v), want nothing", applied, err)
			}
			gotStatus, gotRoles, gotRev := storeState(t, dsn)
			wantStatus, wantRoles, wantRev := storeState(t, e.EmptyDSN(t))
			if !slices.Equal(gotStatus, wantStatus) || !slices.Equal(gotRoles, wantRoles) || gotRev != wantRev {
				t.Errorf("copy: got %q, roles %v at revision %d; want %q, roles %v at revision %d (an empty database opened)",
					gotStatus, gotRoles, gotRev, wantStatus, wantRoles, wantRev)
			}
			if other := e.DSN(t); other == dsn {
				t.Errorf("two databases of one test: got %s twice", dsn)
			}
		})
	}
}

// fingerprint returns the fingerprint of a PostgreSQL database, by the
// migrated template's query.
func fingerprint(t *testing.T, dsn string) string {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var got string
	if err := conn.QueryRow(t.Context(), pg.template.fingerprint).Scan(&got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPostgresReusedCopyMatchesTheTemplate writes to a test's database,
// and checks that the next test gets that database back as the template
// holds it, rows, schema and sequences, as a new copy is.
func TestPostgresReusedCopyMatchesTheTemplate(t *testing.T) {
	Postgres.Require(t)
	var used string
	t.Run("writes", func(t *testing.T) {
		// Copies an earlier test used are free first: the one this test
		// frees is then the last listed free, and the next one taken.
		pg.template.idle()
		used = Postgres.DSN(t)
		ctx := roster.NewContext(t.Context(), roster.Actor{KeyID: "k1"})
		db, err := sqlstore.Open(ctx, used, sqlstore.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: "c1", Name: "One"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.AddMember(ctx, "c1", "alice", nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.CreatePermission(ctx, roster.Permission{Key: "CUSTOM_ONE"}); err != nil {
			t.Fatal(err)
		}
		if got := fingerprint(t, used); got == pg.template.print {
			t.Fatal("fingerprint after writes: got the template's, want a difference (does it see rows?)")
		}
	})
	t.Run("reused", func(t *testing.T) {
		pg.template.idle() // the database of the first test is free again
		dsn := Postgres.DSN(t)
		if dsn != used {
			t.Fatalf("database: got %s, want %s again", dsn, used)
		}
		if got := fingerprint(t, dsn); got != pg.template.print {
			t.Errorf("reused database: %s", firstDiff(got, pg.template.print))
		}
		fresh := Postgres.DSN(t)
		if got := fingerprint(t, fresh); got != pg.template.print {
			t.Errorf("new copy: %s", firstDiff(got, pg.template.print))
		}
		if _, _, rev := storeState(t, dsn); rev != 2 {
			t.Errorf("revision of the reused database: got %d, want 2 (the platform roles')", rev)
		}
	})
}

// TestPostgresChangedSchemaIsDropped checks that a database whose schema,
// or settings, a test changed is dropped, not reused.
func TestPostgresChangedSchemaIsDropped(t *testing.T) {
	Postgres.Require(t)
	for _, change := range []string{
		`ALTER TABLE users ADD COLUMN extra TEXT`,
		`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET work_mem = ''8MB''', current_database()); END $$`,
	} {
		var used string
		t.Run("changes", func(t *testing.T) {
			used = Postgres.DSN(t)
			conn, err := pgx.Connect(t.Context(), used)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(t.Context(), change); err != nil {
				t.Fatal(err)
			}
		})
		name := pgName(used)
		p := pg.template
		p.idle()
		p.mu.Lock()
		if slices.Contains(p.free, name) || slices.Contains(p.copies, name) {
			t.Errorf("%s: database %s: got it kept (free %v, copies %v), want it dropped", change, name, p.free, p.copies)
		}
		p.mu.Unlock()
		pg.drops.Wait()
		pg.mu.Lock()
		if slices.Contains(pg.made, name) {
			t.Errorf("%s: database %s: got it among those to drop at the end (%v), want it dropped already", change, name, pg.made)
		}
		pg.mu.Unlock()
	}
}

// TestPostgresStaleDatabasesDropped checks that a database named for a
// test binary that is gone is dropped.
func TestPostgresStaleDatabasesDropped(t *testing.T) {
	Postgres.Require(t)
	if err := pgTemplate(); err != nil {
		t.Fatal(err)
	}
	admin, err := adminDB()
	if err != nil {
		t.Fatal(err)
	}
	const gone = "sqltest_gone0000000000000000_1"
	if _, err := admin.Exec(`CREATE DATABASE ` + ident(gone)); err != nil {
		t.Fatal(err)
	}
	if err := pgDropStale(t.Context(), admin); err != nil {
		t.Fatal(err)
	}
	pg.drops.Wait()
	var n int
	if err := admin.QueryRow(`SELECT count(*) FROM pg_database WHERE datname IN ($1, $2)`, gone, pg.tag).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("databases %s (gone) and %s (live): got %d, want only the live one", gone, pg.tag, n)
	}
}

// withStore opens a store on a database, for a key actor, runs fn and
// closes the store, so that the database is free to be copied or dropped.
func withStore(t *testing.T, dsn string, fn func(context.Context, *sqlstore.DB)) {
	t.Helper()
	ctx := roster.NewContext(t.Context(), roster.Actor{KeyID: "k1"})
	db, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fn(ctx, db)
}

// communities returns the ids of a database's communities.
func communities(t *testing.T, dsn string) []string {
	t.Helper()
	var ids []string
	withStore(t, dsn, func(ctx context.Context, db *sqlstore.DB) {
		list, _, err := db.ListCommunities(ctx, roster.CommunityFilter{}, roster.Page{Limit: roster.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range list {
			ids = append(ids, c.ID)
		}
	})
	return ids
}

// mustCommunity creates a community in a database.
func mustCommunity(t *testing.T, dsn, id string) {
	t.Helper()
	withStore(t, dsn, func(ctx context.Context, db *sqlstore.DB) {
		if _, _, err := db.CreateCommunity(ctx, roster.Community{ID: id, Name: id}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestSnapshotCopies checks that each copy of a snapshot holds what the
// snapshotted database held, and no other test's writes.
func TestSnapshotCopies(t *testing.T) {
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) {
			e.Require(t)
			dsn := e.DSN(t)
			mustCommunity(t, dsn, "world")
			snap := e.Snapshot(t, dsn)
			mustCommunity(t, dsn, "after")
			t.Run("writes", func(t *testing.T) {
				used := snap.DSN(t)
				if got := communities(t, used); !slices.Equal(got, []string{"world"}) {
					t.Errorf("copy: got communities %v, want [world]", got)
				}
				mustCommunity(t, used, "mine")
				other := snap.DSN(t)
				if got := communities(t, other); !slices.Equal(got, []string{"world"}) {
					t.Errorf("second copy: got communities %v, want [world]", got)
				}
			})
			t.Run("again", func(t *testing.T) {
				again := snap.DSN(t) // on PostgreSQL, one the first test used
				if got := communities(t, again); !slices.Equal(got, []string{"world"}) {
					t.Errorf("copy after another test's: got communities %v, want [world]", got)
				}
				if e == Postgres {
					if got := fingerprint(t, again); got != snap.pool.print {
						t.Errorf("reused copy: %s", firstDiff(got, snap.pool.print))
					}
				}
			})
		})
	}
}
