package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestMalformedRequests sends requests net/http cannot parse. Those it
// refuses before any handler runs it answers itself, in plain text:
// Roster cannot make them problem documents, and this test says so, so
// that it fails (and should then be turned around) if Go ever lets a
// handler answer them. The malformed requests that do reach Roster are
// answered with problem documents.
func TestMalformedRequests(t *testing.T) {
	e := MustEnv(t, sqltest.SQLite)
	send := func(t *testing.T, request string) (*http.Response, []byte) {
		t.Helper()
		c, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := io.WriteString(c, request); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp, raw
	}
	const host = "Host: roster\r\nConnection: close\r\n\r\n"
	for _, tc := range []struct{ name, request string }{
		{"bad percent-escape in the path", "GET /v1/communities/%zz HTTP/1.1\r\n" + host},
		{"lone % in the path", "GET /v1/% HTTP/1.1\r\n" + host},
		{"path without a leading slash", "GET v1/communities HTTP/1.1\r\n" + host},
		{"NUL in the path", "GET /v1/comm\x00unities HTTP/1.1\r\n" + host},
		{"malformed method", "G@T /healthz HTTP/1.1\r\n" + host},
		{"malformed Host", "GET /healthz HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n"},
		{"no Host", "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"},
		{"malformed Content-Length", "POST /v1/communities HTTP/1.1\r\nContent-Length: ten\r\n" + host},
	} {
		t.Run("net/http answers "+tc.name, func(t *testing.T) {
			resp, raw := send(t, tc.request)
			if resp.StatusCode != http.StatusBadRequest || strings.Contains(resp.Header.Get("Content-Type"), "problem") {
				t.Errorf("got %d %s %q, want net/http's own plain-text 400: if a handler can answer this now, make it a problem document",
					resp.StatusCode, resp.Header.Get("Content-Type"), raw)
			}
		})
	}
	for _, tc := range []struct {
		name, request string
		status        int
		code          string
	}{
		{"asterisk target", "GET * HTTP/1.1\r\n" + host, http.StatusNotFound, "route_not_found"},
		{"asterisk target of a POST", "POST * HTTP/1.1\r\nContent-Length: 0\r\n" + host, http.StatusNotFound, "route_not_found"},
		{"CONNECT", "CONNECT roster:443 HTTP/1.1\r\n" + host, http.StatusNotFound, "route_not_found"},
		{"bad percent-escape in the query", "GET /v1/communities?cursor=%zz HTTP/1.1\r\n" + host, http.StatusBadRequest, "invalid_query"},
		{"unknown method", "BREW /v1/communities HTTP/1.1\r\n" + host, http.StatusMethodNotAllowed, "method_not_allowed"},
	} {
		t.Run("Roster answers "+tc.name, func(t *testing.T) {
			resp, raw := send(t, tc.request)
			if got := resp.Header.Get("Content-Type"); resp.StatusCode != tc.status || got != "application/problem+json" ||
				!strings.Contains(string(raw), `"code":"`+tc.code+`"`) {
				t.Errorf("got %d %s %q, want %d %s as a problem document", resp.StatusCode, got, raw, tc.status, tc.code)
			}
		})
	}
}
