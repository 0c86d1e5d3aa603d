package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// openSQLite opens the SQLite file at path. Writes go through one
// connection, so they are serialized and their revisions follow commit
// order; reads use a pool of their own and run beside them (WAL). The
// journal of a group's savepoints stays in memory.
func openSQLite(path string, opt Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlstore: no database path")
	}
	pragmas := url.Values{}
	for _, p := range []string{"foreign_keys(1)", "journal_mode(WAL)", "busy_timeout(10000)", "synchronous(FULL)", "temp_store(MEMORY)"} {
		pragmas.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + pragmas.Encode()
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	read.SetMaxIdleConns(8)
	if err := write.Ping(); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlstore: open %s: %w", path, err)
	}
	d := sqliteDialect
	return &DB{dialect: d, write: pool{write}, read: pool{read}, now: opt.Now, stmts: &stmtCache{prepared: map[string]*sql.Stmt{}}}, nil
}
