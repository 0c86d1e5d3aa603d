package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// Tx is one write in its group's transaction. Its events share its time
// and actor, and are written when the group commits.
type Tx struct {
	group *group
	db    *DB
	ctx   context.Context
	now   time.Time
	actor roster.Actor
	// events are written at commit; rev is the revision of the last.
	events []pendingEvent
	rev    roster.Revision
	// defaults caches each community's default roles for joins.
	defaults map[string][]roster.Role
	// wave is set when the write runs beside others (see sideBySide);
	// held are then the statements it holds back.
	wave *wave
	held []step
}

// later holds a statement of the write back until its next one, or its
// end (see group.later).
func (tx *Tx) later(s step) {
	if tx.wave != nil {
		tx.held = append(tx.held, s)
		return
	}
	tx.group.later(s)
}

// readBack holds back statements reading what the write returns, for the
// commit, when the write's failure then is its own: alone in its group,
// or beside others, which hold back their writes. It reports whether it
// did; otherwise the caller sends them.
func (tx *Tx) readBack(steps []step) bool {
	if !tx.group.alone && tx.wave == nil {
		return false
	}
	for _, s := range steps {
		tx.later(s)
	}
	return true
}

// errBeside is the error of a statement a write running beside others
// sends outside a pipeline: the connection is the group's.
var errBeside = errors.New("sqlstore: a write running beside others sent a statement outside a pipeline")

// ExecContext runs a statement in the group's transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if tx.wave != nil {
		return nil, errBeside
	}
	return tx.group.ExecContext(ctx, query, args...)
}

// QueryContext runs a query in the group's transaction.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if tx.wave != nil {
		return nil, errBeside
	}
	return tx.group.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a query of one row in the group's transaction; a
// write running beside others must not call it (see updateChange).
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.group.QueryRowContext(ctx, query, args...)
}

// exec runs a statement.
func (tx *Tx) exec(query string, args ...any) error {
	_, err := tx.ExecContext(tx.ctx, query, args...)
	return err
}

// updateScope is update in a transaction in which scope exists, for an
// actor whose key reaches it; fn receives the scope's owner ("" for none).
func (db *DB) updateScope(ctx context.Context, scope string, fn func(tx *Tx, owner string) error, also ...string) (roster.Revision, error) {
	return db.updateReached(ctx, scope, func(tx *Tx) error {
		owner, err := scopeOwner(tx.ctx, tx, scope)
		if err != nil {
			return err
		}
		return fn(tx, owner)
	}, also...)
}

// updateReached is update for an actor whose key reaches scope; fn checks
// that scope exists.
func (db *DB) updateReached(ctx context.Context, scope string, fn func(tx *Tx) error, also ...string) (roster.Revision, error) {
	if err := authz.Reach(roster.ActorFrom(ctx), scope); err != nil {
		return 0, err
	}
	return db.update(ctx, scope, fn, also...)
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
