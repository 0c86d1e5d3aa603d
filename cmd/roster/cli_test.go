package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestCLI runs the scripts of testdata/script: sessions of the client
// commands against a real server, each in a home of its own (for roster
// login's profiles), with ROSTER_URL set and the admin key in ADMIN_KEY.
func TestCLI(t *testing.T) {
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	r := MustServe(t, "--data-dir", t.TempDir())
	testscript.Run(t, testscript.Params{
		Dir: filepath.Join("testdata", "script"),
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exits CODE COMMAND ARGS... runs the command and wants that
			// exit code.
			// sleep DURATION lets a command in the background get going.
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				d, err := time.ParseDuration(args[0])
				if err != nil || neg {
					ts.Fatalf("usage: sleep DURATION")
				}
				time.Sleep(d)
			},
			"exits": func(ts *testscript.TestScript, neg bool, args []string) {
				want, err := strconv.Atoi(args[0])
				if err != nil || neg || len(args) < 2 {
					ts.Fatalf("usage: exits CODE COMMAND ARGS...")
				}
				got := 0
				var exit *exec.ExitError
				if err := ts.Exec(args[1], args[2:]...); errors.As(err, &exit) {
					got = exit.ExitCode()
				} else if err != nil {
					ts.Fatalf("%v", err)
				}
				if got != want {
					ts.Fatalf("exit code %d, want %d", got, want)
				}
			},
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("ROSTER_URL", r.URL)
			env.Setenv("ADMIN_KEY", "a-long-enough-admin-key")
			env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
	})
}
