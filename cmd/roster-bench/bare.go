package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// bareCommand is the hidden subcommand that runs the bare server of
// --compare-bare: `roster-bench bare-server --size N`.
const bareCommand = "bare-server"

// bareAnswer is a constant JSON body of size bytes (at least 30), a newline
// included, shaped as a single check's answer: {"allowed":true,
// "revision":111…}.
func bareAnswer(size int) []byte {
	const head, tail = `{"allowed":true,"revision":`, "}\n"
	return []byte(head + strings.Repeat("1", max(size-len(head)-len(tail), 1)) + tail)
}

// bareHandler is the floor the server is compared with: a net/http handler
// that reads the request's body and answers the constant body.
func bareHandler(answer []byte) http.Handler {
	length := []string{strconv.Itoa(len(answer))}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = length
		w.Write(answer)
	})
}

// runBare serves bareHandler on a loopback port with the timeouts of
// `roster serve`, printing "listening on <addr>" once it listens, until ctx
// ends or its standard input closes (the process that started it is gone).
func runBare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("roster-bench "+bareCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.Int("size", 36, "bytes of the constant answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           bareHandler(bareAnswer(*size)),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// bareServer is the bare server's process, as the command started it.
type bareServer struct {
	url *url.URL
	pid int
	cmd *exec.Cmd
	// stdin is the write end of the process's standard input: closing it
	// stops the process.
	stdin io.Closer
}

// startBare starts the bare server, answering size bytes, in a process of
// its own: this command's executable run as `roster-bench bare-server`.
func (b *Bench) startBare(ctx context.Context, size int) (*bareServer, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("--compare-bare: finding this command's executable: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, bareCommand, "--size", strconv.Itoa(size))
	cmd.Env = append(os.Environ(), b.childEnv...)
	cmd.Stderr = b.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("--compare-bare: starting the bare server: %w", err)
	}
	s := &bareServer{pid: cmd.Process.Pid, cmd: cmd, stdin: stdin}
	line, err := bufio.NewReader(out).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		s.stop()
		return nil, fmt.Errorf("--compare-bare: the bare server did not start: %q (%v)", line, err)
	}
	s.url = &url.URL{Scheme: "http", Host: addr}
	return s, nil
}

// stop ends the bare server's process and waits for it.
func (s *bareServer) stop() {
	s.stdin.Close()
	done := make(chan struct{})
	go func() {
		s.cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}
