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
// back as the template holds it: the test's sessions ended, every table
// emptied and refilled with the template's rows in one transaction, its
// sequences set to the template's values. The signature of its catalogs
// must then be the template's; a database whose is not (a test changed its
// schema) is dropped instead. The next test that asks gets a database so
// reset, or a new copy.
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
	// reset puts a copy back in the template's state; signature is the
	// template's catalogSignature.
	reset, signature string
	// fingerprint describes a database's schema and rows, and
	// templatePrint is the template's, for the tests of this package.
	fingerprint, templatePrint string

	mu sync.Mutex
	// made lists the copies, free those ready for a test.
	made, free []string
	n          int
	// stale counts the drops of the databases of dead runs.
	stale sync.WaitGroup
}

// pgClone returns the URL of a copy of the template for the test, put
// back in the template's state when it ends.
func pgClone(tb testing.TB) (string, error) {
	if err := pgTemplate(); err != nil {
		return "", err
	}
	admin, err := adminDB()
	if err != nil {
		return "", err
	}
	pg.mu.Lock()
	var name string
	fresh := len(pg.free) == 0
	if fresh {
		pg.n++
		name = fmt.Sprintf("%s_%d", pg.tag, pg.n)
		pg.made = append(pg.made, name)
	} else {
		name, pg.free = pg.free[len(pg.free)-1], pg.free[:len(pg.free)-1]
	}
	pg.mu.Unlock()
	if fresh {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+ident(name)+` TEMPLATE `+ident(pg.tag)); err != nil {
			return "", fmt.Errorf("copy the template: %w", err)
		}
	}
	tb.Cleanup(func() {
		if err := pgRecycle(name); err != nil {
			tb.Logf("sqltest: database %s not reused: %v", name, err)
		}
	})
	return pgURL(name), nil
}

// pgURL returns the URL of a database of the PostgreSQL server.
func pgURL(name string) string {
	u := *pg.base
	u.Path = "/" + name
	return u.String()
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
	conn, err := pgx.Connect(ctx, pgURL(tag))
	if err != nil {
		return err
	}
	err = describeTemplate(ctx, conn)
	if cerr := conn.Close(ctx); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// A database is copied only while no session is connected to it.
	return endSessions(ctx, admin, tag)
}

// pgRecycle puts a test's database back in the template's state and lists
// it free; failing that, it drops it.
func pgRecycle(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := pgReset(ctx, name)
	pg.mu.Lock()
	defer pg.mu.Unlock()
	if err == nil {
		pg.free = append(pg.free, name)
		return nil
	}
	if admin, aerr := adminDB(); aerr == nil {
		if _, derr := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+ident(name)+` WITH (FORCE)`); derr == nil {
			pg.made = slices.DeleteFunc(pg.made, func(n string) bool { return n == name })
		}
	}
	return err
}

// pgReset ends the sessions on a test's database, then empties and refills
// its tables as the template holds them, and checks that it now matches
// the template.
func pgReset(ctx context.Context, name string) error {
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
	if _, err := conn.Exec(ctx, pg.reset); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	var got string
	if err := conn.QueryRow(ctx, catalogSignature).Scan(&got); err != nil {
		return fmt.Errorf("catalog signature: %w", err)
	}
	if got != pg.signature {
		return fmt.Errorf("its schema differs from the template's: catalogs %s, want %s", got, pg.signature)
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
	var names []string
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'sqltest\_%'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	live := map[string]bool{}
	rows, err = admin.QueryContext(ctx, `SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'sqltest\_%'`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		live[n] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		parts := strings.SplitN(n, "_", 3)
		if live[parts[0]+"_"+parts[1]] {
			continue
		}
		pg.stale.Add(1)
		go func() {
			defer pg.stale.Done()
			// Drops run together: their checkpoints are shared.
			admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+ident(n)+` WITH (FORCE)`)
		}()
	}
	return nil
}

// pgDropAll drops the binary's databases, all at once.
func pgDropAll() error {
	defer pg.stale.Wait()
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
