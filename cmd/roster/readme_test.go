package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/readme"
)

// TestReadmeWalkthrough runs the README's curl walkthrough, as written,
// against a real server in a fresh directory.
func TestReadmeWalkthrough(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("ROSTER_ADMIN_KEY", "")
	r := MustServe(t, "--data-dir", filepath.Join(dir, "roster-data"))
	got := readme.Walkthrough(t, "../../README.md", dir, r.URL)
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
