package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/api"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// none wants a problem without field errors.
var none = []string{}

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// mustEnvLogged is MustEnv with the server's log (at debug level) kept.
func mustEnvLogged(tb testing.TB, eng sqltest.Engine) (*Env, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return mustEnvOwn(tb, eng, func(*sqlstore.DB) api.Options { return api.Options{Log: log} }), logs
}

// sendRaw writes a request as it stands, closes the connection's writing
// half (the client sends nothing more), and reads the answer.
func sendRaw(t *testing.T, e *Env, request string) Res {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := Res{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	json.Unmarshal(raw, &res.JSON)
	return res
}

// TestBodyCutShort sends bodies that end before they should (shorter than
// their Content-Length, or without their last chunk) and malformed chunks:
// each is the client's fault, answered 400 invalid_json, logged below
// warning level, and changes nothing.
func TestBodyCutShort(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		e, logs := mustEnvLogged(t, eng)
		head := func(method, path string, header ...string) string {
			return method + " " + path + " HTTP/1.1\r\nHost: roster\r\nAuthorization: Bearer " + e.Key +
				"\r\nContent-Type: application/json\r\n" + strings.Join(header, "") + "\r\n"
		}
		community := `{"id": "newc", "name": "New"}`
		check := `{"checks": [{"userId": "bob", "permission": "VIEW_CHANNEL"}]}`
		for _, tc := range []struct{ name, request, detail string }{
			{"shorter than its Content-Length", head("POST", "/v1/communities", "Content-Length: 100\r\n") + community,
				fmt.Sprintf("ended after %d of the 100 bytes", len(community))},
			{"one byte short", head("POST", "/v1/communities", fmt.Sprintf("Content-Length: %d\r\n", len(community)+1)) + community,
				fmt.Sprintf("ended after %d of the %d bytes", len(community), len(community)+1)},
			{"empty but for its Content-Length", head("POST", "/v1/communities", "Content-Length: 10\r\n"), "ended after 0 of the 10 bytes"},
			{"check batch shorter than its Content-Length", head("POST", "/v1/check/batch", "Content-Length: 100\r\n") + check,
				fmt.Sprintf("ended after %d of the 100 bytes", len(check))},
			{"check shorter than its Content-Length", head("POST", "/v1/check", "Content-Length: 100\r\n") + `{"userId": "bob"`, "of the 100 bytes"},
			{"without its last chunk", head("POST", "/v1/communities", "Transfer-Encoding: chunked\r\n") + "1d\r\n" + community + "\r\n",
				"ended before its last chunk"},
			{"malformed chunk size", head("POST", "/v1/communities", "Transfer-Encoding: chunked\r\n") + "zz\r\n" + community + "\r\n0\r\n\r\n",
				"could not be read"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rev := e.Revision(t)
				res := sendRaw(t, e, tc.request)
				wantProblem(t, res, s400, "invalid_json", none)
				if !strings.Contains(res.Str("detail"), tc.detail) {
					t.Errorf("detail: got %q, want it to say %q", res.Str("detail"), tc.detail)
				}
				if got := e.Revision(t); got != rev {
					t.Errorf("revision: got %d, want %d", got, rev)
				}
				e.Must(t, http.StatusNotFound, "GET", "/v1/communities/newc", nil)
			})
		}
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
				t.Errorf("log: got %q, want nothing above info for a client's fault", line)
			}
		}
	})
}

// slowChecks answers batches of checks after a while.
type slowChecks struct {
	roster.Service
	wait time.Duration
}

func (s slowChecks) Check(ctx context.Context, checks []roster.Check, min roster.Revision) ([]bool, roster.Revision, error) {
	time.Sleep(s.wait)
	return s.Service.Check(ctx, checks, min)
}

// TestSlowAnswerKeepsConnection checks that a request answered after
// huma's body read timeout (5s) leaves its connection usable: the
// deadline huma set to read the body used to fire on the server's
// background read of the connection, cancelling the context of every later
// request on it (500, "context canceled").
func TestSlowAnswerKeepsConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("waits past huma's 5s body read timeout")
	}
	t.Parallel()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, sqltest.SQLite.DSN(t), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, err := db.EnsureBootstrapKey(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	ix, err := index.Open(ctx, db, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(api.New(slowChecks{index.NewService(db, ix), 5500 * time.Millisecond}, api.Options{Log: slog.New(slog.DiscardHandler)}))
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		ix.Close()
		db.Close()
	})
	// One connection at most: the second request waits for the first's
	// to be given back rather than dialling while it is, and dials only
	// when the server closed it.
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}}
	t.Cleanup(client.CloseIdleConnections)
	e := &Env{URL: srv.URL, Key: key, Store: db, Client: client}
	// An escape keeps the batch off the lean check path, so that huma
	// reads it, then the store takes its time.
	e.Must(t, http.StatusOK, "POST", "/v1/check/batch", nil, Req{RawBody: `{"checks": [{"userId": "b\u006fb", "permission": "VIEW_CHANNEL"}]}`})
	e.Must(t, http.StatusCreated, "POST", "/v1/communities", jsonObj{"name": "After"})
	if n := conns.Load(); n != 1 {
		t.Errorf("connections: got %d, want the second request on the first one's", n)
	}
}
