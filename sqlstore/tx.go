package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// querier is what both a transaction and a pool offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is one service call's write transaction. Its events share its time and
// actor.
type Tx struct {
	*sql.Tx
	db    *DB
	ctx   context.Context
	now   time.Time
	actor roster.Actor
	// rev is the revision of the last event written.
	rev roster.Revision
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

func (db *DB) begin(ctx context.Context) (*Tx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: begin: %w", err)
	}
	return &Tx{Tx: tx, db: db, ctx: ctx, now: db.now().UTC().Truncate(time.Microsecond), actor: roster.ActorFrom(ctx)}, nil
}

// readTx begins a read-only transaction: one consistent view of the data.
func (db *DB) readTx(ctx context.Context) (*sql.Tx, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlstore: begin read: %w", err)
	}
	return tx, nil
}

// readScope begins a read-only transaction in which scope exists, and
// returns the scope's owner ("" for none). The caller rolls it back.
func (db *DB) readScope(ctx context.Context, scope string) (*sql.Tx, string, error) {
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, "", err
	}
	owner, err := scopeOwner(ctx, tx, scope)
	if err != nil {
		tx.Rollback()
		return nil, "", err
	}
	return tx, owner, nil
}

// beginScope begins a write transaction in which scope exists, and returns
// the scope's owner ("" for none). The caller rolls it back.
func (db *DB) beginScope(ctx context.Context, scope string) (*Tx, string, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, "", err
	}
	owner, err := scopeOwner(ctx, tx, scope)
	if err != nil {
		tx.Rollback()
		return nil, "", err
	}
	return tx, owner, nil
}

// commit commits and returns the revision the change is visible at: that of
// its last event, or the current one when it changed nothing. When it wrote
// events, the commit hooks run before it returns.
func (tx *Tx) commit() (roster.Revision, error) {
	rev := tx.rev
	if rev == 0 {
		var err error
		if rev, err = currentRevision(tx.ctx, tx); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlstore: commit: %w", err)
	}
	if tx.rev != 0 {
		tx.db.committed(tx.rev)
	}
	return rev, nil
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
	st, err := tx.prepared(`INSERT INTO audit_events
		(at, actor_key, actor_user, request_id, scope, action, target_type, target_id, before, after)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING revision`)
	if err != nil {
		return err
	}
	err = st.QueryRowContext(tx.ctx, micros(tx.now), tx.actor.KeyID, tx.actor.UserID, tx.actor.RequestID,
		scope, action, targetType, targetID, b, a).Scan(&tx.rev)
	if err != nil {
		return fmt.Errorf("sqlstore: audit: %w", err)
	}
	return nil
}

func jsonOrNull(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: audit payload: %w", err)
	}
	return string(b), nil
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

// isUnique reports whether err is a unique or primary-key violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// notFound turns sql.ErrNoRows into the given domain error and wraps others.
func notFound(err error, code, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return roster.Errorf(code, format, args...)
	}
	return fmt.Errorf("sqlstore: %w", err)
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("sqlstore: %w", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: %w", err)
	}
	return out, nil
}

// placeholders returns "?, ?, …" for n arguments.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// anys converts strings to query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
