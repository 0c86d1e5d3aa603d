package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/rosterhq/roster/jwtauth/jwttest"
)

// syncBuffer is a buffer the server may write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a `roster serve` started by a test.
type running struct {
	URL string
	// MetricsAddr is the address of --metrics-addr, when set.
	MetricsAddr <-chan string
	Stdout      *syncBuffer
	Stderr      *syncBuffer
	stop        context.CancelFunc
	done        chan error
}

// MustServe runs `roster serve` with args plus a loopback port, until the
// test ends or Stop is called.
func MustServe(tb testing.TB, args ...string) *running {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{Stdout: &syncBuffer{}, Stderr: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	m := NewServe(r.Stdout, r.Stderr)
	r.MetricsAddr = m.MetricsAddr
	if err := m.ParseFlags(append([]string{"--addr", "127.0.0.1:0"}, args...)); err != nil {
		tb.Fatal(err)
	}
	go func() {
		defer m.Close()
		r.done <- m.Run(ctx)
	}()
	select {
	case addr := <-m.Addr:
		r.URL = "http://" + addr
	case err := <-r.done:
		tb.Fatalf("serve stopped: %v\n%s", err, r.Stderr)
	case <-time.After(30 * time.Second):
		tb.Fatal("serve did not start listening")
	}
	tb.Cleanup(func() { r.Stop(tb) })
	return r
}

// Stop ends the server as SIGINT would and returns what Run returned.
func (r *running) Stop(tb testing.TB) error {
	tb.Helper()
	r.stop()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(30 * time.Second):
		tb.Fatal("serve did not stop")
		return nil
	}
}

func get(tb testing.TB, url, key string) int {
	tb.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeCreatesTheAdminKeyOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	t.Setenv("ROSTER_ADMIN_KEY", "")
	r := MustServe(t, "--data-dir", dir)
	b, err := os.ReadFile(filepath.Join(dir, "admin.key"))
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(b))
	if !strings.Contains(r.Stdout.String(), key) {
		t.Fatalf("stdout: got %q, want it to show the key", r.Stdout.String())
	}
	info, _ := os.Stat(filepath.Join(dir, "admin.key"))
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("admin.key mode: got %v, want 0600", info.Mode().Perm())
	}
	if got := get(t, r.URL+"/v1/communities", key); got != http.StatusOK {
		t.Fatalf("with the key: got %d, want 200", got)
	}
	if got := get(t, r.URL+"/v1/communities", ""); got != http.StatusUnauthorized {
		t.Fatalf("without a key: got %d, want 401", got)
	}
	if err := r.Stop(t); err != nil {
		t.Fatalf("stop: %v", err)
	}

	again := MustServe(t, "--data-dir", dir)
	if strings.Contains(again.Stdout.String(), "roster_") {
		t.Fatalf("second start: got %q, want no new key shown", again.Stdout.String())
	}
	if got := get(t, again.URL+"/v1/communities", key); got != http.StatusOK {
		t.Fatalf("the first key after a restart: got %d, want 200", got)
	}
}

func TestServeTakesTheAdminKeyFromTheEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	r := MustServe(t, "--data-dir", dir)
	if got := get(t, r.URL+"/v1/communities", "a-long-enough-admin-key"); got != http.StatusOK {
		t.Fatalf("with ROSTER_ADMIN_KEY: got %d, want 200", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "admin.key")); !os.IsNotExist(err) {
		t.Fatalf("admin.key: got %v, want no file when the key comes from the environment", err)
	}
}

// TestServeTakesUserTokens signs a user in with an HS256 token the flags
// configure.
func TestServeTakesUserTokens(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	secret := "a shared secret of thirty-two bytes or more"
	if err := os.WriteFile(filepath.Join(dir, "hs256"), []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := MustServe(t, "--data-dir", dir, "--jwt-issuer", "https://platform.example", "--jwt-audience", "roster",
		"--jwt-hs256-secret-file", filepath.Join(dir, "hs256"))
	token := jwttest.NewSigner(t, jwa.HS256(), "", []byte(secret)).Sign(t, jwttest.Claims("https://platform.example", "roster", "alice", time.Now()))
	if got := get(t, r.URL+"/v1/communities", token); got != http.StatusOK {
		t.Errorf("with a user token: got %d, want 200", got)
	}
	if got := get(t, r.URL+"/v1/communities", token+"x"); got != http.StatusUnauthorized {
		t.Errorf("with a token whose signature is broken: got %d, want 401", got)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"other url", []string{"--db", "mysql://u:hunter2@x"}, nil, `"mysql://u:xxxxx@x" is neither a postgres:// URL nor a SQLite file path`},
		{"log format", []string{"--log-format", "xml"}, nil, "neither text nor json"},
		{"bad duration", nil, map[string]string{"ROSTER_SHUTDOWN_TIMEOUT": "soon"}, "ROSTER_SHUTDOWN_TIMEOUT"},
		{"arguments", []string{"extra"}, nil, "no arguments"},
		{"negative headroom", []string{"--gc-headroom-mib", "-1"}, nil, "--gc-headroom-mib: -1 is not between 0"},
		{"huge headroom", []string{"--gc-headroom-mib", "2000000"}, nil, "--gc-headroom-mib: 2000000 is not between 0"},
		{"rate limit of no scope", []string{"--rate-limits", "check=10,burst=5"}, nil, `--rate-limits: "check=10,burst=5" is not a list`},
		{"negative rate limit", nil, map[string]string{"ROSTER_RATE_LIMITS": "write=-1"}, `--rate-limits: "write=-1" is not a list`},
		{"headroom not a number", []string{"--gc-headroom-mib", "lots"}, nil, "invalid value"},
		{"bad headroom", nil, map[string]string{"ROSTER_GC_HEADROOM_MIB": "lots"}, "ROSTER_GC_HEADROOM_MIB"},
		{"jwt without audience", []string{"--jwt-issuer", "https://x", "--jwt-jwks", "jwks.json"}, nil, "need --jwt-issuer, --jwt-audience"},
		{"jwt without keys", []string{"--jwt-issuer", "https://x", "--jwt-audience", "roster"}, nil, "--jwt-hs256-secret-file or --jwt-jwks"},
		{"webhook retries", []string{"--webhook-retries", "5s,soon"}, nil, "--webhook-retries"},
		{"webhook lease", []string{"--webhook-lease", "10ms"}, nil, "--webhook-lease"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			err := NewServe(io.Discard, io.Discard).ParseFlags(tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestServeUnreachablePostgres starts on a PostgreSQL URL nothing answers
// at: the start fails at once, naming where it tried, without the password.
func TestServeUnreachablePostgres(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	m := NewServe(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--db", "postgres://roster:hunter2@" + addr + "/roster"}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err = m.Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "cannot reach PostgreSQL at "+addr) || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("got %v, want an error naming %s without the password", err, addr)
	}
}

func TestServeShortAdminKeyIsRefused(t *testing.T) {
	t.Setenv("ROSTER_ADMIN_KEY", "short")
	m := NewServe(io.Discard, io.Discard)
	if err := m.ParseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err := m.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "at least 16 characters") {
		t.Fatalf("got %v, want the short key refused", err)
	}
}

// TestServeFinishesInFlightRequests stops the server while a request's body
// is still arriving: the request completes before Run returns.
func TestServeFinishesInFlightRequests(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ROSTER_ADMIN_KEY", "a-long-enough-admin-key")
	r := MustServe(t, "--data-dir", dir)

	body, w := io.Pipe()
	req, _ := http.NewRequest("POST", r.URL+"/v1/permissions", body)
	req.Header.Set("Authorization", "Bearer a-long-enough-admin-key")
	req.Header.Set("Content-Type", "application/json")
	status := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	io.WriteString(w, `{"key": "IN_FLIGHT",`)
	for !strings.Contains(r.Stderr.String(), "msg=\"roster is serving\"") {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the server has read the headers: the request is in flight
	stopped := make(chan error, 1)
	go func() { stopped <- r.Stop(t) }()
	for !strings.Contains(r.Stderr.String(), "shutting down") {
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	io.WriteString(w, ` "description": "sent during shutdown"}`)
	w.Close()
	if got := <-status; got != http.StatusCreated {
		t.Fatalf("in-flight request: got %d, want 201", got)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if !strings.Contains(r.Stderr.String(), "path=/v1/permissions status=201") {
		t.Fatalf("log: got %q, want one line for the request with its status", r.Stderr.String())
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		if err := Run(context.Background(), append([]string{"migrate", "--data-dir", dir}, args...), &out, io.Discard); err != nil {
			t.Fatalf("migrate %v: %v", args, err)
		}
		return out.String()
	}
	if got := run("status"); !strings.Contains(got, "pending") || !strings.Contains(got, "00001_init.sql") {
		t.Fatalf("status before: got %q, want 00001_init.sql pending", got)
	}
	if got := run(); !strings.Contains(got, "applied 00001_init.sql") {
		t.Fatalf("up: got %q, want 00001_init.sql applied", got)
	}
	if got := run("up"); !strings.Contains(got, "up to date") {
		t.Fatalf("up again: got %q, want up to date", got)
	}
	if got := run("status"); !strings.Contains(got, "applied") || strings.Contains(got, "pending") {
		t.Fatalf("status after: got %q, want all applied", got)
	}
	if err := Run(context.Background(), []string{"migrate", "--data-dir", dir, "down"}, io.Discard, io.Discard); err == nil {
		t.Fatal("migrate down: got no error, want an unknown action")
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"version"}, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "roster ") {
		t.Fatalf("version: got %q, %v", out.String(), err)
	}
	if err := Run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Fatal("unknown command: got no error")
	}
}
