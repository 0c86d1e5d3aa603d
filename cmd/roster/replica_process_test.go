package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// runMainEnv set to 1 makes the test binary run as the roster command
// (main) instead of running the tests: the replica tests start real `roster
// serve` processes that way.
const runMainEnv = "ROSTER_TEST_RUN_MAIN"

// exitOnStdinEOFEnv set to 1 makes such a process exit when its standard
// input closes, which happens when the test process that started it dies
// without stopping it (a panic, a test timeout).
const exitOnStdinEOFEnv = "ROSTER_TEST_EXIT_ON_STDIN_EOF"

func TestMain(m *testing.M) {
	if dir := os.Getenv(runReceiverEnv); dir != "" {
		runReceiver(dir)
		os.Exit(0)
	}
	if os.Getenv(runMainEnv) == "1" {
		if os.Getenv(exitOnStdinEOFEnv) == "1" {
			go func() {
				io.Copy(io.Discard, os.Stdin)
				fmt.Fprintln(os.Stderr, "roster (test child): the test process is gone; exiting")
				os.Exit(3)
			}()
		}
		main() // exits 2 on an error
		os.Exit(0)
	}
	// The scripts of the client commands (cli_test.go) run this binary as
	// roster.
	testscript.Main(withDatabases{m}, map[string]func(){
		"roster": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// withDatabases runs the tests, then drops the PostgreSQL databases they
// made (sqltest.Main).
type withDatabases struct{ m *testing.M }

func (w withDatabases) Run() int { return sqltest.Main(w.m) }

// replicaAdminKey is the admin key every replica of a test shares.
const replicaAdminKey = "replica-test-admin-key-0123456789"

// replica is a `roster serve` child process.
type replica struct {
	name string
	URL  string
	// log holds what the process wrote to stdout and stderr.
	log  *syncBuffer
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
	err  error         // what Wait returned, once done is closed
}

// spawnReplica starts `roster serve` on the database as a child process,
// without waiting for it to listen. The process is killed when the test
// ends, and its log printed if the test failed.
func spawnReplica(t *testing.T, name, dsn, dataDir string, args ...string) *replica {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--data-dir", dataDir}, args...)
	cmd := exec.CommandContext(t.Context(), exe, args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1", exitOnStdinEOFEnv+"=1", "ROSTER_ADMIN_KEY="+replicaAdminKey,
		// Under -race, a process otherwise sleeps 1 s as it exits.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.Cancel = func() error { return cmd.Process.Kill() }
	cmd.WaitDelay = 5 * time.Second
	r := &replica{name: name, log: &syncBuffer{}, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = r.log, r.log
	// The pipe stays open for as long as this process lives.
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting replica %s: %v", name, err)
	}
	go func() {
		r.err = cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			cmd.Process.Kill()
			select {
			case <-r.done:
			case <-time.After(10 * time.Second):
				t.Errorf("replica %s (pid %d) did not exit when killed", name, cmd.Process.Pid)
			}
		}
		if log := r.log.String(); strings.Contains(log, "DATA RACE") {
			t.Errorf("replica %s: the race detector reported a data race", name)
		} else if strings.Contains(log, "level=ERROR") {
			t.Errorf("replica %s: got errors in its log, want none", name)
		}
		if t.Failed() {
			shown := strings.ReplaceAll(strings.Join(args, " "), dsn, redacted(dsn))
			t.Logf("replica %s (%s) log:\n%s", name, shown, r.log)
		}
	})
	return r
}

// servingAddr matches the log line that gives the address served.
var servingAddr = regexp.MustCompile(`msg="roster is serving".* addr=(http://[0-9.:]+)`)

// waitReady waits until the replica logs its address and answers /readyz.
func (r *replica) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for r.URL == "" {
		if m := servingAddr.FindStringSubmatch(r.log.String()); m != nil {
			r.URL = m[1]
			break
		}
		select {
		case <-r.done:
			t.Fatalf("replica %s exited before serving: %v\n%s", r.name, r.err, r.log)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s did not log its address within 60 s:\n%s", r.name, r.log)
		}
	}
	for {
		resp, err := http.Get(r.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s: /readyz did not answer 200 within 60 s (last: %v, %v)", r.name, resp, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startReplica starts a replica and waits until it is ready.
func startReplica(t *testing.T, name, dsn, dataDir string, args ...string) *replica {
	t.Helper()
	r := spawnReplica(t, name, dsn, dataDir, args...)
	r.waitReady(t)
	return r
}

// kill kills the process with SIGKILL, as kill -9 does, and waits for it
// to be gone.
func (r *replica) kill(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("replica %s: SIGKILL: %v", r.name, err)
	}
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("replica %s did not die within 10 s of SIGKILL", r.name)
	}
}

// stop sends SIGTERM and waits for the process to exit, which it must do
// cleanly.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("replica %s: SIGTERM: %v", r.name, err)
	}
	select {
	case <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("replica %s did not exit within 30 s of SIGTERM", r.name)
	}
	if r.err != nil {
		t.Fatalf("replica %s after SIGTERM: got %v, want exit status 0", r.name, r.err)
	}
	if !strings.Contains(r.log.String(), `msg=stopped`) {
		t.Fatalf("replica %s after SIGTERM: got no \"stopped\" log line", r.name)
	}
}
