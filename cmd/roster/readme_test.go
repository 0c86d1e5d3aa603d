package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeWalkthrough runs the README's curl walkthrough, as written,
// against a real server in a fresh directory.
func TestReadmeWalkthrough(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walkthrough needs %s, which is not installed", tool)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- walkthrough -->")
	block, _, ok2 := strings.Cut(rest, "<!-- /walkthrough -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no <!-- walkthrough --> block")
	}
	script := strings.TrimSpace(block)
	script = strings.TrimPrefix(script, "```sh")
	script = strings.TrimSuffix(script, "```")
	const base = "R=http://127.0.0.1:8080"
	if !strings.Contains(script, base) {
		t.Fatalf("the walkthrough does not start with %s", base)
	}

	dir := t.TempDir()
	t.Setenv("ROSTER_ADMIN_KEY", "")
	r := MustServe(t, "--data-dir", filepath.Join(dir, "roster-data"))
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", strings.Replace(script, base, "R="+r.URL, 1))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("walkthrough: %v\n%s", err, out)
	}
	got := string(out)
	for _, want := range []string{
		`"key":"REDEEM_REWARDS"`,
		`"ownerId":"alice"`,
		`"result":"added"`,
		`"allowed":true`,
		`"allowed":false`,
		`"kind":"role"`,
		`"deny":["SEND_MESSAGES"]`,
		`"results":[{"allowed":true},{"allowed":false},{"allowed":true}]`,
		`"result":"removed"`,
		`"code":"role_protected"`,
		`"action":"member.role_removed"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("walkthrough output: missing %s\n%s", want, got)
		}
	}
	if strings.Contains(got, `"status":500`) || strings.Contains(got, "curl:") {
		t.Errorf("walkthrough output: an error\n%s", got)
	}
}
