package sqlstore_test

import (
	"path/filepath"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/storetest"
)

// TestStore runs the conformance suite on a fresh SQLite file per test.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t testing.TB, now roster.Clock) roster.Store {
		t.Helper()
		db, err := sqlstore.Open(t.Context(), filepath.Join(t.TempDir(), "roster.db"), sqlstore.Options{Now: now})
		if err != nil {
			t.Fatalf("sqlstore.Open: %v", err)
		}
		t.Cleanup(func() {
			if err := db.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return db
	})
}
