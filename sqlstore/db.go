// Package sqlstore implements roster.Store on a SQL database: the embedded
// SQLite default, through the pure-Go modernc.org/sqlite driver. Each service
// call runs in one transaction, which also writes the call's audit events.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/rosterhq/roster"
)

//go:embed migrations/sqlite/*.sql
var migrations embed.FS

// DB is a Roster store on SQLite. Writes go through one connection, so they
// are serialized; reads use a pool of their own and run beside them (WAL).
type DB struct {
	write *sql.DB
	read  *sql.DB
	now   roster.Clock
	hooks hooks
}

var _ roster.Store = (*DB)(nil)

// Options configure a store.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now roster.Clock
}

// Open opens the SQLite database file at path, creating it if needed,
// applies pending migrations and creates the platform's built-in roles.
func Open(ctx context.Context, path string, opt Options) (*DB, error) {
	db, err := openFiles(path, opt)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.ensurePlatform(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenUnmigrated opens the database without changing it, for `roster
// migrate`.
func OpenUnmigrated(path string) (*DB, error) { return openFiles(path, Options{}) }

func openFiles(path string, opt Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlstore: no database path")
	}
	pragmas := url.Values{}
	for _, p := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout(10000)", "synchronous(FULL)"} {
		pragmas.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + pragmas.Encode()
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	if err := write.Ping(); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	db := &DB{write: write, read: read, now: opt.Now}
	if db.now == nil {
		db.now = time.Now
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/sqlite")
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectSQLite3, db.write, sub, goose.WithDisableGlobalRegistry(true))
}

// Migrate applies pending migrations and returns the names of those applied.
func (db *DB) Migrate(ctx context.Context) ([]string, error) {
	p, err := db.provider()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrate: %w", err)
	}
	names := make([]string, len(results))
	for i, r := range results {
		names[i] = r.Source.Path
	}
	return names, nil
}

// MigrationStatus lists every migration and whether it is applied.
func (db *DB) MigrationStatus(ctx context.Context) ([]string, error) {
	p, err := db.provider()
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	status, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migration status: %w", err)
	}
	lines := make([]string, len(status))
	for i, s := range status {
		lines[i] = fmt.Sprintf("%-8s %s", s.State, s.Source.Path)
	}
	return lines, nil
}
