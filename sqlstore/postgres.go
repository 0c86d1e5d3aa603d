package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3/lock"

	"github.com/rosterhq/roster"
)

// openPostgres opens the PostgreSQL database at the URL, in the first
// schema of its search_path. Groups of writes to different scopes commit
// concurrently (see commit.go).
func openPostgres(ctx context.Context, dsn string, opt Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: the PostgreSQL URL: %w", err)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 5 * time.Second
	}
	conns := stdlib.OpenDB(*cfg)
	conns.SetMaxOpenConns(16)
	conns.SetMaxIdleConns(16)
	conns.SetConnMaxIdleTime(5 * time.Minute)
	var schema sql.NullString
	if err := conns.QueryRowContext(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		conns.Close()
		return nil, fmt.Errorf("sqlstore: cannot reach PostgreSQL at %s:%d (database %q): %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	if !schema.Valid {
		conns.Close()
		return nil, fmt.Errorf("sqlstore: no schema of the search_path exists in database %q", cfg.Database)
	}
	d := postgresDialect
	return &DB{
		dialect: d, write: pool{conns}, read: pool{conns}, now: opt.Now,
		pg: &pgNotices{
			config: cfg, schema: schema.String,
			// Channel names are identifiers of at most 63 bytes.
			channel: fmt.Sprintf("roster_changes_%x", lockID(schema.String)),
			logLock: lockID("roster audit log " + schema.String),
			origin:  strconv.FormatUint(rand.Uint64(), 36),
		},
	}, nil
}

// pgNotices tells other processes on the database of each commit, through
// LISTEN/NOTIFY on a channel named for the schema, and names the advisory
// lock that orders the commits of the schema's audit log. A notice's
// payload is the commit's last revision and the origin of the store that
// made it, a random name, apart by a space ("1234 k3x9..."): the store's
// own commits reach its hooks from the commit, with their events, and
// their notices are not passed on. A replica of an earlier version, which
// reads the payload as a revision alone, takes these notices for missed
// commits and reads the log after each: slower, never wrong.
type pgNotices struct {
	config  *pgx.ConnConfig
	schema  string
	channel string
	logLock int64
	origin  string

	mu      sync.Mutex
	started bool
	cancel  context.CancelFunc
	done    chan struct{}
}

// start listens, once, and calls fn with the revision of each notice.
func (n *pgNotices) start(fn func(roster.Revision)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.started {
		return
	}
	n.started = true
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan struct{})
	go n.run(ctx, fn)
}

// stop stops listening.
func (n *pgNotices) stop() {
	n.mu.Lock()
	cancel, done := n.cancel, n.done
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// run listens until ctx ends, connecting again, with a growing pause, when
// the connection is lost.
func (n *pgNotices) run(ctx context.Context, fn func(roster.Revision)) {
	defer close(n.done)
	pause := 100 * time.Millisecond
	for {
		began := time.Now()
		err := n.listen(ctx, fn)
		if ctx.Err() != nil {
			return
		}
		slog.Warn("sqlstore: listening for changes; connecting again", "err", err, "in", pause)
		if time.Since(began) > time.Minute {
			pause = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// idleCheck is how long the listening connection may stay silent before it
// is pinged, so that a connection a network partition broke is noticed.
const idleCheck = 30 * time.Second

// listen holds one connection listening. Once it listens it calls fn with
// revision 0, for the commits made while it did not.
func (n *pgNotices) listen(ctx context.Context, fn func(roster.Revision)) error {
	conn, err := pgx.ConnectConfig(ctx, n.config)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{n.channel}.Sanitize()); err != nil {
		return err
	}
	fn(0)
	for {
		wait, cancel := context.WithTimeout(ctx, idleCheck)
		note, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			payload, origin, _ := strings.Cut(note.Payload, " ")
			if origin == n.origin {
				continue
			}
			rev, _ := strconv.ParseInt(payload, 10, 64)
			fn(roster.Revision(rev))
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			ping, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(ping)
			cancel()
			if err != nil {
				return err
			}
		default:
			return err
		}
	}
}

// migrationLocker makes replicas that start together migrate one at a
// time: it holds an advisory lock named for the schema while migrating.
func (n *pgNotices) migrationLocker() (lock.SessionLocker, error) {
	return lock.NewPostgresSessionLocker(lock.WithLockID(lockID("roster migrations "+n.schema)),
		lock.WithLockTimeout(1, 300)) // tried each second, for 5 minutes
}

// lockID is a stable advisory lock id for a name.
func lockID(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() >> 1)
}
