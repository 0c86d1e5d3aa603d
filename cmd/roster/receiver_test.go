package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// runReceiverEnv set to a directory makes the test binary run as a webhook
// receiver instead of the tests: it verifies each message with the
// Standard Webhooks library and the secret in <dir>/<path>.secret, and
// prints each one it accepts as a line of JSON. receiverFailEnv makes it
// answer its first requests 500.
const (
	runReceiverEnv  = "ROSTER_TEST_RUN_RECEIVER"
	receiverFailEnv = "ROSTER_TEST_RECEIVER_FAIL"
)

// receivedMessage is a message as the receiver prints it.
type receivedMessage struct {
	Path     string `json:"path"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Revision int64  `json:"revision"`
}

// runReceiver is the receiver's main.
func runReceiver(dir string) {
	go func() {
		io.Copy(io.Discard, os.Stdin) // the test process is gone
		os.Exit(3)
	}()
	fail, _ := strconv.Atoi(os.Getenv(receiverFailEnv))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("FATAL", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "listening http://%s\n", ln.Addr())
	out.Flush()
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		defer out.Flush()
		if fail > 0 {
			fail--
			http.Error(w, "failing on purpose", http.StatusInternalServerError)
			return
		}
		secret, err := os.ReadFile(filepath.Join(dir, strings.Trim(r.URL.Path, "/")+".secret"))
		if err != nil {
			http.Error(w, "no secret yet", http.StatusServiceUnavailable)
			return
		}
		wh, err := standardwebhooks.NewWebhook(strings.TrimSpace(string(secret)))
		if err == nil {
			err = wh.Verify(body, r.Header)
		}
		if err != nil {
			fmt.Fprintf(out, "REJECTED %s %v\n", r.URL.Path, err)
			http.Error(w, "bad signature", http.StatusBadRequest)
			return
		}
		var m struct {
			Type string `json:"type"`
			Data struct {
				Revision int64 `json:"revision"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &m); err != nil {
			fmt.Fprintf(out, "REJECTED %s not JSON: %v\n", r.URL.Path, err)
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		line, _ := json.Marshal(receivedMessage{Path: r.URL.Path, ID: r.Header.Get("webhook-id"), Type: m.Type, Revision: m.Data.Revision})
		fmt.Fprintf(out, "%s\n", line)
		w.WriteHeader(http.StatusNoContent)
	}))
}

// receiverProcess is a receiver child process.
type receiverProcess struct {
	URL string
	dir string
	log *syncBuffer
}

// startReceiver starts a receiver that first fails fail requests.
func startReceiver(t *testing.T, fail int) *receiverProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r := &receiverProcess{dir: t.TempDir(), log: &syncBuffer{}}
	cmd := exec.CommandContext(t.Context(), exe)
	cmd.Env = append(os.Environ(), runReceiverEnv+"="+r.dir, receiverFailEnv+"="+strconv.Itoa(fail))
	cmd.Stdout, cmd.Stderr = r.log, r.log
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(30 * time.Second); r.URL == ""; time.Sleep(10 * time.Millisecond) {
		if first, _, ok := strings.Cut(r.log.String(), "\n"); ok {
			url, found := strings.CutPrefix(first, "listening ")
			if !found {
				t.Fatalf("receiver: %s", first)
			}
			r.URL = url
		}
		if time.Now().After(deadline) {
			t.Fatal("the receiver did not start within 30 s")
		}
	}
	return r
}

// trust gives the receiver the secret of the endpoint at path.
func (r *receiverProcess) trust(t *testing.T, path, secret string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, strings.Trim(path, "/")+".secret"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
}

// messages returns the messages received at path, in the order they came,
// failing the test if any was rejected.
func (r *receiverProcess) messages(t *testing.T, path string) []receivedMessage {
	t.Helper()
	var out []receivedMessage
	for _, line := range strings.Split(r.log.String(), "\n") {
		if strings.HasPrefix(line, "REJECTED") {
			t.Fatalf("the receiver rejected a message: %s", line)
		}
		var m receivedMessage
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &m) == nil && m.Path == path {
			out = append(out, m)
		}
	}
	return out
}

// firstOfEach returns the revisions of messages, each once, in the order
// they first came: what a receiver that de-duplicates by webhook-id sees.
func firstOfEach(msgs []receivedMessage) []int64 {
	seen := map[string]bool{}
	var revs []int64
	for _, m := range msgs {
		if !seen[m.ID] {
			seen[m.ID] = true
			revs = append(revs, m.Revision)
		}
	}
	return revs
}
