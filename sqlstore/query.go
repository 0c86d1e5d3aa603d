package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// scanner is a row to scan: *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// each runs a query and calls fn on each row, in order. what names the
// query in errors.
func each(ctx context.Context, q querier, what, query string, args []any, fn func(scanner) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return fmt.Errorf("sqlstore: %s: %w", what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", what, unavailable(err))
	}
	return nil
}

// collect runs a query and returns its rows as scan reads them: an empty
// slice, never nil, when there are none.
func collect[T any](ctx context.Context, q querier, what, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	var out []T
	if err := pipe(ctx, q, rowsOf(&out, what, query, args, scan)); err != nil {
		return nil, err
	}
	return out, nil
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(ctx context.Context, q querier, what, query string, args ...any) ([]string, error) {
	return collect(ctx, q, what, query, args, scanString)
}

// scanString scans a row of one text column.
func scanString(s scanner) (string, error) {
	var v string
	err := s.Scan(&v)
	return v, err
}

// placeholders returns "$first, $first+1, …" for n arguments: a variable
// IN list.
func placeholders(first, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(first + i))
	}
	return b.String()
}

// anys converts strings to query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// querier is what both a transaction and a pool offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
