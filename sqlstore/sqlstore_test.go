package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/storetest"
)

// TestStore runs the conformance suite on a fresh SQLite file per test, its
// checks answered by an index following the store.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB, now roster.Clock) roster.Service {
		t.Helper()
		db, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "roster.db"), sqlstore.Options{Now: now})
		if err != nil {
			t.Fatalf("sqlstore.Open: %v", err)
		}
		ix, err := index.Open(t.Context(), db, index.Options{Now: now})
		if err != nil {
			t.Fatalf("index.Open: %v", err)
		}
		svc := index.Serve(db, ix)
		t.Cleanup(func() {
			if err := svc.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return svc
	})
}
