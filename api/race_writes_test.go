package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestConcurrentReorders sends two reorders of the same roles to different
// orders at once: both succeed, positions
// stay exactly 0..n-1, the final order is the one of the success committed
// last, and the log holds one role.reordered per success, chained from the
// initial order to the final one.
func TestConcurrentReorders(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		const rounds = 15
		e := MustEnv(t, eng)
		seen := map[int64]string{}
		for i := range rounds {
			c := fmt.Sprintf("order-%d", i)
			e.MustCommunity(t, c, "")
			for j := range 5 {
				e.MustRole(t, c, fmt.Sprintf("r%d", j))
			}
			initial := raceRoleOrder(t, e, c)
			// Two orders, different from each other and from the initial one.
			reversed := slices.Clone(initial)
			slices.Reverse(reversed)
			rotated := append(slices.Clone(initial[1:]), initial[0])
			orders := [][]string{reversed, rotated}
			path := "/v1/communities/" + c + "/roles/order"
			res := race(e,
				raceReq{"PUT", path, map[string]any{"roleIds": reversed}},
				raceReq{"PUT", path, map[string]any{"roleIds": rotated}},
			)
			last, successes := -1, 0
			for j, r := range res {
				if !raceSucceeded(t, i, r) {
					t.Errorf("round %d: reorder %d: got %d %q, want 200: %s", i, j, r.status, r.code, r.body)
					continue
				}
				successes++
				if r.status != http.StatusOK {
					t.Errorf("round %d: reorder %d: got status %d, want 200", i, j, r.status)
				}
				// The answer is the order at its commit: the one asked for.
				var body struct {
					Items []struct {
						ID      string `json:"id"`
						Builtin string `json:"builtin"`
					} `json:"items"`
				}
				if err := json.Unmarshal(r.body, &body); err != nil {
					t.Fatalf("round %d: reorder %d: %v: %s", i, j, err, r.body)
				}
				var answered []string
				for _, role := range body.Items {
					if role.Builtin != "everyone" {
						answered = append(answered, role.ID)
					}
				}
				if !slices.Equal(answered, orders[j]) {
					t.Errorf("round %d: reorder %d answered order: got %v, want %v", i, j, answered, orders[j])
				}
				if last < 0 || r.revision > res[last].revision {
					last = j
				}
			}
			if successes == 0 {
				t.Fatalf("round %d: got no successful reorder, want at least 1", i)
			}
			revisions(t, seen, res)

			final := raceRoleOrder(t, e, c)
			if !slices.Equal(final, orders[last]) {
				t.Errorf("round %d: final order: got %v, want %v (reorder %d, committed last at revision %d)", i, final, orders[last], last, res[last].revision)
			}

			events := raceEvents(t, e, c, "role.reordered")
			if len(events) != successes {
				t.Fatalf("round %d: role.reordered events: got %d, want %d (one per successful reorder)", i, len(events), successes)
			}
			prev := initial
			for k, ev := range events {
				var before, after []string
				if err := json.Unmarshal(ev.Before, &before); err != nil {
					t.Fatalf("round %d: event %d before: %v", i, k, err)
				}
				if err := json.Unmarshal(ev.After, &after); err != nil {
					t.Fatalf("round %d: event %d after: %v", i, k, err)
				}
				if !slices.Equal(before, prev) {
					t.Errorf("round %d: role.reordered %d before: got %v, want %v (the order before it)", i, k, before, prev)
				}
				prev = after
				j := slices.IndexFunc(res, func(r raceRes) bool { return r.requestID == ev.RequestID })
				switch {
				case j < 0 || res[j].status != http.StatusOK:
					t.Errorf("round %d: role.reordered %d: got request %q, want one of the successful reorders", i, k, ev.RequestID)
				case ev.Revision != res[j].revision || !slices.Equal(after, orders[j]):
					t.Errorf("round %d: role.reordered %d: got revision %d order %v, want revision %d order %v (reorder %d's answer)",
						i, k, ev.Revision, after, res[j].revision, orders[j], j)
				}
			}
			if !slices.Equal(prev, final) {
				t.Errorf("round %d: last role.reordered after: got %v, want the final order %v", i, prev, final)
			}
		}
	})
}

// TestConcurrentOverlappingBatchAdds sends role batch-adds and single adds
// with overlapping (user, role) pairs at once: each pair is then held once
// with one grant, exactly one answer says it was added (the others
// already_held), and the log holds exactly one member.role_added for it,
// from the request that said so.
func TestConcurrentOverlappingBatchAdds(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		const rounds = 10
		e := MustEnv(t, eng)
		users := []string{"u0", "u1", "u2", "u3", "u4", "u5"}
		seen := map[int64]string{}
		for i := range rounds {
			c := fmt.Sprintf("grant-%d", i)
			e.MustCommunity(t, c, "", users...)
			r := make([]string, 4)
			for j := range r {
				r[j] = e.MustRole(t, c, fmt.Sprintf("r%d", j))
			}
			p := "/v1/communities/" + c
			type change struct {
				users, roles []string
				single       bool
			}
			changes := []change{
				{[]string{"u0", "u1", "u2"}, []string{r[0], r[1]}, false},
				{[]string{"u1", "u2", "u3"}, []string{r[1], r[2]}, false},
				{[]string{"u2", "u3", "u4"}, []string{r[0], r[2]}, false},
				{[]string{"u0", "u4", "u5"}, []string{r[1], r[3]}, false},
				{[]string{"u1", "u2"}, []string{r[1], r[2]}, false},
				{[]string{"u2"}, []string{r[1]}, true},
				{[]string{"u4"}, []string{r[0]}, true},
			}
			var reqs []raceReq
			for _, ch := range changes {
				if ch.single {
					reqs = append(reqs, raceReq{"PUT", p + "/members/" + ch.users[0] + "/roles/" + ch.roles[0], nil})
				} else {
					reqs = append(reqs, raceReq{"POST", p + "/roles/batch-add", map[string]any{"userIds": ch.users, "roleIds": ch.roles}})
				}
			}
			res := race(e, reqs...)

			addedBy := map[racePair][]string{} // request ids answering added
			var changed []raceRes
			for j, rr := range res {
				if !raceSucceeded(t, i, rr) {
					t.Errorf("round %d: %s: got %d %q, want 200: %s", i, rr.req, rr.status, rr.code, rr.body)
					continue
				}
				ch := changes[j]
				var single *racePair
				if ch.single {
					single = &racePair{ch.users[0], ch.roles[0]}
				}
				results := pairResults(t, rr, single)
				if len(results) != len(ch.users)*len(ch.roles) {
					t.Errorf("round %d: %s: got %d results, want %d", i, rr.req, len(results), len(ch.users)*len(ch.roles))
				}
				added := false
				for _, u := range ch.users {
					for _, role := range ch.roles {
						k := racePair{u, role}
						switch got := results[k]; got {
						case "added":
							addedBy[k] = append(addedBy[k], rr.requestID)
							added = true
						case "already_held":
						default:
							t.Errorf("round %d: %s: result for %s: got %q, want added or already_held", i, rr.req, k, got)
						}
					}
				}
				// A write that changed nothing answers the current revision,
				// which another write may share.
				if added {
					changed = append(changed, rr)
				}
			}
			revisions(t, seen, changed)

			// Every pair asked for by a successful request was added once;
			// no other pair is held.
			want := map[racePair]bool{}
			for j, ch := range changes {
				if res[j].status != http.StatusOK {
					continue
				}
				for _, u := range ch.users {
					for _, role := range ch.roles {
						want[racePair{u, role}] = true
					}
				}
			}
			for k := range want {
				if got := len(addedBy[k]); got != 1 {
					t.Errorf("round %d: answers saying %s was added: got %d, want exactly 1", i, k, got)
				}
			}
			for _, u := range users {
				held := raceHeld(t, e, c, u)
				for _, role := range r {
					if got, w := slices.Contains(held, role), want[racePair{u, role}]; got != w {
						t.Errorf("round %d: %s holds %s: got %v, want %v", i, u, role, got, w)
					}
				}
			}

			events := raceEvents(t, e, c, "member.role_added")
			perPair := map[racePair]int{}
			for _, ev := range events {
				u, role := ev.assignment(t)
				k := racePair{u, role}
				perPair[k]++
				if by := addedBy[k]; len(by) != 1 || by[0] != ev.RequestID {
					t.Errorf("round %d: member.role_added %s: got request %q, want the one answering added %v", i, k, ev.RequestID, by)
				}
			}
			for k := range want {
				if perPair[k] != 1 {
					t.Errorf("round %d: member.role_added events for %s: got %d, want exactly 1", i, k, perPair[k])
				}
			}
			if len(events) != len(want) {
				t.Errorf("round %d: member.role_added events: got %d, want %d (one per pair)", i, len(events), len(want))
			}
		}
	})
}

// TestForceDeleteRoleRace force-deletes a held role while single adds and a
// batch-add assign it: each add either committed before the deletion (and
// the deletion removed it, in its own request) or answers 404
// role_not_found having changed nothing; afterwards the role is gone, no one
// holds it, and every member.role_added of it has a member.role_removed.
func TestForceDeleteRoleRace(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		const rounds = 15
		e := MustEnv(t, eng)
		users := []string{"u0", "u1", "u2", "u3"}
		seen := map[int64]string{}
		addsWon, addsLost := 0, 0
		for i := range rounds {
			c := fmt.Sprintf("doom-%d", i)
			e.MustCommunity(t, c, "", users...)
			doomed := e.MustRole(t, c, "doomed")
			keep := e.MustRole(t, c, "keep")
			e.MustGrant(t, c, "u0", doomed)
			p := "/v1/communities/" + c
			res := race(e,
				raceReq{"DELETE", p + "/roles/" + doomed + "?force=true", nil},
				raceReq{"PUT", p + "/members/u1/roles/" + doomed, nil},
				raceReq{"PUT", p + "/members/u2/roles/" + doomed, nil},
				raceReq{"POST", p + "/roles/batch-add", map[string]any{"userIds": []string{"u2", "u3"}, "roleIds": []string{doomed, keep}}},
			)
			del := res[0]
			if !raceSucceeded(t, i, del) {
				t.Fatalf("round %d: %s: got %d %q, want 204: %s", i, del.req, del.status, del.code, del.body)
			}
			if del.status != http.StatusNoContent {
				t.Errorf("round %d: %s: got status %d, want 204", i, del.req, del.status)
			}
			won := map[string]bool{} // request ids of the adds that succeeded
			changed := []raceRes{del}
			for j, r := range res[1:] {
				ok := raceSucceeded(t, i, r)
				switch {
				case ok && r.status == http.StatusOK:
					won[r.requestID] = true
					addsWon++
					var single *racePair
					if j < 2 {
						single = &racePair{users[j+1], doomed}
					}
					added := false
					for k, got := range pairResults(t, r, single) {
						switch got {
						case "added":
							added = true
						case "already_held":
						default:
							t.Errorf("round %d: %s: result for %s: got %q, want added or already_held", i, r.req, k, got)
						}
					}
					// A write that changed nothing answers the current
					// revision, which may already be the deletion's.
					if !added {
						continue
					}
					changed = append(changed, r)
					if r.revision >= del.revision {
						t.Errorf("round %d: %s added at revision %d, want before the deletion at %d", i, r.req, r.revision, del.revision)
					}
				case r.status == http.StatusNotFound && r.code == "role_not_found":
					addsLost++
				default:
					t.Errorf("round %d: %s: got %d %q, want 200 or 404 role_not_found: %s", i, r.req, r.status, r.code, r.body)
				}
			}
			revisions(t, seen, changed)

			if got := e.Do(t, "GET", p+"/roles/"+doomed, nil); got.Status != http.StatusNotFound || got.Code() != "role_not_found" {
				t.Errorf("round %d: GET deleted role: got %d %q, want 404 role_not_found", i, got.Status, got.Code())
			}
			var keepers, wantKeepers []string
			for _, m := range e.Must(t, http.StatusOK, "GET", p+"/members?role="+keep, nil).Items() {
				keepers = append(keepers, m["userId"].(string))
			}
			if won[res[3].requestID] {
				wantKeepers = []string{"u2", "u3"}
			}
			if !slices.Equal(keepers, wantKeepers) {
				t.Errorf("round %d: holders of keep: got %v, want %v (the batch-add is all or nothing)", i, keepers, wantKeepers)
			}
			for _, u := range users {
				if held := raceHeld(t, e, c, u); slices.Contains(held, doomed) {
					t.Errorf("round %d: %s's roles: got %v, want none of them the deleted %s", i, u, held, doomed)
				}
			}

			deleted := raceEvents(t, e, c, "role.deleted")
			if len(deleted) != 1 || deleted[0].RequestID != del.requestID || deleted[0].Revision != del.revision {
				t.Fatalf("round %d: role.deleted events: got %+v, want one from the deletion at revision %d", i, deleted, del.revision)
			}
			balance := map[string]int{} // per user: adds of doomed minus removals
			for _, ev := range raceEvents(t, e, c, "member.role_added") {
				u, role := ev.assignment(t)
				if role != doomed {
					continue
				}
				balance[u]++
				if ev.Revision >= del.revision {
					t.Errorf("round %d: member.role_added %s×doomed at revision %d, want before the deletion at %d", i, u, ev.Revision, del.revision)
				}
				if u != "u0" && !won[ev.RequestID] {
					t.Errorf("round %d: member.role_added %s×doomed: got request %q, want a successful add", i, u, ev.RequestID)
				}
			}
			for _, ev := range raceEvents(t, e, c, "member.role_removed") {
				u, role := ev.assignment(t)
				if role != doomed {
					continue
				}
				balance[u]--
				if ev.RequestID != del.requestID {
					t.Errorf("round %d: member.role_removed %s×doomed: got request %q, want the deletion's %q", i, u, ev.RequestID, del.requestID)
				}
			}
			for _, u := range users {
				if balance[u] != 0 {
					t.Errorf("round %d: %s×doomed: got %d more member.role_added than member.role_removed, want 0", i, u, balance[u])
				}
			}
		}
		t.Logf("adds of the doomed role: %d committed before the deletion, %d lost to it", addsWon, addsLost)
	})
}

// TestConcurrentMemberAdds sends overlapping member batch-adds and single
// member adds at once: each user is then a member once, exactly one answer
// says they joined, and the log holds exactly one member.joined for them
// (and one member.role_added of the default role), from that request.
func TestConcurrentMemberAdds(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		const rounds = 15
		e := MustEnv(t, eng)
		users := []string{"n0", "n1", "n2", "n3", "n4", "n5"}
		seen := map[int64]string{}
		for i := range rounds {
			c := fmt.Sprintf("join-%d", i)
			e.MustCommunity(t, c, "")
			newcomer := e.Must(t, http.StatusCreated, "POST", "/v1/communities/"+c+"/roles",
				map[string]any{"name": "Newcomer", "permissions": []string{}, "isDefault": true}).Str("id")
			p := "/v1/communities/" + c + "/members"
			batches := [][]string{{"n0", "n1", "n2", "n3"}, {"n2", "n3", "n4", "n5"}, {"n1", "n5"}}
			singles := []string{"n1", "n4", "n5"}
			var reqs []raceReq
			for _, b := range batches {
				reqs = append(reqs, raceReq{"POST", p + "/batch-add", map[string]any{"userIds": b}})
			}
			for _, u := range singles {
				reqs = append(reqs, raceReq{"PUT", p + "/" + u, nil})
			}
			res := race(e, reqs...)

			joinedBy := map[string][]string{} // per user, request ids answering joined
			want := map[string]bool{}
			var changed []raceRes
			for j, r := range res {
				if !raceSucceeded(t, i, r) {
					t.Errorf("round %d: %s: got %d %q, want 200 or 201: %s", i, r.req, r.status, r.code, r.body)
					continue
				}
				joined := false
				if j < len(batches) {
					var body struct {
						Results []struct {
							UserID string `json:"userId"`
							Result string `json:"result"`
						} `json:"results"`
					}
					if err := json.Unmarshal(r.body, &body); err != nil {
						t.Fatalf("round %d: %s: %v: %s", i, r.req, err, r.body)
					}
					var got []string
					for _, jr := range body.Results {
						got = append(got, jr.UserID)
						switch jr.Result {
						case "joined":
							joinedBy[jr.UserID] = append(joinedBy[jr.UserID], r.requestID)
							joined = true
						case "already_member":
						default:
							t.Errorf("round %d: %s: result for %s: got %q, want joined or already_member", i, r.req, jr.UserID, jr.Result)
						}
					}
					if !slices.Equal(got, batches[j]) {
						t.Errorf("round %d: %s: got results for %v, want %v", i, r.req, got, batches[j])
					}
					for _, u := range batches[j] {
						want[u] = true
					}
				} else {
					u := singles[j-len(batches)]
					want[u] = true
					switch r.status {
					case http.StatusCreated:
						joinedBy[u] = append(joinedBy[u], r.requestID)
						joined = true
					case http.StatusOK:
					default:
						t.Errorf("round %d: %s: got status %d, want 201 or 200", i, r.req, r.status)
					}
				}
				// A write that changed nothing answers the current revision,
				// which another write may share.
				if joined {
					changed = append(changed, r)
				}
			}
			revisions(t, seen, changed)

			var members []string
			for _, m := range e.Must(t, http.StatusOK, "GET", p+"?limit=1000", nil).Items() {
				members = append(members, m["userId"].(string))
			}
			var wantMembers []string
			for _, u := range users {
				if want[u] {
					wantMembers = append(wantMembers, u)
				}
			}
			if !slices.Equal(members, wantMembers) {
				t.Errorf("round %d: members: got %v, want %v, each once", i, members, wantMembers)
			}
			for _, u := range wantMembers {
				if got := len(joinedBy[u]); got != 1 {
					t.Errorf("round %d: answers saying %s joined: got %d, want exactly 1", i, u, got)
				}
				if held := raceHeld(t, e, c, u); !slices.Equal(held, []string{newcomer}) {
					t.Errorf("round %d: %s's roles: got %v, want the default role %s once", i, u, held, newcomer)
				}
			}

			for _, action := range []string{"member.joined", "member.role_added"} {
				per := map[string]int{}
				events := raceEvents(t, e, c, action)
				for _, ev := range events {
					per[ev.TargetID]++
					if by := joinedBy[ev.TargetID]; len(by) != 1 || by[0] != ev.RequestID {
						t.Errorf("round %d: %s for %s: got request %q, want the one answering joined %v", i, action, ev.TargetID, ev.RequestID, by)
					}
				}
				for _, u := range wantMembers {
					if per[u] != 1 {
						t.Errorf("round %d: %s events for %s: got %d, want exactly 1", i, action, u, per[u])
					}
				}
				if len(events) != len(wantMembers) {
					t.Errorf("round %d: %s events: got %d, want %d (one per member)", i, action, len(events), len(wantMembers))
				}
			}
		}
	})
}
