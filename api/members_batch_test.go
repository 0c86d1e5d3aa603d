package api_test

import (
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"net/http"
	"slices"
	"testing"
)

// TestMembersBatchAdd adds members in one request: all or nothing, one
// result per distinct user, under the guards of adding one member.
func TestMembersBatchAdd(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		const path = "/v1/communities/guild/members/batch-add"
		e.MustCommunity(t, "guild", "alice", "bob", "mgr")
		newcomer := e.Must(t, http.StatusCreated, "POST", "/v1/communities/guild/roles",
			map[string]any{"name": "Newcomer", "permissions": []string{}, "isDefault": true}).Str("id")
		e.MustGrant(t, "guild", "mgr", e.MustRole(t, "guild", "Doorman", "MANAGE_MEMBERS"))
		act := e.MustKey(t, map[string]any{"name": "act", "scopes": []string{"write"}, "actAs": true})
		results := func(res Res) []string {
			var out []string
			for _, r := range res.JSON["results"].([]any) {
				m := r.(map[string]any)
				out = append(out, m["userId"].(string)+" "+m["result"].(string))
			}
			return out
		}

		rev := e.Revision(t)
		res := e.Must(t, http.StatusOK, "POST", path, map[string]any{"userIds": []string{"bob", "erin", "erin", "frank"}})
		if got, want := results(res), []string{"bob already_member", "erin joined", "frank joined"}; !slices.Equal(got, want) {
			t.Errorf("results: got %q, want %q", got, want)
		}
		if got := chanRev(t, res); got <= int(rev) || got != int(e.Revision(t)) {
			t.Errorf("Roster-Revision: got %d, want the log's newest revision %d, above %d", got, e.Revision(t), rev)
		}
		var joined []string
		for _, ev := range e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId=guild&action=member.joined&order=desc&limit=2", nil).Items() {
			joined = append(joined, ev["targetId"].(string))
		}
		if slices.Sort(joined); !slices.Equal(joined, []string{"erin", "frank"}) {
			t.Errorf("newest member.joined events: got %v, want erin and frank", joined)
		}
		erin := e.Must(t, http.StatusOK, "GET", "/v1/communities/guild/members/erin", nil)
		if roles, _ := erin.JSON["roles"].([]any); len(roles) != 1 || roles[0].(map[string]any)["roleId"] != newcomer {
			t.Errorf("erin's roles: got %v, want the default role Newcomer", erin.JSON["roles"])
		}
		chk := e.Must(t, http.StatusOK, "POST", "/v1/check", map[string]any{"communityId": "guild", "userId": "frank", "permission": "VIEW_CHANNEL", "minRevision": chanRev(t, res)})
		if chk.JSON["allowed"] != true {
			t.Errorf("frank VIEW_CHANNEL after joining: got %s, want allowed", chk.Raw)
		}

		// Everyone already a member: nothing changes.
		rev = e.Revision(t)
		res = e.Must(t, http.StatusOK, "POST", path, map[string]any{"userIds": []string{"frank", "alice"}})
		if got, want := results(res), []string{"frank already_member", "alice already_member"}; !slices.Equal(got, want) || e.Revision(t) != rev {
			t.Errorf("again: got %q at revision %d, want %q at %d", got, e.Revision(t), want, rev)
		}

		// The most a batch holds (in a community without a default role, as
		// each join is slow under the race detector).
		e.MustCommunity(t, "bulk", "")
		res = e.Must(t, http.StatusOK, "POST", "/v1/communities/bulk/members/batch-add", map[string]any{"userIds": nIDs("bulk", 1000)})
		if got := results(res); len(got) != 1000 || got[999] != "bulk999 joined" {
			t.Errorf("1000 users: got %d results, want 1000, the last bulk999 joined", len(got))
		}

		// Guards: a user adds themselves, or others with MANAGE_MEMBERS.
		for _, tc := range []struct {
			name, as, code string
			users, want    []string
			status         int
		}{
			{"member without MANAGE_MEMBERS adds others", "bob", "missing_permission", []string{"gina", "hal"}, nil, http.StatusForbidden},
			{"user adds themselves and another", "ivy", "missing_permission", []string{"ivy", "jo"}, nil, http.StatusForbidden},
			{"user adds themselves", "ivy", "", []string{"ivy"}, []string{"ivy joined"}, http.StatusOK},
			{"MANAGE_MEMBERS adds others", "mgr", "", []string{"gina", "bob"}, []string{"gina joined", "bob already_member"}, http.StatusOK},
		} {
			t.Run(tc.name, func(t *testing.T) {
				rev := e.Revision(t)
				res := e.Do(t, "POST", path, map[string]any{"userIds": tc.users}, Req{Key: act, ActAs: tc.as})
				if res.Status != tc.status || res.Code() != tc.code {
					t.Fatalf("got %d %q, want %d %q: %s", res.Status, res.Code(), tc.status, tc.code, res.Raw)
				}
				if tc.code != "" {
					if res.Str("permission") != "MANAGE_MEMBERS" || e.Revision(t) != rev {
						t.Errorf("refusal: got %s at revision %d, want permission MANAGE_MEMBERS and revision %d", res.Raw, e.Revision(t), rev)
					}
					return
				}
				if got := results(res); !slices.Equal(got, tc.want) {
					t.Errorf("results: got %q, want %q", got, tc.want)
				}
			})
		}
	})
}
