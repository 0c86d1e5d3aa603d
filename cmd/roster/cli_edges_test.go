package main

// The client commands at their edges: profiles and their files, keys that
// may only check, interruptions, servers that are not Roster, completion,
// rate limits the flags cannot hold.

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// cliEnv starts a server with a known admin key and a home of its own.
func cliEnv(t *testing.T) (url, admin, dir string) {
	t.Helper()
	admin = "a-long-enough-admin-key"
	t.Setenv("ROSTER_ADMIN_KEY", admin)
	r := MustServe(t, "--data-dir", t.TempDir())
	dir = t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	t.Setenv("HOME", dir)
	t.Setenv("ROSTER_URL", "")
	t.Setenv("ROSTER_KEY", "")
	return r.URL, admin, dir
}

// roster runs one command in-process and returns its exit code and
// output.
func runRoster(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errs bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errs)
	return code, out.String(), errs.String()
}

// A profile's key goes to the profile's server alone, never to another
// --url (or ROSTER_URL).
func TestEdgeCLIProfileKeyGoesToOtherURL(t *testing.T) {
	url, admin, _ := cliEnv(t)
	if code, _, errs := runRoster(t, admin+"\n", "login", "--url", url); code != 0 {
		t.Fatal(errs)
	}
	var mu sync.Mutex
	var got string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"items":[]}`))
	}))
	defer other.Close()
	runRoster(t, "", "communities", "ls", "--url", other.URL)
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(got, admin) {
		t.Errorf("the profile's key (for %s) was sent to %s: Authorization %q", url, other.URL, got)
	}
}

// login makes a profiles file that existed already 0600 too.
func TestEdgeCLIProfileMode(t *testing.T) {
	url, admin, dir := cliEnv(t)
	file := filepath.Join(dir, ".config", "roster", "profiles.json")
	os.MkdirAll(filepath.Dir(file), 0o755)
	os.WriteFile(file, []byte("{}"), 0o644)
	if code, _, errs := runRoster(t, admin+"\n", "login", "--url", url); code != 0 {
		t.Fatal(errs)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("profiles.json holding a key: mode %v, want 0600", fi.Mode().Perm())
	}
}

// A key that may only check, the kind a host's checks use, logs in.
func TestEdgeCLILoginCheckKey(t *testing.T) {
	url, admin, _ := cliEnv(t)
	t.Setenv("ROSTER_URL", url)
	t.Setenv("ROSTER_KEY", admin)
	code, out, errs := runRoster(t, "", "keys", "create", "checker", "--scope", "check", "-o", "json")
	if code != 0 {
		t.Fatal(errs)
	}
	i := strings.Index(out, "roster_")
	secret := out[i : i+len("roster_")+43]
	t.Setenv("ROSTER_KEY", "")
	code, _, errs = runRoster(t, secret+"\n", "login", "--profile", "checks")
	if code != 0 {
		t.Errorf("login with a check-only key: exit %d\n%s", code, errs)
	}
}

// A command interrupted (its context ended, as by Ctrl-C) says so, not
// that no server answers.
func TestEdgeCLIInterruptedSaysUnreachable(t *testing.T) {
	url, admin, _ := cliEnv(t)
	t.Setenv("ROSTER_URL", url)
	t.Setenv("ROSTER_KEY", admin)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errs bytes.Buffer
	code := Main(ctx, []string{"communities", "ls"}, strings.NewReader(""), &out, &errs)
	if code == exitUnreachable || strings.Contains(errs.String(), "no Roster server answers") {
		t.Errorf("an interrupted command: exit %d, %s", code, errs.String())
	}
}

// Flags bound to one variable across subcommands do not
// leak from one Main to the next in a process: each run builds its tree.
func TestEdgeCLINoStateBetweenRuns(t *testing.T) {
	url, admin, _ := cliEnv(t)
	t.Setenv("ROSTER_URL", url)
	t.Setenv("ROSTER_KEY", admin)
	runRoster(t, "", "communities", "create", "guild", "Guild", "--owner", "olive")
	if code, _, _ := runRoster(t, "", "roles", "ls", "-c", "guild", "-o", "json"); code != 0 {
		t.Fatal("roles ls")
	}
	code, out, errs := runRoster(t, "", "roles", "ls")
	if code != exitUsage || !strings.Contains(errs, "which community") {
		t.Errorf("roles ls without -c after one with it: exit %d\n%s%s", code, out, errs)
	}
	if code, out, _ := runRoster(t, "", "communities", "ls"); code != 0 || strings.Contains(out, `"id"`) {
		t.Errorf("-o json leaked into the next run:\n%s", out)
	}
}

// --url pointing at something that is not Roster (a web page answering
// 200) is unreachable Roster (exit 3), not a wrong command line.
func TestEdgeCLINotRosterIsUsage(t *testing.T) {
	cliEnv(t)
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html>hello</html>"))
	}))
	defer page.Close()
	code, _, errs := runRoster(t, "", "communities", "ls", "--url", page.URL, "--key", "k")
	if code == exitUsage {
		t.Errorf("a URL that is not a Roster server: exit %d (usage)\n%s", code, errs)
	}
}

// Completion of `roles add USER ROLE...` offers no role names for USER,
// the first argument.
func TestEdgeCLICompletionUserPosition(t *testing.T) {
	url, admin, _ := cliEnv(t)
	t.Setenv("ROSTER_URL", url)
	t.Setenv("ROSTER_KEY", admin)
	runRoster(t, "", "communities", "create", "fans", "Fans", "--owner", "olive")
	runRoster(t, "", "roles", "create", "Helpers", "-c", "fans")
	_, out, _ := runRoster(t, "", "__complete", "roles", "add", "-c", "fans", "")
	if strings.Contains(out, "Helpers") {
		t.Errorf("completing the USER of roles add offers roles:\n%s", out)
	}
}

// --rate-limits refuses NaN (which strconv.ParseFloat reads).
func TestEdgeRateLimitsNaN(t *testing.T) {
	c := Config{RateLimits: "check=NaN"}
	if l, err := c.limits(); err == nil {
		t.Errorf("--rate-limits check=NaN: accepted, %v", l)
	}
}
