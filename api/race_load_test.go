package api_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// TestWritersWithoutConflict runs 16 writers, each sending 200 batch-adds,
// single adds and single removals back to back, first all in one community
// and then spread over 16: no write answers write_conflict or any other
// failure (a removal of a role not held answers 404 role_not_held), every
// successful change carries its own revision, and the roles
// each member holds are exactly those the audit log's events add and remove,
// in revision order, each with one grant. SQLite has one writer, so it runs
// a quarter of the load there.
func TestWritersWithoutConflict(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		const writers, members, roles = 16, 40, 8
		perWriter := 200
		if eng == sqltest.SQLite {
			perWriter = 50
		}
		e := MustEnv(t, eng)
		users := nIDs("w", members)
		for _, spread := range []int{1, 16} {
			t.Run(fmt.Sprintf("communities=%d", spread), func(t *testing.T) {
				communities := make([]string, spread)
				roleIDs := make([][]string, spread)
				for i := range communities {
					communities[i] = fmt.Sprintf("crowd-%d-%d", spread, i)
					e.MustCommunity(t, communities[i], "")
					e.Must(t, http.StatusOK, "POST", "/v1/communities/"+communities[i]+"/members/batch-add", map[string]any{"userIds": users})
					for j := range roles {
						roleIDs[i] = append(roleIDs[i], e.MustRole(t, communities[i], fmt.Sprintf("r%d", j)))
					}
				}
				answers := make([][]raceRes, writers)
				var wg sync.WaitGroup
				for w := range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						rng := rand.New(rand.NewPCG(uint64(spread), uint64(w)))
						for range perWriter {
							c := (w + rng.IntN(2)) % spread
							p := "/v1/communities/" + communities[c]
							user, role := users[rng.IntN(members)], roleIDs[c][rng.IntN(roles)]
							var r raceRes
							switch rng.IntN(3) {
							case 0:
								us := []string{user, users[rng.IntN(members)], users[rng.IntN(members)]}
								rs := []string{role, roleIDs[c][rng.IntN(roles)]}
								r = raceDo(e, "POST", p+"/roles/batch-add", map[string]any{"userIds": slices.Compact(slices.Sorted(slices.Values(us))), "roleIds": slices.Compact(slices.Sorted(slices.Values(rs)))})
							case 1:
								r = raceDo(e, "PUT", p+"/members/"+user+"/roles/"+role, nil)
							default:
								r = raceDo(e, "DELETE", p+"/members/"+user+"/roles/"+role, nil)
							}
							answers[w] = append(answers[w], r)
						}
					}()
				}
				wg.Wait()

				seen := map[int64]string{}
				for _, list := range answers {
					var changed []raceRes
					for _, r := range list {
						if r.err != nil {
							t.Fatalf("%s: %v", r.req, r.err)
						}
						notHeld := strings.HasPrefix(r.req, "DELETE ") && r.status == http.StatusNotFound && r.code == "role_not_held"
						if r.status != http.StatusOK && !notHeld {
							t.Errorf("%s: got %d %q, want 200 (or 404 role_not_held for a removal): %s", r.req, r.status, r.code, r.body)
							continue
						}
						if r.code == "" && r.revision > 0 && changedSomething(t, r) {
							changed = append(changed, r)
						}
					}
					revisions(t, seen, changed)
				}

				for i, c := range communities {
					held := map[racePair]bool{}
					added := raceEvents(t, e, c, "member.role_added")
					removed := raceEvents(t, e, c, "member.role_removed")
					events := append(added, removed...)
					slices.SortFunc(events, func(a, b raceEvent) int { return int(a.Revision - b.Revision) })
					for _, ev := range events {
						u, role := ev.assignment(t)
						k := racePair{u, role}
						if (ev.Action == "member.role_added") == held[k] {
							t.Errorf("%s: %s at revision %d for %s, which the log says is held: %v", c, ev.Action, ev.Revision, k, held[k])
						}
						held[k] = ev.Action == "member.role_added"
					}
					for _, u := range users {
						got := raceHeld(t, e, c, u)
						for _, role := range roleIDs[i] {
							if slices.Contains(got, role) != held[racePair{u, role}] {
								t.Errorf("%s: %s holds %s: got %v, the log says %v", c, u, role, !held[racePair{u, role}], held[racePair{u, role}])
							}
						}
					}
					raceRoleOrder(t, e, c)
				}
			})
		}
	})
}

// changedSomething reports whether a successful assignment answer says a
// pair was added or removed.
func changedSomething(t *testing.T, r raceRes) bool {
	t.Helper()
	var single *racePair
	if !strings.HasPrefix(r.req, "POST ") {
		single = &racePair{"", ""}
	}
	for _, result := range pairResults(t, r, single) {
		if result == "added" || result == "removed" {
			return true
		}
	}
	return false
}
