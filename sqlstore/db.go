// Package sqlstore implements roster.Store on a SQL database: the embedded
// SQLite default, through the pure-Go modernc.org/sqlite driver, or
// PostgreSQL through pgx. Each service call runs in one transaction, which
// also writes the call's audit events.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/rosterhq/roster"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// DB is a Roster store on SQLite or PostgreSQL.
type DB struct {
	dialect *dialect
	// write runs write transactions, read the reads: on SQLite one
	// connection and a pool beside it (WAL), on PostgreSQL one pool.
	write, read pool
	now         roster.Clock
	hooks       hooks
	// pg holds what only PostgreSQL has: the change notifications and the
	// lock that orders commits in the log.
	pg *pgNotices
	// commit holds the committers of the writes; stmts, on SQLite, the
	// statements prepared on the write connection.
	commit *committers
	stmts  *stmtCache
	// secrets seals the secrets the store reads back.
	secrets *sealer
}

var _ roster.Store = (*DB)(nil)

// Pools returns the database connection pools, by name, for their
// metrics: "write" and "read" on SQLite, the one "write" on PostgreSQL.
func (db *DB) Pools() map[string]*sql.DB {
	if db.read.DB == db.write.DB {
		return map[string]*sql.DB{"write": db.write.DB}
	}
	return map[string]*sql.DB{"write": db.write.DB, "read": db.read.DB}
}

// Options configure a store.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now roster.Clock
	// SecretsKey, 32 bytes, seals the secrets the store must read back
	// (the keys that sign webhooks); every process of a deployment needs
	// the same. When nil, a random key serves this process alone.
	SecretsKey []byte
}

// Open opens the database named by dsn, a postgres:// or postgresql:// URL
// or else the path of a SQLite file (created if needed), applies pending
// migrations and creates the platform's built-in roles.
func Open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	db, err := open(ctx, dsn, opt)
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
func OpenUnmigrated(ctx context.Context, dsn string) (*DB, error) { return open(ctx, dsn, Options{}) }

// IsPostgres reports whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

func open(ctx context.Context, dsn string, opt Options) (*DB, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	var db *DB
	var err error
	if IsPostgres(dsn) {
		db, err = openPostgres(ctx, dsn, opt)
	} else {
		db, err = openSQLite(dsn, opt)
	}
	if err != nil {
		return nil, err
	}
	if db.secrets, err = newSealer(opt.SecretsKey); err != nil {
		db.Close()
		return nil, err
	}
	db.startCommitters(db.dialect.committers)
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.stopCommitters()
	if db.stmts != nil {
		for _, st := range db.stmts.prepared {
			st.Close()
		}
	}
	if db.pg != nil {
		db.pg.stop()
	}
	if db.read.DB == db.write.DB {
		return db.write.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

func (db *DB) provider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrations, "migrations/"+db.dialect.name)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if db.pg != nil {
		// Replicas starting together migrate one at a time.
		locker, err := db.pg.migrationLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(db.dialect.goose, db.write.DB, sub, opts...)
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
	if err := db.rekeyRoles(ctx); err != nil {
		return nil, err
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
