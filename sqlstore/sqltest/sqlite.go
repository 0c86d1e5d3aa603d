package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster/sqlstore"
)

var sqliteTemplate struct {
	once  sync.Once
	image []byte
	err   error
}

// sqliteImage returns the bytes of a SQLite file on which sqlstore.Open
// ran, made once per test binary.
func sqliteImage() ([]byte, error) {
	t := &sqliteTemplate
	t.once.Do(func() {
		t.image, t.err = makeSQLiteImage()
		if t.err != nil {
			t.err = fmt.Errorf("the SQLite template: %w", t.err)
		}
	})
	return t.image, t.err
}

func makeSQLiteImage() ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "roster-sqltest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	db, err := sqlstore.Open(ctx, path, sqlstore.Options{})
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	return sqliteFile(ctx, path)
}

// sqliteFile returns the bytes of the SQLite database at path, on which no
// store is open, its log moved into the file.
func sqliteFile(ctx context.Context, path string) ([]byte, error) {
	// The last connection to close has moved the log into the file; make
	// sure of it, so that the file alone holds everything.
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return nil, err
	}
	var busy, logFrames, moved int
	err = raw.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &moved)
	if cerr := raw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if busy != 0 {
		return nil, fmt.Errorf("checkpoint: the database is busy")
	}
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("checkpoint: %s-wal still holds %d bytes", path, fi.Size())
	}
	return os.ReadFile(path)
}

// sqliteCopy writes image to a new file for the test and returns its path.
func sqliteCopy(tb testing.TB, image []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "roster.db")
	if err := os.WriteFile(path, image, 0o644); err != nil {
		tb.Fatalf("sqltest: %v", err)
	}
	return path
}
