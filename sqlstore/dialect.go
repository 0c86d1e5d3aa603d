package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/rosterhq/roster"
)

// dialect holds what differs between the engines. The store's SQL is written
// once, with $1, $2, … placeholders (which both drivers take), in the subset
// both engines share.
type dialect struct {
	name  string
	goose goose.Dialect
	// arrays passes many rows as one array per column, not as one JSON
	// array of rows (see rows).
	arrays bool
	// maxRows bounds the rows one statement passes.
	maxRows int
	// committers is how many groups of writes a process commits at once.
	committers int
	// read is the isolation level of read-only transactions.
	read sql.IsolationLevel
	// isUnique reports a unique or primary-key violation.
	isUnique func(error) bool
	// retryable reports a failure that running the transaction again may
	// not meet.
	retryable func(error) bool
}

var sqliteDialect = &dialect{
	name:    "sqlite",
	goose:   goose.DialectSQLite3,
	maxRows: 500,
	// One connection writes.
	committers: 1,
	isUnique: func(err error) bool {
		var se *sqlite.Error
		if !errors.As(err, &se) {
			return false
		}
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	// Writes are serialized by the one write connection.
	retryable: func(error) bool { return false },
}

var postgresDialect = &dialect{
	name:    "postgres",
	goose:   goose.DialectPostgres,
	arrays:  true,
	maxRows: 1 << 20,
	// One committer gathers every waiting write; the role changes of a
	// group run side by side (see sideBySide). With 1, 2 and 4
	// committers single writes gave 0.14-0.20, 0.13-0.18 and 0.11-0.12
	// of pgbench's commits.
	committers: 1,
	// A group of writes begins READ COMMITTED, under the locks of its
	// scopes (see beginLocked).
	read: sql.LevelRepeatableRead,
	isUnique: func(err error) bool {
		return pgCode(err) == "23505"
	},
	// A serialization failure, a deadlock, or a foreign key that a
	// concurrent group's change broke: running the group again decides
	// from what that change left.
	retryable: func(err error) bool {
		code := pgCode(err)
		return code == "40001" || code == "40P01" || code == "23503"
	},
}

// unavailable turns an error that says the database cannot be reached, or
// that the connection broke, into EUNAVAILABLE, and returns others as they
// are. The caller's context ending is not the database's fault.
func unavailable(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	code := pgCode(err)
	if errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.HasPrefix(code, "08") || strings.HasPrefix(code, "57P") {
		return roster.Errorf(roster.EUNAVAILABLE, "the database cannot be reached: try again")
	}
	return err
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// rows returns a FROM item holding n rows of text values, one slice per
// column ([]string, or []*string where nil is NULL), with the columns
// named column1, column2, …, and ord, each row's place; and the arguments
// it takes, whose placeholders start at $first. A query that needs the
// rows in order orders them by ord. PostgreSQL takes
// an array per column; SQLite one JSON array of the rows (it looks up the
// name of each placeholder it binds in a list, so that a statement of
// many placeholders costs their square).
func (d *dialect) rows(first, n int, columns ...any) (string, []any) {
	names := make([]string, len(columns))
	for i := range columns {
		names[i] = "column" + strconv.Itoa(i+1)
	}
	if d.arrays {
		arrays := make([]string, len(columns))
		for i := range columns {
			arrays[i] = "CAST($" + strconv.Itoa(first+i) + " AS TEXT[])"
		}
		return "unnest(" + strings.Join(arrays, ", ") + ") WITH ORDINALITY AS v(" + strings.Join(names, ", ") + ", ord)", columns
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, len(columns))
		for j, c := range columns {
			switch c := c.(type) {
			case []string:
				rows[i][j] = c[i]
			case []*string:
				if c[i] != nil {
					rows[i][j] = *c[i]
				}
			}
		}
	}
	doc, err := json.Marshal(rows)
	if err != nil {
		panic(err) // strings and nils always marshal
	}
	cols := make([]string, len(columns))
	for i, name := range names {
		cols[i] = "value ->> " + strconv.Itoa(i) + " AS " + name
	}
	return "(SELECT " + strings.Join(cols, ", ") + ", key AS ord FROM json_each($" + strconv.Itoa(first) + "))", []any{string(doc)}
}

// The wrappers below report a database out of reach as EUNAVAILABLE; a
// single row's error is translated where it is scanned (notFound).

// pool is a connection pool.
type pool struct{ *sql.DB }

func (p pool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := p.DB.ExecContext(ctx, query, args...)
	return res, unavailable(err)
}

func (p pool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := p.DB.QueryContext(ctx, query, args...)
	return rows, unavailable(err)
}

func (p pool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.DB.QueryRowContext(ctx, query, args...)
}

// connQ is a connection.
type connQ struct{ *sql.Conn }

func (c connQ) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := c.Conn.ExecContext(ctx, query, args...)
	return res, unavailable(err)
}

func (c connQ) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := c.Conn.QueryContext(ctx, query, args...)
	return rows, unavailable(err)
}

func (c connQ) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.Conn.QueryRowContext(ctx, query, args...)
}

// sqlTx is a transaction.
type sqlTx struct{ *sql.Tx }

func (t sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := t.Tx.ExecContext(ctx, query, args...)
	return res, unavailable(err)
}

func (t sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	rows, err := t.Tx.QueryContext(ctx, query, args...)
	return rows, unavailable(err)
}

func (t sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, query, args...)
}
