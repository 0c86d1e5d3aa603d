package main

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/readme"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestReadmeReceivers runs the README's webhook receivers, in Go and in
// Node, as written, against a real server: each verifies every message.
func TestReadmeReceivers(t *testing.T) {
	t.Parallel()
	t.Run("go", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "main.go"), readme.Block(t, "../../README.md", "receiver-go"))
		// The receiver's own module, whose requirements the build finds in
		// the module cache, as Roster's own build left it.
		writeFile(t, filepath.Join(dir, "go.mod"), "module receiver\n\ngo 1.26\n\nrequire github.com/standard-webhooks/standard-webhooks/libraries v1.3.0\n")
		sums, err := os.ReadFile("../../go.sum")
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "go.sum"), string(sums))
		build := exec.Command("go", "build", "-o", "receiver", ".")
		build.Dir = dir
		build.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOPROXY=off")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("building the README's Go receiver: %v\n%s", err, out)
		}
		runReadmeReceiver(t, func(secret, port string) *exec.Cmd {
			cmd := exec.Command(filepath.Join(dir, "receiver"))
			cmd.Env = append(os.Environ(), "ROSTER_WEBHOOK_SECRET="+secret, "ADDR=127.0.0.1:"+port)
			return cmd
		})
	})
	t.Run("node", func(t *testing.T) {
		t.Parallel()
		modules, _ := filepath.Abs("../../.ci/node_modules")
		if _, err := exec.LookPath("node"); err != nil {
			t.Skip("SKIPPED: node is not installed")
		}
		if _, err := os.Stat(filepath.Join(modules, "standardwebhooks")); err != nil {
			t.Skip("SKIPPED: the npm package standardwebhooks is not in .ci/node_modules (.ci/run installs it)")
		}
		script := filepath.Join(t.TempDir(), "receiver.js")
		writeFile(t, script, readme.Block(t, "../../README.md", "receiver-node"))
		runReadmeReceiver(t, func(secret, port string) *exec.Cmd {
			cmd := exec.Command("node", script)
			cmd.Env = append(os.Environ(), "ROSTER_WEBHOOK_SECRET="+secret, "PORT="+port, "NODE_PATH="+modules)
			return cmd
		})
	})
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runReadmeReceiver starts a server and, on a free port, the receiver
// receive makes; then makes writes, and waits until the receiver has
// printed each event as verified, once.
func runReadmeReceiver(t *testing.T, receive func(secret, port string) *exec.Cmd) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	server := startReplica(t, "readme", sqltest.SQLite.DSN(t), t.TempDir(), webhookFlags...)
	rep := mustWrite(t, "POST", server.URL+"/v1/webhooks", map[string]any{"url": "http://127.0.0.1:" + port + "/roster", "enabled": false})
	var w struct {
		ID, Secret       string
		DeliveredThrough int64
	}
	json.Unmarshal(rep.body, &w)

	out := &syncBuffer{}
	cmd := receive(w.Secret, port)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not listen within 30 s:\n%s", out)
		}
	}
	mustWrite(t, "PATCH", server.URL+"/v1/webhooks/"+w.ID, map[string]any{"enabled": true})
	mustWrite(t, "POST", server.URL+"/v1/communities", map[string]any{"id": "c1", "name": "c1"})
	for i := range 10 {
		mustWrite(t, "PUT", fmt.Sprintf("%s/v1/communities/c1/members/u%d", server.URL, i), nil)
	}
	want := changes(t, server.URL, w.DeliveredThrough, "")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := out.String()
		missing := 0
		for _, rev := range want {
			if strings.Count(got, fmt.Sprintf("verified msg_%s_%d ", w.ID, rev)) != 1 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver printed %d of %d events as verified:\n%s", len(want)-missing, len(want), got)
		}
	}
}
