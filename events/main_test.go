package events_test

import (
	"os"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestMain drops the run's PostgreSQL databases when it ends.
func TestMain(m *testing.M) { os.Exit(sqltest.Main(m)) }
