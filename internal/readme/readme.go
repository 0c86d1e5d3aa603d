// Package readme runs the README's walkthrough, for the tests that check it
// against a real server.
package readme

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// base is how the walkthrough names the server it talks to.
const base = "R=http://127.0.0.1:8080"

// Walkthrough runs the walkthrough block of the README at path, as written
// but for the server's address, url, with bash in dir, and returns what it
// printed. It skips the test when bash, curl or jq is missing, and fails it
// when the block is missing or a command of it fails.
func Walkthrough(tb testing.TB, path, dir, url string) string {
	tb.Helper()
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Skipf("the walkthrough needs %s, which is not installed", tool)
		}
	}
	readme, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- walkthrough -->")
	block, _, ok2 := strings.Cut(rest, "<!-- /walkthrough -->")
	if !ok || !ok2 {
		tb.Fatalf("%s has no <!-- walkthrough --> block", path)
	}
	script := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(block), "```sh"), "```")
	if !strings.Contains(script, base) {
		tb.Fatalf("the walkthrough does not start with %s", base)
	}
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", strings.Replace(script, base, "R="+url, 1))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		tb.Fatalf("walkthrough: %v\n%s", err, out)
	}
	return string(out)
}

// Block returns the code of the README's block marked <!-- name --> …
// <!-- /name -->, without its fence, failing the test when it is missing.
func Block(tb testing.TB, path, name string) string {
	tb.Helper()
	readme, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- "+name+" -->")
	block, _, ok2 := strings.Cut(rest, "<!-- /"+name+" -->")
	if !ok || !ok2 {
		tb.Fatalf("%s has no <!-- %s --> block", path, name)
	}
	block = strings.TrimSpace(block)
	if i := strings.Index(block, "\n"); strings.HasPrefix(block, "```") && i > 0 {
		block = block[i+1:]
	}
	return strings.TrimSuffix(strings.TrimSpace(block), "```")
}
