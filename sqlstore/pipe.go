package sqlstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL a write's time goes to round trips, not to running its
// statements. So a write gathers the facts it decides by in one pipeline,
// and sends what it writes together with what it reads back; statements
// whose results nobody waits for (the group's BEGIN and scope locks, a
// write's savepoint, its inserts) wait in the group and go with its next
// statement. On SQLite, in the process, a pipeline runs its statements
// one after another.

// step is one statement of a pipeline; scan, when set, reads each of its
// rows in turn. what names it in errors.
type step struct {
	what, query string
	args        []any
	scan        func(scanner) error
}

// pipe runs the steps in order: in a group's transaction, after the
// statements the group holds back, and on PostgreSQL in one round trip;
// elsewhere one after another.
func pipe(ctx context.Context, q querier, steps ...step) error {
	if tx, ok := q.(*Tx); ok {
		if tx.wave != nil {
			return tx.wave.pipe(tx, steps)
		}
		return tx.group.pipe(steps...)
	}
	return runSteps(ctx, q, steps)
}

// runSteps runs the steps through q one after another.
func runSteps(ctx context.Context, q querier, steps []step) error {
	for _, s := range steps {
		if err := runStep(ctx, q, s); err != nil {
			return err
		}
	}
	return nil
}

// runStep runs one step through q.
func runStep(ctx context.Context, q querier, s step) error {
	if s.scan == nil {
		if _, err := q.ExecContext(ctx, s.query, s.args...); err != nil {
			return fmt.Errorf("sqlstore: %s: %w", s.what, unavailable(err))
		}
		return nil
	}
	return each(ctx, q, s.what, s.query, s.args, s.scan)
}

// later holds a statement back until the group's next one: its failure
// is the failure of the write that runs that one, or of the write itself
// when it runs none (tryGroup sends what a write held back before the
// write ends).
func (g *group) later(s step) { g.held = append(g.held, s) }

// flush sends the statements held back. A failure stays the group's
// failure: every statement after it fails too.
func (g *group) flush() error {
	if g.err == nil && len(g.held) > 0 {
		g.err = g.pipe()
	}
	return g.err
}

// pipe runs the held-back statements and then the steps.
func (g *group) pipe(steps ...step) error {
	if g.err != nil {
		return g.err
	}
	all := steps
	if len(g.held) > 0 {
		all = append(g.held, steps...)
		g.held = nil
	}
	if len(all) == 0 {
		return nil
	}
	g.sent++
	if g.conn == nil {
		g.err = runSteps(g.ctx, g, all)
		return g.err
	}
	err := g.conn.Raw(func(dc any) error {
		b := &pgx.Batch{}
		for _, s := range all {
			b.Queue(s.query, s.args...)
		}
		res := dc.(*stdlib.Conn).Conn().SendBatch(g.ctx, b)
		for _, s := range all {
			if err := readStep(res, s); err != nil {
				res.Close()
				return err
			}
		}
		return unavailable(res.Close())
	})
	if err != nil {
		// The transaction is aborted, or the connection is gone.
		g.err = err
	}
	return err
}

// readStep reads one step's results from a batch.
func readStep(res pgx.BatchResults, s step) error {
	if s.scan == nil {
		if _, err := res.Exec(); err != nil {
			return fmt.Errorf("sqlstore: %s: %w", s.what, unavailable(err))
		}
		return nil
	}
	rows, err := res.Query()
	if err != nil {
		return fmt.Errorf("sqlstore: %s: %w", s.what, unavailable(err))
	}
	defer rows.Close()
	for rows.Next() {
		if err := s.scan(rows); err != nil {
			return fmt.Errorf("sqlstore: %s: %w", s.what, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: %s: %w", s.what, unavailable(err))
	}
	return nil
}

// rowsOf is a step reading rows with scan into a slice.
func rowsOf[T any](out *[]T, what, query string, args []any, scan func(scanner) (T, error)) step {
	*out = []T{}
	return step{what: what, query: query, args: args, scan: func(s scanner) error {
		v, err := scan(s)
		*out = append(*out, v)
		return err
	}}
}
