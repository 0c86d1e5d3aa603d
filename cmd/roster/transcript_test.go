package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's command-line session lies between these marks, as the
// test made it.
const (
	transcriptStart = "<!-- cli-transcript: made by TestReadmeCLITranscript; ROSTER_UPDATE_README=1 makes it again -->\n```console\n"
	transcriptEnd   = "```\n<!-- /cli-transcript -->"
)

var (
	xids  = regexp.MustCompile(`\b[0-9a-v]{20}\b`)
	times = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b`)
	keys  = regexp.MustCompile(`roster_[A-Za-z0-9_-]{43}`)
)

// TestReadmeCLITranscript runs the commands of the README's session
// against a real server and checks that the README shows what they print
// (ids, times and the secret made stable); ROSTER_UPDATE_README=1 writes
// the session into the README instead.
func TestReadmeCLITranscript(t *testing.T) {
	path, err := filepath.Abs("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(text)
	i, j := strings.Index(readme, transcriptStart), strings.Index(readme, transcriptEnd)
	if i < 0 || j < i {
		t.Fatalf("the README has no session between %q and %q", transcriptStart, transcriptEnd)
	}
	shown := readme[i+len(transcriptStart) : j]

	dir := t.TempDir()
	t.Setenv("ROSTER_ADMIN_KEY", "")
	data := filepath.Join(dir, "roster-data")
	r := MustServe(t, "--data-dir", data)
	t.Setenv("ROSTER_URL", r.URL)
	t.Setenv("ROSTER_KEY", "")
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, ".config"))
	t.Setenv("HOME", dir)
	t.Chdir(dir)

	var made strings.Builder
	seen := map[string]string{}
	stable := func(s string) string {
		s = strings.ReplaceAll(s, r.URL, "http://127.0.0.1:8080")
		s = xids.ReplaceAllStringFunc(s, func(id string) string {
			if _, ok := seen[id]; !ok {
				seen[id] = fmt.Sprintf("d4%018d", len(seen)+1)
			}
			return seen[id]
		})
		s = keys.ReplaceAllString(s, "roster_"+strings.Repeat("x", 43))
		return times.ReplaceAllString(s, "2026-12-04T12:00:00Z")
	}
	for line := range strings.Lines(shown) {
		command, ok := strings.CutPrefix(strings.TrimRight(line, "\n"), "$ ")
		if !ok {
			continue
		}
		words, err := splitWords(command)
		if err != nil || len(words) == 0 || words[0] != "roster" {
			t.Fatalf("%q: not a roster command (%v)", command, err)
		}
		var out bytes.Buffer
		code := Main(context.Background(), words[1:], strings.NewReader(""), &out, &out)
		made.WriteString("$ " + command + "\n" + stable(out.String()))
		if code != 0 {
			fmt.Fprintf(&made, "(exit status %d)\n", code)
		}
	}
	if os.Getenv("ROSTER_UPDATE_README") == "1" {
		readme = readme[:i+len(transcriptStart)] + made.String() + readme[j:]
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if made.String() != shown {
		t.Errorf("the README's session is not what the commands print; run with ROSTER_UPDATE_README=1 to write it. They print:\n%s", made.String())
	}
}

// splitWords splits a command line as a shell would, for the words the
// session uses: plain, 'single-quoted' and "double-quoted".
func splitWords(s string) ([]string, error) {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, c := range s {
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ':
			if in {
				words = append(words, w.String())
				w.Reset()
				in = false
			}
		default:
			w.WriteRune(c)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("an unclosed quote")
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}
