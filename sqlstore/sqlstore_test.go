package sqlstore_test

import (
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"github.com/rosterhq/roster/storetest"
)

// TestStore runs the conformance suite on each engine, on a fresh database
// per test, its checks answered by an index following the store. The
// engines, and the cases, run in parallel.
func TestStore(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		t.Parallel()
		storetest.Run(t, func(t testing.TB, now roster.Clock) roster.Service {
			t.Helper()
			db := e.Open(t, sqlstore.Options{Now: now})
			ix, err := index.Open(t.Context(), db, index.Options{Now: now})
			if err != nil {
				t.Fatalf("index.Open: %v", err)
			}
			t.Cleanup(func() { ix.Close() })
			return index.NewService(db, ix)
		})
	})
}
