package api_test

import (
	"net/http"
	"regexp"
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
			res := sendRaw(t, e, tc.request)
			if res.Status != http.StatusBadRequest || strings.Contains(res.Header.Get("Content-Type"), "problem") {
				t.Errorf("got %d %s %q, want net/http's own plain-text 400: if a handler can answer this now, make it a problem document",
					res.Status, res.Header.Get("Content-Type"), res.Raw)
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
			res := sendRaw(t, e, tc.request)
			if got := res.Header.Get("Content-Type"); res.Status != tc.status || got != "application/problem+json" || res.Code() != tc.code {
				t.Errorf("got %d %s %q, want %d %s as a problem document", res.Status, got, res.Raw, tc.status, tc.code)
			}
		})
	}
}

// TestRequestIDHeader checks that a well-formed X-Request-Id is answered
// back, and a malformed one replaced by an id of the server's, on the lean
// check path and on an operation alike.
func TestRequestIDHeader(t *testing.T) {
	t.Parallel()
	e := MustEnv(t, sqltest.SQLite)
	e.MustCommunity(t, "c1", "bob")
	check := map[string]any{"communityId": "c1", "userId": "bob", "permission": "VIEW_CHANNEL"}
	for _, tc := range []struct {
		name, id string
		kept     bool
	}{
		{"well-formed", "req-1.a:b_c", true},
		{"64 characters", strings.Repeat("a", 64), true},
		{"65 characters", strings.Repeat("a", 65), false},
		{"a space", "a b", false},
		{"not ASCII", "é", false},
		{"a slash", "a/b", false},
	} {
		for _, r := range []struct {
			method, path string
			body         any
		}{{"POST", "/v1/check", check}, {"GET", "/v1/communities", nil}} {
			t.Run(tc.name+" "+r.path, func(t *testing.T) {
				res := e.Do(t, r.method, r.path, r.body, Req{Header: map[string]string{"X-Request-Id": tc.id}})
				got := res.Header.Get("X-Request-Id")
				switch {
				case res.Status != http.StatusOK:
					t.Errorf("got status %d: %s", res.Status, res.Raw)
				case tc.kept && got != tc.id:
					t.Errorf("X-Request-Id: got %q, want %q answered back", got, tc.id)
				case !tc.kept && (got == tc.id || !regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`).MatchString(got)):
					t.Errorf("X-Request-Id: got %q, want a new well-formed id in place of %q", got, tc.id)
				}
			})
		}
	}
}
