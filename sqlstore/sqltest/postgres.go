package sqltest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/xid"

	"github.com/rosterhq/roster/sqlstore"
)

// On PostgreSQL a test binary makes a template database, named by a tag
// (sqltest_<xid>), and runs sqlstore.Open on it. A test gets a database
// copied from it (CREATE DATABASE … TEMPLATE), named <tag>_<n>. When the
// test ends, its database is not dropped (DROP DATABASE forces a
// checkpoint of the whole server, which costs more than the copy) but put
// back, in the background, as the template holds it: the test's sessions
// ended, every table emptied and refilled with the template's rows in one
// transaction, its sequences set to the template's values. The signature
// of its catalogs must then be the template's; a database whose is not (a
// test changed its schema) is dropped instead. The next test that asks gets
// a database so reset (waiting for one being reset, which is sooner than a
// new copy), or a new copy. A snapshot is a template too, <tag>_s<k>,
// copied and reset the same way.
//
// A session that holds the tag as its application_name says the binary is
// alive: databases whose tag has none are left over from a run that
// crashed, and are dropped by the next binary to start.
var pg struct {
	once sync.Once
	err  error
	// base is the URL of the test database; tag names the template.
	base *url.URL
	tag  string
	// marker is the session that holds the tag while the binary runs.
	marker *pgx.Conn
	// template is the migrated template and its copies.
	template *pgPool

	mu sync.Mutex
	// made lists the databases made and not dropped, for Main to drop.
	made []string
	// snapshots counts the snapshots taken.
	snapshots int
	// resets and drops count the resets and drops running in the
	// background.
	resets, drops sync.WaitGroup
}

// pgPool is a template database and its copies.
type pgPool struct {
	name string
	// reset puts a copy back in the template's state; signature is the
	// template's catalogSignature.
	reset, signature string
	// fingerprint describes a database's schema and rows, and print is the
	// template's, for the tests of this package.
	fingerprint, print string

	mu sync.Mutex
	// copies lists the copies made and not dropped, free those ready for a
	// test; n counts the copies made, resetting those being reset, which
	// ready is told of.
	copies, free []string
	n, resetting int
	ready        *sync.Cond
}

// pgClone returns the URL of a copy of the migrated template for the test,
// put back in the template's state when it ends.
func pgClone(tb testing.TB) (string, error) {
	if err := pgTemplate(); err != nil {
		return "", err
	}
	return pg.template.clone(tb)
}

// clone returns the URL of a copy of the template for the test, put back
// in the template's state when it ends.
func (p *pgPool) clone(tb testing.TB) (string, error) {
	admin, err := adminDB()
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	// A copy being reset is ready sooner than a new one.
	for len(p.free) == 0 && p.resetting > 0 {
		p.ready.Wait()
	}
	var name string
	fresh := len(p.free) == 0
	if fresh {
		p.n++
		name = fmt.Sprintf("%s_%d", p.name, p.n)
		p.copies = append(p.copies, name)
	} else {
		name, p.free = p.free[len(p.free)-1], p.free[:len(p.free)-1]
	}
	p.mu.Unlock()
	if fresh {
		pgMade(name)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+ident(name)+` TEMPLATE `+ident(p.name)); err != nil {
			return "", fmt.Errorf("copy the template: %w", err)
		}
	}
	tb.Cleanup(func() { p.recycle(name) })
	return pgURL(name), nil
}

// pgMade records a database for Main to drop.
func pgMade(name string) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.made = append(pg.made, name)
}

// pgDropped forgets databases dropped.
func pgDropped(names ...string) {
	pg.mu.Lock()
	defer pg.mu.Unlock()
	pg.made = slices.DeleteFunc(pg.made, func(n string) bool { return slices.Contains(names, n) })
}

// pgURL returns the URL of a database of the PostgreSQL server.
func pgURL(name string) string {
	u := *pg.base
	u.Path = "/" + name
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

// pgName returns the name of the database of a URL pgURL made.
func pgName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// ident quotes a name for SQL.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// pgTemplate makes the binary's template database, once.
func pgTemplate() error {
	pg.once.Do(func() {
		if pg.err = makePGTemplate(); pg.err != nil {
			pg.err = fmt.Errorf("the PostgreSQL template: %w", pg.err)
		}
	})
	return pg.err
}

func makePGTemplate() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, err := adminDB()
	if err != nil {
		return err
	}
	dsn := os.Getenv(PostgresEnv)
	base, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("%s: %w", PostgresEnv, err)
	}
	q := base.Query()
	q.Del("search_path") // the copies use their own database's public schema
	base.RawQuery = q.Encode()
	pg.base = base

	tag := "sqltest_" + xid.New().String()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("%s: %w", PostgresEnv, err)
	}
	cfg.RuntimeParams["application_name"] = tag
	if pg.marker, err = pgx.ConnectConfig(ctx, cfg); err != nil {
		return err
	}
	pg.tag = tag // from now on, Main drops it
	if err := pgDropStale(ctx, admin); err != nil {
		return err
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+ident(tag)); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, pgURL(tag), sqlstore.Options{})
	if err != nil {
		return err
	}
	if err := db.Close(); err != nil {
		return err
	}
	pg.template, err = newPool(ctx, admin, tag)
	return err
}

// newPool reads the template database for its copies and the resets of
// them.
func newPool(ctx context.Context, admin *sql.DB, name string) (*pgPool, error) {
	conn, err := pgx.Connect(ctx, pgURL(name))
	if err != nil {
		return nil, err
	}
	p := &pgPool{name: name}
	p.ready = sync.NewCond(&p.mu)
	err = p.describe(ctx, conn)
	if cerr := conn.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	// A database is copied only while no session is connected to it.
	return p, endSessions(ctx, admin, name)
}

// pgSnapshot makes a template of the database name holds now.
func pgSnapshot(tb testing.TB, name string) (*pgPool, error) {
	if err := pgTemplate(); err != nil {
		return nil, err
	}
	admin, err := adminDB()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pg.mu.Lock()
	pg.snapshots++
	snap := fmt.Sprintf("%s_s%d", pg.tag, pg.snapshots)
	pg.mu.Unlock()
	if err := endSessions(ctx, admin, name); err != nil {
		return nil, err
	}
	pgMade(snap)
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+ident(snap)+` TEMPLATE `+ident(name)); err != nil {
		return nil, fmt.Errorf("copy %s: %w", name, err)
	}
	p, err := newPool(ctx, admin, snap)
	if err != nil {
		return nil, err
	}
	tb.Cleanup(func() {
		p.idle()
		p.mu.Lock()
		names := append(slices.Clone(p.copies), p.name)
		p.mu.Unlock()
		// In the background, all at once: their checkpoints are shared.
		for _, n := range names {
			pgDrop(n)
		}
	})
	return p, nil
}

// recycle puts a test's database back in the template's state, in the
// background, and lists it free; failing that, it drops it.
func (p *pgPool) recycle(name string) {
	p.mu.Lock()
	p.resetting++
	p.mu.Unlock()
	pg.resets.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := p.resetCopy(ctx, name)
		p.mu.Lock()
		defer p.mu.Unlock()
		p.resetting--
		p.ready.Broadcast()
		if err == nil {
			p.free = append(p.free, name)
			return
		}
		p.copies = slices.DeleteFunc(p.copies, func(n string) bool { return n == name })
		pgDrop(name)
		if !errors.Is(err, errSchemaChanged) {
			fmt.Fprintf(os.Stderr, "sqltest: database %s not reused: %v\n", name, err)
		}
	})
}

// errSchemaChanged says that a test changed the schema of its copy.
var errSchemaChanged = errors.New("its schema differs from the template's")

// idle waits until no copy of the template is being reset.
func (p *pgPool) idle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.resetting > 0 {
		p.ready.Wait()
	}
}

// pgDrop drops a database in the background; Main waits for it.
func pgDrop(name string) {
	pg.drops.Go(func() {
		admin, err := adminDB()
		if err != nil {
			return
		}
		if _, err := admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+ident(name)+` WITH (FORCE)`); err == nil {
			pgDropped(name)
		}
	})
}

// resetCopy ends the sessions on a copy, then empties and refills its
// tables as the template holds them, and checks that its schema is still
// the template's.
func (p *pgPool) resetCopy(ctx context.Context, name string) error {
	admin, err := adminDB()
	if err != nil {
		return err
	}
	if err := endSessions(ctx, admin, name); err != nil {
		return err
	}
	conn, err := pgx.Connect(ctx, pgURL(name))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, p.reset); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	var got string
	if err := conn.QueryRow(ctx, catalogSignature).Scan(&got); err != nil {
		return fmt.Errorf("catalog signature: %w", err)
	}
	if got != p.signature {
		return fmt.Errorf("%w: catalogs %s, want %s", errSchemaChanged, got, p.signature)
	}
	return nil
}

// endSessions ends every other session on the database and waits until
// they are gone.
func endSessions(ctx context.Context, admin *sql.DB, name string) error {
	for {
		var n int
		err := admin.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
			WHERE datname = $1 AND pid <> pg_backend_pid()`, name).Scan(&n)
		if err != nil {
			return fmt.Errorf("end the sessions on %s: %w", name, err)
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("end the sessions on %s: %d remain: %w", name, n, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// pgDropStale drops, in the background, the databases of test binaries
// that are gone: those whose tag no session holds.
func pgDropStale(ctx context.Context, admin *sql.DB) error {
	names, err := column(ctx, admin, `SELECT datname FROM pg_database WHERE datname LIKE 'sqltest\_%'`)
	if err != nil {
		return err
	}
	sessions, err := column(ctx, admin, `SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'sqltest\_%'`)
	if err != nil {
		return err
	}
	live := map[string]bool{}
	for _, n := range sessions {
		live[n] = true
	}
	for _, n := range names {
		parts := strings.SplitN(n, "_", 3)
		if live[parts[0]+"_"+parts[1]] {
			continue
		}
		// Drops run together: their checkpoints are shared.
		pg.drops.Go(func() {
			admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+ident(n)+` WITH (FORCE)`)
		})
	}
	return nil
}

// column reads a query's one text column.
func column(ctx context.Context, db *sql.DB, query string) ([]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// pgDropAll drops the binary's databases, all at once.
func pgDropAll() error {
	pg.resets.Wait()
	pg.drops.Wait()
	if pg.tag == "" {
		return nil
	}
	defer pg.marker.Close(context.Background())
	admin, err := adminDB()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	names := append(slices.Clone(pg.made), pg.tag)
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+ident(n)+` WITH (FORCE)`); err != nil {
				errs[i] = fmt.Errorf("drop database %s: %w", n, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
