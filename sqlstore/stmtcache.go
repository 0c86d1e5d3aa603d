package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// SQLite parses every statement it is not given prepared, and parsing
// costs a write more than running it. So on SQLite each statement a write
// runs is prepared once on the write connection, and kept: the group runs
// it through its transaction (Tx.StmtContext reuses what the connection
// prepared). A statement seen for the first time is prepared in the
// group's transaction, and on the connection once the group has ended and
// the connection is free. PostgreSQL's driver keeps its own cache of the
// statements it prepared on each connection.

// stmtCache holds the statements prepared on SQLite's write connection. Only
// the one committer uses it.
type stmtCache struct {
	prepared map[string]*sql.Stmt
	// seen are the statements the group ran that are not prepared yet.
	seen []string
}

// maxCached bounds the statements kept: statements are made of a few
// hundred texts, but a list's placeholders make each length a text of its
// own.
const maxCached = 2000

// stmt returns the group's statement for query, or nil where the engine
// keeps its own (PostgreSQL) or the statement cannot be prepared, for the
// caller to run the query as it stands.
func (g *group) stmt(query string) *sql.Stmt {
	c := g.db.stmts
	if c == nil {
		return nil
	}
	if st, ok := g.stmts[query]; ok {
		return st
	}
	var st *sql.Stmt
	if kept, ok := c.prepared[query]; ok {
		st = g.tx.StmtContext(g.ctx, kept)
	} else {
		var err error
		if st, err = g.tx.PrepareContext(g.ctx, query); err != nil {
			return nil
		}
		if len(c.prepared)+len(c.seen) < maxCached {
			c.seen = append(c.seen, query)
		}
	}
	if g.stmts == nil {
		g.stmts = map[string]*sql.Stmt{}
	}
	g.stmts[query] = st
	return st
}

// keep prepares the statements the last group saw, once it has ended. A
// statement that cannot be prepared stays unprepared.
func (db *DB) keep() {
	c := db.stmts
	if c == nil || len(c.seen) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, q := range c.seen {
		if _, ok := c.prepared[q]; ok {
			continue
		}
		if st, err := db.write.PrepareContext(ctx, q); err == nil {
			c.prepared[q] = st
		}
	}
	c.seen = c.seen[:0]
}

// The group's statements run on its context, whatever context their
// callers pass, so that one caller giving up does not break the
// transaction the others share; and after the statements held back.

func (g *group) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	if err := g.flush(); err != nil {
		return nil, err
	}
	if st := g.stmt(query); st != nil {
		res, err := st.ExecContext(g.ctx, args...)
		return res, unavailable(err)
	}
	return g.q.ExecContext(g.ctx, query, args...)
}

func (g *group) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := g.flush(); err != nil {
		return nil, err
	}
	if st := g.stmt(query); st != nil {
		rows, err := st.QueryContext(g.ctx, args...)
		return rows, unavailable(err)
	}
	return g.q.QueryContext(g.ctx, query, args...)
}

// QueryRowContext cannot answer a failure of what was held back: the
// write that runs it meets that failure when it ends (see tryGroup).
func (g *group) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	g.flush()
	if st := g.stmt(query); st != nil {
		return st.QueryRowContext(g.ctx, args...)
	}
	return g.q.QueryRowContext(g.ctx, query, args...)
}
