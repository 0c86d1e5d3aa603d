// Package sqltest gives tests a fresh database on each engine: a new SQLite
// file always, and a new schema of the PostgreSQL database named by
// ROSTER_TEST_POSTGRES_URL when it is set. Without it, the PostgreSQL runs
// skip, saying so.
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

// DSN returns a new, empty database for the test, as sqlstore.Open takes
// it: a file path for SQLite, or for PostgreSQL the URL of the test
// database with a new schema as its search_path, dropped when the test
// ends.
func (e Engine) DSN(tb testing.TB) string {
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

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// adminDB is the connection that creates and drops the tests' schemas.
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
