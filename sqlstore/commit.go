package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// Writes are committed in groups. Each process runs a few committers (one
// on SQLite, which has one writer); a write waits in the queue of the
// committer its scope is given to, and the committer runs every write
// waiting at that moment in one transaction, each in a savepoint of its
// own, so that one write's refusal rolls back only that write. The group's
// events are written last, in one statement, and then it commits once: a
// commit, and on PostgreSQL the lock that orders the log, is paid for per
// group, not per write.
//
// On PostgreSQL a group first takes, in one fixed order, an advisory lock
// per scope it writes, before any statement that decides: writes to one
// community (or the platform scope) run one group at a time, in every
// process, and each sees the last one committed, so they do not conflict;
// writes to different scopes run side by side.

// job is one write waiting for its group.
type job struct {
	ctx context.Context
	// scopes are those the write decides by: the first, which it writes,
	// and any it reads besides the platform scope.
	scopes []string
	fn     func(tx *Tx) error
	done   chan jobResult
	// side is set for a write that may run beside others: it sends only
	// pipelines and holds back its writes (see sideBySide).
	side bool
}

type jobResult struct {
	rev roster.Revision
	err error
}

// committer runs the groups of the writes given to it, one group at a time.
// Once a group commits, its notifier runs the commit hooks (the index
// applies the group's events) and then answers the group's writes, while
// the committer goes on with the next group.
type committer struct {
	queue   chan *job
	answers chan answer
}

// answer is a committed group's answers and the events it wrote.
type answer struct {
	jobs    []*job
	results []jobResult
	events  []roster.Event
}

// committers are the store's committers and their lifetime.
type committers struct {
	all  []*committer
	seed maphash.Seed
	stop chan struct{}
	wg   sync.WaitGroup
}

// Bounds of a group: PostgreSQL slows every reader down once a
// transaction has more than 64 subtransactions (savepoints that wrote).
const (
	maxGroupPostgres = 32
	maxGroupSQLite   = 256
	// groupTimeout bounds a group's transaction.
	groupTimeout = 30 * time.Second
)

// startCommitters starts n committers.
func (db *DB) startCommitters(n int) {
	db.commit = &committers{seed: maphash.MakeSeed(), stop: make(chan struct{})}
	for range n {
		c := &committer{queue: make(chan *job, 1024), answers: make(chan answer, 16)}
		db.commit.all = append(db.commit.all, c)
		db.commit.wg.Add(2)
		go func() {
			defer db.commit.wg.Done()
			defer close(c.answers)
			db.run(c)
		}()
		go func() {
			defer db.commit.wg.Done()
			for a := range c.answers {
				if n := len(a.events); n > 0 {
					db.committed(a.events[n-1].Revision, a.events)
				}
				for i, j := range a.jobs {
					j.done <- a.results[i]
				}
			}
		}()
	}
}

// stopCommitters answers the writes still queued and waits for the
// committers to stop.
func (db *DB) stopCommitters() {
	if db.commit == nil {
		return
	}
	close(db.commit.stop)
	db.commit.wg.Wait()
}

var errClosed = errors.New("sqlstore: the store is closed")

// update runs fn in a write transaction, with the writes to scope that wait
// beside it, and commits it; also names other scopes whose state fn decides
// by, which no write may change meanwhile. When the database reports that
// the group conflicted with concurrent ones, the group runs again, a
// bounded number of times: fn must only set its results, never accumulate
// them.
func (db *DB) update(ctx context.Context, scope string, fn func(tx *Tx) error, also ...string) (roster.Revision, error) {
	return db.enqueue(&job{ctx: ctx, scopes: append([]string{scope}, also...), fn: fn, done: make(chan jobResult, 1)})
}

// enqueue gives the write to the committer of its scope and waits for its
// answer.
func (db *DB) enqueue(j *job) (roster.Revision, error) {
	ctx, scope := j.ctx, j.scopes[0]
	c := db.commit.all[maphash.String(db.commit.seed, scope)%uint64(len(db.commit.all))]
	select {
	case c.queue <- j:
	case <-db.commit.stop:
		return 0, errClosed
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case r := <-j.done:
		return r.rev, r.err
	case <-ctx.Done():
		// The write may still commit, as when an answer is lost.
		return 0, ctx.Err()
	}
}

// run takes the writes queued at each moment and commits them as a group.
func (db *DB) run(c *committer) {
	limit := maxGroupSQLite
	if db.pg != nil {
		limit = maxGroupPostgres
	}
	group := make([]*job, 0, limit)
	for {
		select {
		case j := <-c.queue:
			group = append(group[:0], j)
		case <-db.commit.stop:
			for {
				select {
				case j := <-c.queue:
					j.done <- jobResult{err: errClosed}
				default:
					return
				}
			}
		}
	gather:
		for len(group) < limit {
			select {
			case j := <-c.queue:
				group = append(group, j)
			default:
				break gather
			}
		}
		db.commitGroup(c, group)
		clear(group)
		db.keep()
	}
}

// commitGroup runs the group until it commits, or fails in a way running it
// again would not mend, and answers each write. On PostgreSQL the writes
// that may run side by side do, in a transaction of their own, when there
// are two or more.
func (db *DB) commitGroup(c *committer, group []*job) {
	var side, rest []*job
	for _, j := range group {
		switch {
		case j.ctx.Err() != nil:
			j.done <- jobResult{err: j.ctx.Err()}
		case j.side && db.pg != nil:
			side = append(side, j)
		default:
			rest = append(rest, j)
		}
	}
	if len(side) < 2 {
		rest, side = append(rest, side...), nil
	}
	if len(side) > 0 && !db.commitJobs(c, side, true) {
		for _, j := range side {
			db.commitJobs(c, []*job{j}, false)
		}
	}
	if len(rest) > 0 {
		db.commitJobs(c, rest, false)
	}
}

// commitJobs runs the jobs as a group until it commits, or fails in a way
// running it again would not mend, and answers each; it reports false,
// answering none, when a group run side by side must run its writes
// alone.
func (db *DB) commitJobs(c *committer, live []*job, side bool) bool {
	for attempt := 1; ; attempt++ {
		results, events, err := db.tryGroup(live, side)
		if err == nil {
			c.answers <- answer{live, results, events}
			return true
		}
		if errors.Is(err, errAlone) {
			return false
		}
		if !db.dialect.retryable(err) {
			err = unavailable(err)
		} else if attempt == maxAttempts {
			err = roster.Errorf(roster.EWRITECONFLICT, "the change conflicted with concurrent changes %d times; send it again", attempt)
		} else {
			// Exponential backoff from 1 ms to 64 ms, jittered.
			time.Sleep(time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6))))
			continue
		}
		for _, j := range live {
			j.done <- jobResult{err: err}
		}
		return true
	}
}

// maxAttempts bounds how often a group is tried when it keeps conflicting
// with concurrent writes.
const maxAttempts = 12

// group is one group's transaction.
type group struct {
	// q runs the statements: the transaction on SQLite, the connection
	// holding it on PostgreSQL; tx is SQLite's, for its prepared
	// statements, conn PostgreSQL's, for its pipelines.
	q    querier
	tx   *sql.Tx
	conn *sql.Conn
	db   *DB
	ctx  context.Context
	// stmts holds, on SQLite, the group's prepared statements; they close
	// with the transaction.
	stmts map[string]*sql.Stmt
	// held are the statements held back for the next pipeline (see
	// later); sent counts the pipelines sent; err is the failure of one,
	// which the transaction does not recover from until the write that
	// met it is rolled back.
	held []step
	sent int
	err  error
	// alone is set when the group holds one write: what it writes and
	// reads back then goes with the commit (see Tx.readBack); side when
	// its writes run side by side.
	alone, side bool
}

// Statements of a group's transaction.
var (
	savepoint  = step{what: "savepoint", query: `SAVEPOINT write`}
	release    = step{what: "savepoint", query: `RELEASE SAVEPOINT write`}
	rollbackTo = step{what: "savepoint", query: `ROLLBACK TO SAVEPOINT write`}
	commitStep = step{what: "commit", query: `COMMIT`}
)

// tryGroup runs each write of the group in the group's transaction and
// commits it, and returns the events it wrote, in revision order. It
// returns an error only for a failure of the whole group: the writes' own
// failures are their results.
func (db *DB) tryGroup(jobs []*job, side bool) ([]jobResult, []roster.Event, error) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	g := &group{db: db, ctx: ctx, side: side}
	var commit func(last []step) error
	if db.pg != nil {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return nil, nil, unavailable(fmt.Errorf("sqlstore: connect: %w", err))
		}
		g.q, g.conn = connQ{conn}, conn
		db.beginLocked(g, jobs)
		ended := false
		defer func() {
			if !ended {
				rollbackLocked(conn)
			}
		}()
		commit = func(last []step) error {
			ended = true
			if err := g.pipe(append(last, commitStep)...); err != nil {
				discard(conn)
				return err
			}
			return conn.Close()
		}
	} else {
		t, err := db.write.BeginTx(ctx, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("sqlstore: begin: %w", err)
		}
		defer t.Rollback()
		g.q, g.tx = sqlTx{t}, t
		commit = func(last []step) error {
			if err := g.pipe(last...); err != nil {
				return err
			}
			return t.Commit()
		}
	}
	results := make([]jobResult, len(jobs))
	txs := make([]*Tx, len(jobs))
	var commitNone bool
	var err error
	if g.side {
		err = g.sideBySide(jobs, txs, results)
	} else {
		commitNone, err = g.oneByOne(jobs, txs, results)
	}
	if err != nil {
		return nil, nil, err
	}
	if commitNone {
		return results, nil, nil
	}
	wrote := false
	for _, tx := range txs {
		wrote = wrote || tx != nil && len(tx.events) > 0
	}
	var inserts []step
	var logged func() ([]roster.Event, error)
	if wrote {
		inserts, logged = g.eventSteps(txs)
	}
	if err := commit(inserts); err != nil {
		if g.side && !g.fails(err) {
			// A write's statement failed at the database.
			return nil, nil, errAlone
		}
		return nil, nil, fmt.Errorf("sqlstore: commit: %w", err)
	}
	var events []roster.Event
	var at roster.Revision
	if wrote {
		if events, err = logged(); err != nil {
			// The group committed: the index reads what it wrote.
			db.committed(0, nil)
		} else if len(events) > 0 {
			at = events[len(events)-1].Revision
		}
	} else {
		at, err = currentRevision(ctx, db.read)
	}
	if err != nil {
		return nil, nil, err
	}
	for i, tx := range txs {
		if tx != nil {
			// A write that changed nothing is visible at the group's
			// revision.
			results[i].rev = tx.rev
			if tx.rev == 0 {
				results[i].rev = at
			}
		}
	}
	return results, events, nil
}

// oneByOne runs the group's writes one after another, each in a
// savepoint of its own unless it is alone, and fills in the
// transaction of each that succeeded and the error of each that failed.
// It returns an error for a failure of the whole group, and reports
// whether there is nothing to commit (a write alone failed).
func (g *group) oneByOne(jobs []*job, txs []*Tx, results []jobResult) (bool, error) {
	alone := len(jobs) == 1
	g.alone = alone
	for i, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		held, sent := len(g.held), g.sent
		if !alone {
			g.later(savepoint)
		}
		tx := g.newTx(j)
		err := j.fn(tx)
		if err == nil && !alone {
			// What the write held back is sent before it counts as done,
			// so that its failure is its own; alone, it goes with the
			// commit, whose failure is the write's.
			err = g.flush()
		}
		if g.err != nil {
			// A statement the write sent failed, whatever it made of that.
			err, g.err = g.err, nil
		}
		if err == nil {
			txs[i] = tx
			if !alone {
				g.later(release)
			}
			continue
		}
		if g.fails(err) {
			return false, err
		}
		results[i].err = err
		switch {
		case alone:
			return true, nil
		case g.sent == sent:
			// The write sent nothing: what it held back is dropped.
			g.held = g.held[:held]
		default:
			// What the write still held back is dropped, and the
			// transaction, which its failure may have aborted, is rolled
			// back to the write's savepoint before another statement
			// goes: an aborted transaction refuses to prepare statements.
			g.held = nil
			if err := g.pipe(rollbackTo, release); err != nil {
				return false, err
			}
		}
	}
	return false, nil
}

// newTx begins a write of the group.
func (g *group) newTx(j *job) *Tx {
	return &Tx{group: g, db: g.db, ctx: g.ctx, now: g.db.now().UTC().Truncate(time.Microsecond), actor: roster.ActorFrom(j.ctx)}
}

// fails reports whether a write's error is the whole group's: a conflict
// to run the group again for, the database unreachable, or the group's
// time up.
func (g *group) fails(err error) bool {
	return g.db.dialect.retryable(err) || roster.ErrorCode(unavailable(err)) == roster.EUNAVAILABLE || g.ctx.Err() != nil
}

// beginLocked holds back, for the group's first pipeline, the beginning of
// its transaction and the advisory lock of each scope the group decides
// by, in order of their ids. Two groups that share scopes take them in the
// same order, so they never wait for each other in a circle. The
// transaction runs READ COMMITTED: each statement after the locks sees
// every commit of the scopes they guard; the commit releases them.
func (db *DB) beginLocked(g *group, jobs []*job) {
	keys := make([]int64, 0, len(jobs))
	for _, j := range jobs {
		for _, scope := range j.scopes {
			keys = append(keys, lockID("roster scope "+db.pg.schema+" "+scope))
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	g.later(step{what: "begin", query: `BEGIN ISOLATION LEVEL READ COMMITTED`})
	// One statement takes the locks in the order of the array.
	g.later(step{what: "scope lock", query: `SELECT pg_advisory_xact_lock(k) FROM unnest(CAST($1 AS BIGINT[])) WITH ORDINALITY AS l(k, ord) ORDER BY ord`,
		args: []any{keys}, scan: func(scanner) error { return nil }})
}

// rollbackLocked rolls the group's transaction back, which releases the
// scope locks, and gives the connection back. A connection that fails to
// is closed, which ends the transaction too.
func rollbackLocked(conn *sql.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		discard(conn)
		return
	}
	conn.Close()
}

// discard closes a connection that may still hold locks or a transaction,
// rather than giving it back to the pool.
func discard(conn *sql.Conn) {
	conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}
