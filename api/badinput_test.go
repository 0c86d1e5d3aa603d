package api_test

import (
	"bytes"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
)

// badCase is one bad request and the problem it must be answered with.
type badCase struct {
	name         string
	method, path string
	body         any
	req          Req
	status       int
	code         string
	// locs is the exact set of errors[].location wanted; nil leaves it
	// unchecked (errors that are not about a field).
	locs []string
	// reread is a GET whose answer must be the same before and after.
	reread string
}

// bad returns a case named after its route (the operation id) and kind.
func bad(op, kind, method, path string, body any, status int, code string, locs ...string) badCase {
	return badCase{name: op + " " + kind, method: method, path: path, body: body, status: status, code: code, locs: locs}
}

func (c badCase) with(r Req) badCase          { c.req = r; return c }
func (c badCase) rereads(path string) badCase { c.reread = path; return c }

// badFix holds the ids of what TestBadInput creates before its cases.
type badFix struct {
	mod, plat, keyID, readKey string
	// actKey may act as a user (actAs); the admin key may not.
	actKey string
}

// mustBadFix makes community guild (owner alice, members bob and carol),
// role Mod held by bob, platform role Staff held by bob, an unused
// permission REDEEM_REWARDS and a read key.
func mustBadFix(t *testing.T, e *Env) badFix {
	t.Helper()
	var fx badFix
	e.Must(t, http.StatusCreated, "POST", "/v1/permissions", map[string]any{"key": "REDEEM_REWARDS"})
	e.MustCommunity(t, "guild", "alice", "bob", "carol")
	fx.mod = e.MustRole(t, "guild", "Mod", "MANAGE_POSTS")
	e.MustGrant(t, "guild", "bob", fx.mod)
	fx.plat = e.Must(t, http.StatusCreated, "POST", "/v1/platform/roles", map[string]any{"name": "Staff", "permissions": []string{}}).Str("id")
	e.Must(t, http.StatusOK, "PUT", "/v1/platform/users/bob/roles/"+fx.plat, nil)
	k := e.Must(t, http.StatusCreated, "POST", "/v1/api-keys", map[string]any{"name": "reader", "scopes": []string{"read"}})
	fx.keyID, fx.readKey = k.Str("id"), k.Str("secret")
	fx.actKey = e.Must(t, http.StatusCreated, "POST", "/v1/api-keys", map[string]any{"name": "acting", "scopes": []string{"write"}, "actAs": true}).Str("secret")
	return fx
}

// TestBadInput sends each kind of bad input to each write route (and bad
// pagination to each list), and checks the problem document answered and
// that nothing changed.
func TestBadInput(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		fx := mustBadFix(t, e)
		cases := badInputCases(fx)
		seen := map[string]bool{}
		for _, tc := range cases {
			if seen[tc.name] {
				t.Fatalf("case %q is listed twice", tc.name)
			}
			seen[tc.name] = true
			t.Run(tc.name, func(t *testing.T) {
				var before Res
				if tc.reread != "" {
					before = e.Do(t, "GET", tc.reread, nil)
				}
				rev := e.Revision(t)
				res := e.Do(t, tc.method, tc.path, tc.body, tc.req)
				if res.Status >= 500 {
					t.Errorf("%s %s: got status %d, want no 5xx ever: %.300s", tc.method, tc.path, res.Status, res.Raw)
				}
				wantProblem(t, res, tc.status, tc.code, tc.locs)
				if got := e.Revision(t); got != rev {
					t.Errorf("revision: got %d, want %d (the refused request changed something)", got, rev)
				}
				if tc.reread != "" {
					after := e.Do(t, "GET", tc.reread, nil)
					if after.Status != before.Status || (after.Status == http.StatusOK && !bytes.Equal(after.Raw, before.Raw)) {
						t.Errorf("GET %s: got %d %.300s, want it unchanged: %d %.300s", tc.reread, after.Status, after.Raw, before.Status, before.Raw)
					}
				}
			})
		}
		t.Logf("%d bad-input cases", len(cases))
	})
}

// wantProblem checks that res is a problem document with the status and
// code, and that its field errors name exactly locs (unless locs is nil).
func wantProblem(t *testing.T, res Res, status int, code string, locs []string) {
	t.Helper()
	if res.Status != status || res.Code() != code {
		t.Errorf("got %d %q, want %d %q: %.400s", res.Status, res.Code(), status, code, res.Raw)
		return
	}
	if got := res.Header.Get("Content-Type"); got != "application/problem+json" {
		t.Errorf("Content-Type: got %q, want application/problem+json", got)
	}
	for _, k := range []string{"type", "title", "status", "detail", "code", "errors", "requestId"} {
		if _, ok := res.JSON[k]; !ok {
			t.Errorf("body: got no %q member, want one: %.300s", k, res.Raw)
		}
	}
	if got, _ := res.JSON["status"].(float64); int(got) != status {
		t.Errorf("body status: got %v, want %d", res.JSON["status"], status)
	}
	if got, want := res.Str("type"), "urn:roster:problem:"+code; got != want {
		t.Errorf("type: got %q, want %q", got, want)
	}
	if got := res.Str("title"); got != http.StatusText(status) {
		t.Errorf("title: got %q, want %q", got, http.StatusText(status))
	}
	if res.Str("detail") == "" {
		t.Errorf("detail: got empty, want a sentence")
	}
	if got, want := res.Str("requestId"), res.Header.Get("X-Request-Id"); got == "" || got != want {
		t.Errorf("requestId: got %q, want the X-Request-Id header %q", got, want)
	}
	raw, ok := res.JSON["errors"].([]any)
	if !ok {
		t.Errorf("errors: got %v, want an array", res.JSON["errors"])
		return
	}
	if locs == nil {
		return
	}
	var got []string
	for _, f := range raw {
		m, _ := f.(map[string]any)
		loc, _ := m["location"].(string)
		if msg, _ := m["message"].(string); msg == "" {
			t.Errorf("errors: %v has no message, want one", m)
		}
		if !slices.Contains(got, loc) {
			got = append(got, loc)
		}
	}
	want := slices.Clone(locs)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("error locations: got %q, want %q: %.400s", got, want, res.Raw)
	}
}

// TestBatchDuplicatesCollapsed checks that a batch naming a user or a role
// twice answers (and audits) one result per distinct pair.
func TestBatchDuplicatesCollapsed(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "guild", "alice", "bob", "carol")
		mod := e.MustRole(t, "guild", "Mod")
		for _, tc := range []struct {
			badRoute, want string
		}{
			{"batch-add", "added"},
			{"batch-remove", "removed"},
		} {
			t.Run(tc.badRoute, func(t *testing.T) {
				rev := e.Revision(t)
				res := e.Must(t, http.StatusOK, "POST", "/v1/communities/guild/roles/"+tc.badRoute,
					map[string]any{"userIds": []string{"bob", "carol", "bob"}, "roleIds": []string{mod, mod}})
				var got []string
				for _, r := range res.JSON["results"].([]any) {
					m := r.(map[string]any)
					got = append(got, m["userId"].(string)+" "+m["roleId"].(string)+" "+m["result"].(string))
				}
				want := []string{"bob " + mod + " " + tc.want, "carol " + mod + " " + tc.want}
				if !slices.Equal(got, want) {
					t.Errorf("results: got %q, want %q", got, want)
				}
				if got := e.Revision(t); got != rev+2 {
					t.Errorf("revision: got %d, want %d (one event per distinct pair)", got, rev+2)
				}
			})
		}
	})
}

// nChars returns a string of n characters.
func nChars(n int) string { return strings.Repeat("x", n) }
