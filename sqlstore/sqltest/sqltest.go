// Package sqltest gives tests a database of their own on each engine,
// holding what sqlstore.Open makes of an empty one: the migrations and the
// platform's built-in roles. A test binary migrates one template per engine,
// once, and each test gets a copy of it: a copy of the template's file on
// SQLite, and on the PostgreSQL server named by ROSTER_TEST_POSTGRES_URL a
// database copied from the template database. Without that variable, the
// PostgreSQL runs skip, saying so. EmptyDSN gives a database with nothing in
// it, for the tests of migrating; Snapshot takes the state of a test's
// database, for other tests to get copies of.
//
// A package whose tests use PostgreSQL calls Main from its TestMain, so that
// the databases of the run are dropped when it ends; those of a run that
// could not (it crashed, or has no TestMain) are dropped by the next run.
package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	"github.com/rs/xid"

	"github.com/rosterhq/roster/sqlstore"
)

// PostgresEnv names the PostgreSQL database tests may use.
const PostgresEnv = "ROSTER_TEST_POSTGRES_URL"

// Engine is a database engine tests run on.
type Engine struct {
	// Name is "sqlite" or "postgres".
	Name string
}

// SQLite and Postgres are the engines.
var (
	SQLite   = Engine{"sqlite"}
	Postgres = Engine{"postgres"}
)

// Engines lists every engine.
var Engines = []Engine{SQLite, Postgres}

// Each runs fn as one subtest per engine, named for it.
func Each(t *testing.T, fn func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(e.Name, func(t *testing.T) {
			e.Require(t)
			fn(t, e)
		})
	}
}

// Require skips the test, saying why, when the engine is not available.
func (e Engine) Require(tb testing.TB) {
	tb.Helper()
	if e == Postgres && os.Getenv(PostgresEnv) == "" {
		tb.Skipf("PostgreSQL: %s is not set", PostgresEnv)
	}
}

// DSN returns a new database for the test, as sqlstore.Open takes it,
// holding what sqlstore.Open makes of an empty database (its migrations and
// the platform's built-in roles, whose ids are the same in every copy): for
// SQLite the path of a new file, for PostgreSQL the URL of a new database.
// Both are copies of the binary's template; the PostgreSQL one is put back
// in the template's state when the test ends, for another test to use.
func (e Engine) DSN(tb testing.TB) string {
	tb.Helper()
	e.Require(tb)
	if e == SQLite {
		image, err := sqliteImage()
		if err != nil {
			tb.Fatalf("sqltest: %v", err)
		}
		return sqliteCopy(tb, image)
	}
	dsn, err := pgClone(tb)
	if err != nil {
		tb.Fatalf("sqltest: %v", err)
	}
	return dsn
}

// EmptyDSN returns a new, empty database for the test, not migrated: a file
// path for SQLite, or for PostgreSQL the URL of the test database with a
// new schema as its search_path, dropped when the test ends.
func (e Engine) EmptyDSN(tb testing.TB) string {
	tb.Helper()
	e.Require(tb)
	if e == SQLite {
		return filepath.Join(tb.TempDir(), "roster.db")
	}
	admin, err := adminDB()
	if err != nil {
		tb.Fatalf("sqltest: %v", err)
	}
	schema := "test_" + xid.New().String()
	quoted := pgx.Identifier{schema}.Sanitize()
	if _, err := admin.Exec(`CREATE SCHEMA ` + quoted); err != nil {
		tb.Fatalf("sqltest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+quoted+` CASCADE`); err != nil {
			tb.Errorf("sqltest: drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(os.Getenv(PostgresEnv))
	if err != nil {
		tb.Fatalf("sqltest: %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Snapshot is the state of a test's database, for other tests to get
// copies of: the way tests share a world that is costly to build.
type Snapshot struct {
	e Engine
	// image is the SQLite file; pool the PostgreSQL template.
	image []byte
	pool  *pgPool
}

// Snapshot takes the state of dsn, a database DSN gave the test, on which
// no store may be open any more. The snapshot and its copies last until the
// test ends.
func (e Engine) Snapshot(tb testing.TB, dsn string) *Snapshot {
	tb.Helper()
	e.Require(tb)
	s := &Snapshot{e: e}
	var err error
	if e == SQLite {
		s.image, err = sqliteFile(tb.Context(), dsn)
	} else {
		s.pool, err = pgSnapshot(tb, pgName(dsn))
	}
	if err != nil {
		tb.Fatalf("sqltest: snapshot of %s: %v", redact(dsn), err)
	}
	return s
}

// DSN returns a new database for the test holding what the snapshot holds.
func (s *Snapshot) DSN(tb testing.TB) string {
	tb.Helper()
	if s.e == SQLite {
		return sqliteCopy(tb, s.image)
	}
	dsn, err := s.pool.clone(tb)
	if err != nil {
		tb.Fatalf("sqltest: %v", err)
	}
	return dsn
}

// Open opens a store on a new database for the test, closed when it ends.
func (e Engine) Open(tb testing.TB, opt sqlstore.Options) *sqlstore.DB {
	tb.Helper()
	db, err := sqlstore.Open(tb.Context(), e.DSN(tb), opt)
	if err != nil {
		tb.Fatalf("sqlstore.Open on %s: %v", e.Name, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Main runs the tests, then drops the PostgreSQL databases they used, and
// returns the exit code: func TestMain(m *testing.M) { os.Exit(sqltest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if err := pgDropAll(); err != nil {
		fmt.Fprintf(os.Stderr, "sqltest: %v\n", err)
	}
	return code
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// adminDB is the connection that creates and drops the tests' databases
// and schemas.
func adminDB() (*sql.DB, error) {
	admin.once.Do(func() {
		dsn := os.Getenv(PostgresEnv)
		admin.db, admin.err = sql.Open("pgx", dsn)
		if admin.err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			admin.err = admin.db.PingContext(ctx)
		}
		if admin.err != nil {
			admin.err = fmt.Errorf("%s=%s: %w", PostgresEnv, redact(dsn), admin.err)
		}
	})
	return admin.db, admin.err
}

// redact hides a URL's password.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return strings.Repeat("*", len(dsn))
	}
	return u.Redacted()
}
