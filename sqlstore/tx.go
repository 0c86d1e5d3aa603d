package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// Tx is one service call's write transaction. Its events share its time and
// actor, and are written when it commits.
type Tx struct {
	sqlTx
	db    *DB
	ctx   context.Context
	now   time.Time
	actor roster.Actor
	// events are written at commit; rev is the revision of the last.
	events []pendingEvent
	rev    roster.Revision
	// stmts holds the statements prepared for statements a call runs many
	// times (one per pair of a batch); they close with the transaction.
	stmts map[string]*sql.Stmt
	// defaults caches each community's default roles for joins.
	defaults map[string][]roster.Role
}

// prepared returns the transaction's prepared statement for query.
func (tx *Tx) prepared(query string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[query]; ok {
		return st, nil
	}
	st, err := tx.PrepareContext(tx.ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: prepare: %w", err)
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, nil
}

// exec runs a prepared statement.
func (tx *Tx) exec(query string, args ...any) error {
	st, err := tx.prepared(query)
	if err == nil {
		_, err = st.ExecContext(tx.ctx, args...)
	}
	return err
}

// maxAttempts bounds how often a write is tried when it keeps conflicting
// with concurrent writes.
const maxAttempts = 12

// update runs fn in a write transaction and commits it. When the database
// reports that the transaction conflicted with concurrent ones, it runs it
// again, a bounded number of times: fn must only set its results, never
// accumulate them.
func (db *DB) update(ctx context.Context, fn func(tx *Tx) error) (roster.Revision, error) {
	for attempt := 1; ; attempt++ {
		rev, err := db.attempt(ctx, fn)
		if err == nil || !db.dialect.retryable(err) {
			return rev, unavailable(err)
		}
		if attempt == maxAttempts {
			return 0, roster.Errorf(roster.EWRITECONFLICT, "the change conflicted with concurrent changes %d times; send it again", attempt)
		}
		// Exponential backoff from 1 ms to 64 ms, jittered.
		wait := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
}

// updateScope is update in a transaction in which scope exists, for an
// actor whose key reaches it; fn receives the scope's owner ("" for none).
func (db *DB) updateScope(ctx context.Context, scope string, fn func(tx *Tx, owner string) error) (roster.Revision, error) {
	if err := authz.Reach(roster.ActorFrom(ctx), scope); err != nil {
		return 0, err
	}
	return db.update(ctx, func(tx *Tx) error {
		owner, err := scopeOwner(tx.ctx, tx, scope)
		if err != nil {
			return err
		}
		return fn(tx, owner)
	})
}

func (db *DB) attempt(ctx context.Context, fn func(tx *Tx) error) (roster.Revision, error) {
	t, err := db.write.BeginTx(ctx, &sql.TxOptions{Isolation: db.dialect.write})
	if err != nil {
		return 0, fmt.Errorf("sqlstore: begin: %w", err)
	}
	tx := &Tx{sqlTx: sqlTx{t}, db: db, ctx: ctx, now: db.now().UTC().Truncate(time.Microsecond), actor: roster.ActorFrom(ctx)}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return 0, err
	}
	return tx.commit()
}

// view runs fn in a read-only transaction: one consistent view of the
// data, rolled back when fn returns.
func (db *DB) view(ctx context.Context, fn func(tx sqlTx) error) error {
	t, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: db.dialect.read})
	if err != nil {
		return unavailable(fmt.Errorf("sqlstore: begin read: %w", err))
	}
	defer t.Rollback()
	return fn(sqlTx{t})
}

// viewScope is view in a transaction in which scope exists, for an actor
// whose key reaches it; fn receives the scope's owner ("" for none).
func (db *DB) viewScope(ctx context.Context, scope string, fn func(tx sqlTx, owner string) error) error {
	if err := authz.Reach(roster.ActorFrom(ctx), scope); err != nil {
		return err
	}
	return db.view(ctx, func(tx sqlTx) error {
		owner, err := scopeOwner(ctx, tx, scope)
		if err != nil {
			return err
		}
		return fn(tx, owner)
	})
}

// commit writes the events and commits, and returns the revision the change
// is visible at: that of its last event, or the current one when it changed
// nothing. When it wrote events, the commit hooks run before it returns.
func (tx *Tx) commit() (roster.Revision, error) {
	if err := tx.writeEvents(); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlstore: commit: %w", err)
	}
	if tx.rev == 0 {
		return currentRevision(tx.ctx, tx.db.read)
	}
	tx.db.committed(tx.rev)
	return tx.rev, nil
}

// pendingEvent is an audit event waiting for its transaction's commit.
type pendingEvent struct {
	scope, action, targetType, targetID string
	before, after                       *string
}

// event appends one audit event. before and after are marshalled to JSON;
// nil stays SQL NULL.
func (tx *Tx) event(scope, action, targetType, targetID string, before, after any) error {
	b, err := jsonOrNull(before)
	if err != nil {
		return err
	}
	a, err := jsonOrNull(after)
	if err != nil {
		return err
	}
	tx.events = append(tx.events, pendingEvent{scope, action, targetType, targetID, b, a})
	return nil
}

// writeEvents inserts the transaction's events, many per statement, and
// tells listeners of the new revision when the engine has them. The events
// are written last, after the log is locked where writers run concurrently,
// so that no transaction holding a lower revision commits after a higher
// one is visible: a reader of the log never skips an event.
func (tx *Tx) writeEvents() error {
	if len(tx.events) == 0 {
		return nil
	}
	if tx.db.pg != nil {
		// Writers run concurrently there. A transaction-scoped advisory
		// lock, named for the schema, is released only once the commit is
		// visible.
		if _, err := tx.ExecContext(tx.ctx, `SELECT pg_advisory_xact_lock($1)`, tx.db.pg.logLock); err != nil {
			return fmt.Errorf("sqlstore: audit: %w", err)
		}
	}
	for events := range slices.Chunk(tx.events, tx.db.dialect.maxRows) {
		n := len(events)
		scopes, actions, types, targets := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		befores, afters := make([]*string, n), make([]*string, n)
		for i, e := range events {
			scopes[i], actions[i], types[i], targets[i], befores[i], afters[i] = e.scope, e.action, e.targetType, e.targetID, e.before, e.after
		}
		from, args := tx.db.dialect.rows(5, n, scopes, actions, types, targets, befores, afters)
		err := each(tx.ctx, tx, "audit", `INSERT INTO audit_events
			(at, actor_key, actor_user, request_id, scope, action, target_type, target_id, before, after)
			SELECT CAST($1 AS BIGINT), CAST($2 AS TEXT), CAST($3 AS TEXT), CAST($4 AS TEXT), column1, column2, column3, column4, column5, column6
			FROM `+from+` WHERE true`+tx.db.dialect.ordinal+`
			RETURNING revision`, append([]any{micros(tx.now), tx.actor.KeyID, tx.actor.UserID, tx.actor.RequestID}, args...), func(s scanner) error {
			var rev roster.Revision
			err := s.Scan(&rev)
			tx.rev = max(tx.rev, rev)
			return err
		})
		if err != nil {
			return err
		}
	}
	return tx.db.notify(tx)
}

func jsonOrNull(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: audit payload: %w", err)
	}
	s := string(b)
	return &s, nil
}

func currentRevision(ctx context.Context, q querier) (roster.Revision, error) {
	var rev roster.Revision
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(revision), 0) FROM audit_events`).Scan(&rev); err != nil {
		return 0, fmt.Errorf("sqlstore: revision: %w", err)
	}
	return rev, nil
}

// micros stores a time as Unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros reads a time stored as Unix microseconds.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros stores an optional time.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// timePtr reads an optional time.
func timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}

// strPtr reads an optional string, where NULL and the empty string are none.
func strPtr(s sql.NullString) *string {
	if !s.Valid || s.String == "" {
		return nil
	}
	return &s.String
}

// nullStr stores an optional string, the empty string as NULL.
func nullStr(s *string) any {
	if s == nil || *s == "" {
		return nil
	}
	return *s
}

// notFound turns sql.ErrNoRows into the given domain error and wraps others.
func notFound(err error, code, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return roster.Errorf(code, format, args...)
	}
	return unavailable(fmt.Errorf("sqlstore: %w", err))
}

// isUnique reports whether err is a unique or primary-key violation.
func (tx *Tx) isUnique(err error) bool { return tx.db.dialect.isUnique(err) }
