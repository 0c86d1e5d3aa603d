package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// raceRes is an answer to a request sent from a goroutine.
type raceRes struct {
	req      string
	status   int
	code     string
	revision int64
	// requestID is the X-Request-Id the server answered, which its audit
	// events carry; body is the raw answer.
	requestID string
	body      []byte
	err       error
}

// raceDo sends one request with the admin key without failing the test, so
// that goroutines may call it.
func raceDo(e *Env, method, path string, body any) raceRes {
	out := raceRes{req: method + " " + path}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			out.err = err
			return out
		}
		rd = bytes.NewReader(b)
	}
	hr, err := http.NewRequest(method, e.URL+path, rd)
	if err != nil {
		out.err = err
		return out
	}
	hr.Header.Set("Authorization", "Bearer "+e.Key)
	if rd != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		out.err = err
		return out
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		out.err = err
		return out
	}
	out.status = resp.StatusCode
	out.requestID = resp.Header.Get("X-Request-Id")
	out.body = raw
	var problem struct {
		Code string `json:"code"`
	}
	if resp.StatusCode >= 400 {
		json.Unmarshal(raw, &problem)
	}
	out.code = problem.Code
	if h := resp.Header.Get("Roster-Revision"); h != "" {
		out.revision, out.err = strconv.ParseInt(h, 10, 64)
	}
	return out
}

// raceReq is one request of a race.
type raceReq struct {
	method, path string
	body         any
}

// race sends the requests at the same time and returns their answers in
// order.
func race(e *Env, reqs ...raceReq) []raceRes {
	out := make([]raceRes, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = raceDo(e, r.method, r.path, r.body)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// revisions checks that the successful writes each carry a distinct
// Roster-Revision, and records them in seen.
func revisions(t *testing.T, seen map[int64]string, results []raceRes) {
	t.Helper()
	for _, r := range results {
		if r.status < 200 || r.status > 299 {
			continue
		}
		if r.revision <= 0 {
			t.Errorf("%s: got Roster-Revision %d, want a positive revision", r.req, r.revision)
			continue
		}
		if other, dup := seen[r.revision]; dup {
			t.Errorf("%s: got Roster-Revision %d, already answered to %s", r.req, r.revision, other)
		}
		seen[r.revision] = r.req
	}
}

// raceAdminHolders returns who holds a community's admin role.
func raceAdminHolders(t *testing.T, e *Env, community string) []string {
	t.Helper()
	var users []string
	for _, h := range e.Must(t, http.StatusOK, "GET", "/v1/communities/"+community+"/roles/admin/members", nil).Items() {
		users = append(users, h["userId"].(string))
	}
	return users
}

// TestLastAdminRace removes, at the same time, the admin role from the two
// holders of an ownerless community, in several ways: exactly one removal
// may succeed, the other answers last_admin, and one holder remains. Each
// way runs on its own copy of one world of communities, one per round.
func TestLastAdminRace(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		const rounds = 20
		world := MustEnv(t, eng)
		for i := range rounds {
			c := fmt.Sprintf("race-%d", i)
			world.MustCommunity(t, c, "", "u1", "u2")
			world.MustGrant(t, c, "u1", "admin")
			world.MustGrant(t, c, "u2", "admin")
		}
		snap := world.Snapshot(t)
		remove := func(u string) raceReq { return raceReq{"DELETE", "/members/" + u + "/roles/admin", nil} }
		batch := func(u string) raceReq {
			return raceReq{"POST", "/roles/batch-remove", map[string]any{"userIds": []string{u}, "roleIds": []string{"admin"}}}
		}
		leave := func(u string) raceReq { return raceReq{"DELETE", "/members/" + u, nil} }
		for _, tc := range []struct {
			name string
			a, b raceReq
			// aLeaves and bLeaves are true when a (b) takes u1 (u2) out of the
			// community.
			aLeaves, bLeaves bool
		}{
			{"role removals", remove("u1"), remove("u2"), false, false},
			{"batch-removes", batch("u1"), batch("u2"), false, false},
			{"role removal and batch-remove", remove("u1"), batch("u2"), false, false},
			{"role removal and member removal", remove("u1"), leave("u2"), false, true},
			{"member removals", leave("u1"), leave("u2"), true, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				e := MustEnvFrom(t, snap)
				seen := map[int64]string{}
				for i := range rounds {
					c := fmt.Sprintf("race-%d", i)
					prefix := "/v1/communities/" + c
					a, b := tc.a, tc.b
					a.path, b.path = prefix+a.path, prefix+b.path
					res := race(e, a, b)
					for _, r := range res {
						if r.err != nil {
							t.Fatalf("round %d: %s: %v", i, r.req, r.err)
						}
						if r.status >= 500 {
							t.Errorf("round %d: %s: got status %d, want no 5xx", i, r.req, r.status)
						}
					}
					ok := func(r raceRes) bool { return r.status == http.StatusOK || r.status == http.StatusNoContent }
					refused := func(r raceRes) bool { return r.status == http.StatusConflict && r.code == "last_admin" }
					var winner, loser string
					switch {
					case ok(res[0]) && refused(res[1]):
						winner, loser = "u1", "u2"
					case ok(res[1]) && refused(res[0]):
						winner, loser = "u2", "u1"
					default:
						t.Fatalf("round %d: got %s → %d %q and %s → %d %q, want one success and one 409 last_admin",
							i, res[0].req, res[0].status, res[0].code, res[1].req, res[1].status, res[1].code)
					}
					revisions(t, seen, res)
					if got := raceAdminHolders(t, e, c); !slices.Equal(got, []string{loser}) {
						t.Fatalf("round %d: admin holders: got %v, want [%s] (%s won)", i, got, loser, winner)
					}
					leaver := winner == "u1" && tc.aLeaves || winner == "u2" && tc.bLeaves
					member := e.Do(t, "GET", prefix+"/members/"+winner, nil)
					if leaver && member.Status != http.StatusNotFound {
						t.Errorf("round %d: %s removed from the community: got status %d for GET member, want 404", i, winner, member.Status)
					}
					if !leaver && member.Status != http.StatusOK {
						t.Errorf("round %d: %s kept in the community: got status %d for GET member, want 200", i, winner, member.Status)
					}
				}
			})
		}
	})
}

// TestConcurrentWrites sends many different writes at once: none may answer
// 5xx, each gets its own revision, and role positions stay 0..n.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "busy", "", "m0", "m1", "m2", "m3")
		grantRoles := []string{e.MustRole(t, "busy", "g0"), e.MustRole(t, "busy", "g1")}
		const n = 12
		var reqs []raceReq
		var wants []int
		add := func(want int, method, path string, body any) {
			reqs, wants = append(reqs, raceReq{method, path, body}), append(wants, want)
		}
		for i := range n {
			add(http.StatusCreated, "PUT", fmt.Sprintf("/v1/communities/busy/members/new%d", i), nil)
			add(http.StatusCreated, "POST", "/v1/communities/busy/roles", map[string]any{"name": fmt.Sprintf("r%d", i), "permissions": []string{"MUTE_MEMBERS"}})
			add(http.StatusCreated, "PUT", fmt.Sprintf("/v1/users/user%d", i), map[string]any{"displayName": fmt.Sprintf("User %d", i)})
			add(http.StatusCreated, "POST", "/v1/permissions", map[string]any{"key": fmt.Sprintf("RACE_KEY_%d", i)})
			add(http.StatusCreated, "POST", "/v1/communities", map[string]any{"id": fmt.Sprintf("c%d", i), "name": fmt.Sprintf("C %d", i)})
			if i < 4 {
				for _, r := range grantRoles {
					add(http.StatusOK, "PUT", fmt.Sprintf("/v1/communities/busy/members/m%d/roles/%s", i, r), nil)
				}
			}
		}
		res := race(e, reqs...)
		for i, r := range res {
			if r.err != nil {
				t.Fatalf("%s: %v", r.req, r.err)
			}
			if r.status != wants[i] {
				t.Errorf("%s: got %d %q, want %d", r.req, r.status, r.code, wants[i])
			}
		}
		revisions(t, map[int64]string{}, res)

		roles := e.Must(t, http.StatusOK, "GET", "/v1/communities/busy/roles?limit=1000", nil).Items()
		if len(roles) != n+4 {
			t.Fatalf("roles of busy: got %d, want %d", len(roles), n+4)
		}
		for i, r := range roles {
			if r["position"] != float64(i) {
				t.Errorf("role %v: got position %v, want %d (positions 0..n, bottom to top)", r["name"], r["position"], i)
			}
		}
		if got := len(e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=busy&action=role.created&limit=1000", nil).Items()); got != n+4 {
			t.Errorf("role.created events: got %d, want %d", got, n+4)
		}
	})
}

// TestConcurrentAdminRemovals races a role deletion and admin removals
// against each other in one community with three admin holders: at most two
// removals succeed and an admin always remains.
func TestConcurrentAdminRemovals(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		seen := map[int64]string{}
		for i := range 10 {
			c := fmt.Sprintf("three-%d", i)
			e.MustCommunity(t, c, "", "u1", "u2", "u3")
			for _, u := range []string{"u1", "u2", "u3"} {
				e.MustGrant(t, c, u, "admin")
			}
			extra := e.MustRole(t, c, "extra")
			e.MustGrant(t, c, "u1", extra)
			p := "/v1/communities/" + c
			res := race(e,
				raceReq{"DELETE", p + "/members/u1/roles/admin", nil},
				raceReq{"POST", p + "/roles/batch-remove", map[string]any{"userIds": []string{"u2"}, "roleIds": []string{"admin"}}},
				raceReq{"DELETE", p + "/members/u3", nil},
				raceReq{"DELETE", p + "/roles/" + extra + "?force=true", nil},
			)
			wins := 0
			for j, r := range res[:3] {
				switch {
				case r.err != nil:
					t.Fatalf("round %d: %s: %v", i, r.req, r.err)
				case r.status == http.StatusOK || r.status == http.StatusNoContent:
					wins++
				case r.status != http.StatusConflict || r.code != "last_admin":
					t.Errorf("round %d: request %d %s: got %d %q, want success or 409 last_admin", i, j, r.req, r.status, r.code)
				}
			}
			if wins != 2 {
				t.Errorf("round %d: got %d successful admin removals, want 2 of 3", i, wins)
			}
			if r := res[3]; r.err != nil || r.status != http.StatusNoContent {
				t.Errorf("round %d: %s: got %d %q (%v), want 204", i, r.req, r.status, r.code, r.err)
			}
			revisions(t, seen, res)
			if got := raceAdminHolders(t, e, c); len(got) != 1 {
				t.Errorf("round %d: admin holders: got %v, want exactly one", i, got)
			}
		}
	})
}

// raceSucceeded fails the test on a transport error or a 5xx, and reports
// whether the write succeeded (2xx); the caller judges other answers. No
// write here is expected to lose with 409 write_conflict: the store retries
// serialization failures, and these races never exhausted its retries.
func raceSucceeded(t *testing.T, round int, r raceRes) bool {
	t.Helper()
	if r.err != nil {
		t.Fatalf("round %d: %s: %v", round, r.req, r.err)
	}
	if r.status >= 500 {
		t.Errorf("round %d: %s: got status %d %q, want no 5xx: %s", round, r.req, r.status, r.code, r.body)
	}
	return r.status >= 200 && r.status <= 299
}

// raceEvent is an audit event as the audit API lists it.
type raceEvent struct {
	Revision  int64           `json:"revision"`
	RequestID string          `json:"requestId"`
	Action    string          `json:"action"`
	TargetID  string          `json:"targetId"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

// assignment returns the user and role of a member.role_added (after) or
// member.role_removed (before) event.
func (ev raceEvent) assignment(t *testing.T) (user, role string) {
	t.Helper()
	doc := ev.After
	if ev.Action == "member.role_removed" {
		doc = ev.Before
	}
	var a struct {
		UserID string `json:"userId"`
		RoleID string `json:"roleId"`
	}
	if err := json.Unmarshal(doc, &a); err != nil {
		t.Fatalf("%s event at revision %d: %v: %s", ev.Action, ev.Revision, err, doc)
	}
	return a.UserID, a.RoleID
}

// raceEvents returns every audit event of a community with the action,
// oldest first, following the cursor from page to page.
func raceEvents(t *testing.T, e *Env, community, action string) []raceEvent {
	t.Helper()
	var all []raceEvent
	cursor := ""
	for {
		q := url.Values{"communityId": {community}, "action": {action}, "limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		res := e.Must(t, http.StatusOK, "GET", "/v1/audit?"+q.Encode(), nil)
		var page struct {
			Items      []raceEvent `json:"items"`
			NextCursor string      `json:"nextCursor"`
		}
		if err := json.Unmarshal(res.Raw, &page); err != nil {
			t.Fatalf("audit page: %v: %s", err, res.Raw)
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
}

// raceRoleOrder returns the ids of a community's roles but everyone, bottom
// to top, after checking that the positions of all its roles are exactly
// 0..n-1 with everyone at 0.
func raceRoleOrder(t *testing.T, e *Env, community string) []string {
	t.Helper()
	roles := e.Must(t, http.StatusOK, "GET", "/v1/communities/"+community+"/roles?limit=1000", nil).Items()
	var ids []string
	for i, r := range roles {
		if r["position"] != float64(i) {
			t.Errorf("%s: role %v: got position %v, want %d (positions 0..%d, no gaps or duplicates)", community, r["id"], r["position"], i, len(roles)-1)
		}
		if i == 0 {
			if r["builtin"] != "everyone" {
				t.Errorf("%s: bottom role: got %v, want everyone", community, r["id"])
			}
			continue
		}
		ids = append(ids, r["id"].(string))
	}
	return ids
}

// raceHeld returns the ids of the roles a member holds, failing the test
// unless each is listed once with exactly one grant.
func raceHeld(t *testing.T, e *Env, community, user string) []string {
	t.Helper()
	res := e.Must(t, http.StatusOK, "GET", "/v1/communities/"+community+"/members/"+user+"/roles", nil)
	var m struct {
		Roles []struct {
			RoleID string            `json:"roleId"`
			Grants []json.RawMessage `json:"grants"`
		} `json:"roles"`
	}
	if err := json.Unmarshal(res.Raw, &m); err != nil {
		t.Fatalf("%s's roles: %v: %s", user, err, res.Raw)
	}
	var held []string
	for _, r := range m.Roles {
		if slices.Contains(held, r.RoleID) {
			t.Errorf("%s: %s's roles: got %s listed twice, want once", community, user, r.RoleID)
		}
		if len(r.Grants) != 1 {
			t.Errorf("%s: %s's grants of %s: got %d, want 1", community, user, r.RoleID, len(r.Grants))
		}
		held = append(held, r.RoleID)
	}
	return held
}

// racePair is a (user, role) pair of an assignment.
type racePair struct{ user, role string }

func (p racePair) String() string { return p.user + "×" + p.role }

// pairResults decodes the per-pair results of a successful role
// assignment: the results list of a batch, or the one result of a single
// add, whose pair is single.
func pairResults(t *testing.T, r raceRes, single *racePair) map[racePair]string {
	t.Helper()
	out := map[racePair]string{}
	if single != nil {
		var one struct {
			Result string `json:"result"`
		}
		if err := json.Unmarshal(r.body, &one); err != nil {
			t.Fatalf("%s: %v: %s", r.req, err, r.body)
		}
		out[*single] = one.Result
		return out
	}
	var batch struct {
		Results []struct {
			UserID string `json:"userId"`
			RoleID string `json:"roleId"`
			Result string `json:"result"`
		} `json:"results"`
	}
	if err := json.Unmarshal(r.body, &batch); err != nil {
		t.Fatalf("%s: %v: %s", r.req, err, r.body)
	}
	for _, p := range batch.Results {
		k := racePair{p.UserID, p.RoleID}
		if _, dup := out[k]; dup {
			t.Errorf("%s: got two results for %s, want one", r.req, k)
		}
		out[k] = p.Result
	}
	return out
}
