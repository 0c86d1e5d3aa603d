package main

import (
	"os"
	"testing"
)

// runMainEnv set to 1 makes the test binary run as the command (main)
// instead of running the tests: --compare-bare starts its bare server as
// this executable, which in a test is the test binary.
const runMainEnv = "ROSTER_BENCH_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main() // exits 2 on an error
		os.Exit(0)
	}
	os.Exit(m.Run())
}
