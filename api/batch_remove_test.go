package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// batchOutcomes returns a batch answer's results as "user result keptBy".
func batchOutcomes(t *testing.T, res Res) []string {
	t.Helper()
	list, ok := res.JSON["results"].([]any)
	if !ok {
		t.Fatalf("results: got %s, want a list", res.Raw)
	}
	var out []string
	for _, r := range list {
		m := r.(map[string]any)
		s := m["userId"].(string) + " " + m["result"].(string)
		if by, ok := m["keptBy"]; ok {
			s += " " + fmt.Sprint(by)
		}
		out = append(out, s)
	}
	return out
}

// removedSince returns "target/source" for each member.role_removed event
// of a community after revision rev, sorted.
func removedSince(t *testing.T, e *Env, community string, rev int) []string {
	t.Helper()
	var out []string
	for _, ev := range e.Must(t, http.StatusOK, "GET", "/v1/audit?communityId="+community+"&action=member.role_removed&limit=1000", nil).Items() {
		if int(ev["revision"].(float64)) <= rev {
			continue
		}
		var before struct {
			Source string `json:"source"`
		}
		b, _ := json.Marshal(ev["before"])
		json.Unmarshal(b, &before)
		out = append(out, ev["targetId"].(string)+"/"+before.Source)
	}
	slices.Sort(out)
	return out
}

// grantSources returns the sources of a member's grants of a role.
func grantSources(t *testing.T, e *Env, community, user, role string) []string {
	t.Helper()
	var out []string
	for _, r := range e.Must(t, http.StatusOK, "GET", "/v1/communities/"+community+"/members/"+user, nil).JSON["roles"].([]any) {
		m := r.(map[string]any)
		if m["roleId"] != role {
			continue
		}
		for _, g := range m["grants"].([]any) {
			out = append(out, g.(map[string]any)["source"].(string))
		}
	}
	slices.Sort(out)
	return out
}

// TestBatchRemoveKeepsSourceGrants removes roles in a batch from users who
// hold them through different sources, as OneLogin's remove_roles does: a
// manual removal of a role held only through provisioning answers kept for
// that pair, naming the source, writes nothing for it, and the batch's
// other removals apply; the single removal of such a role stays 409
// granted_by_source.
func TestBatchRemoveKeepsSourceGrants(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "guild", "owner", "carl", "dana", "eve", "fay")
		synced := e.MustRole(t, "guild", "Synced", "MANAGE_POSTS")
		member := "/v1/communities/guild/members/"
		provision := map[string]any{"source": "provisioning"}
		e.MustGrant(t, "guild", "carl", synced)
		e.Must(t, http.StatusOK, "PUT", member+"dana/roles/"+synced, provision)
		e.Must(t, http.StatusOK, "PUT", member+"eve/roles/"+synced, provision)
		e.MustGrant(t, "guild", "eve", synced)

		// carl holds it manually, dana through provisioning only, eve
		// both ways, fay not at all.
		rev := int(e.Revision(t))
		res := e.Must(t, http.StatusOK, "POST", "/v1/communities/guild/roles/batch-remove",
			map[string]any{"userIds": []string{"carl", "dana", "eve", "fay"}, "roleIds": []string{synced}})
		want := []string{"carl removed", "dana kept provisioning", "eve retained provisioning", "fay not_held"}
		if got := batchOutcomes(t, res); !slices.Equal(got, want) {
			t.Errorf("results: got %q, want %q", got, want)
		}
		answered := chanRev(t, res)
		if answered <= rev || answered != int(e.Revision(t)) {
			t.Errorf("Roster-Revision: got %d, want the log's newest revision %d, above %d", answered, e.Revision(t), rev)
		}
		if got, want := removedSince(t, e, "guild", rev), []string{"carl/manual", "eve/manual"}; !slices.Equal(got, want) {
			t.Errorf("member.role_removed events: got %v, want %v (none for dana or fay)", got, want)
		}
		for user, want := range map[string][]string{"carl": nil, "dana": {"provisioning"}, "eve": {"provisioning"}, "fay": nil} {
			if got := grantSources(t, e, "guild", user, synced); !slices.Equal(got, want) {
				t.Errorf("%s's grants of Synced: got %v, want %v", user, got, want)
			}
		}
		for user, allowed := range map[string]bool{"carl": false, "dana": true, "eve": true} {
			chk := e.Must(t, http.StatusOK, "POST", "/v1/check",
				map[string]any{"communityId": "guild", "userId": user, "permission": "MANAGE_POSTS", "minRevision": answered})
			if chk.JSON["allowed"] != allowed {
				t.Errorf("%s MANAGE_POSTS after the batch: got %s, want allowed %v", user, chk.Raw, allowed)
			}
		}

		// Only kept pairs left: the batch answers, and changes nothing.
		rev = int(e.Revision(t))
		res = e.Must(t, http.StatusOK, "POST", "/v1/communities/guild/roles/batch-remove",
			map[string]any{"userIds": []string{"dana", "eve"}, "roleIds": []string{synced}})
		if got, want := batchOutcomes(t, res), []string{"dana kept provisioning", "eve kept provisioning"}; !slices.Equal(got, want) {
			t.Errorf("results of kept pairs only: got %q, want %q", got, want)
		}
		if got := int(e.Revision(t)); got != rev {
			t.Errorf("revision after a batch of kept pairs: got %d, want %d (unchanged)", got, rev)
		}
		if got := res.Header.Get("Roster-Revision"); got != strconv.Itoa(rev) {
			t.Errorf("Roster-Revision of a batch of kept pairs: got %q, want %d", got, rev)
		}

		// The single removal of that role is still refused.
		prob := e.Must(t, http.StatusConflict, "DELETE", member+"dana/roles/"+synced, nil)
		if prob.Code() != "granted_by_source" || prob.Str("userId") != "dana" || prob.Str("roleId") != synced {
			t.Errorf("single removal: got %s, want granted_by_source naming dana and Synced", prob.Raw)
		}
		if got := int(e.Revision(t)); got != rev {
			t.Errorf("revision after a refused removal: got %d, want %d", got, rev)
		}

		// A provisioning removal takes its own grants; one that leaves a
		// manual grant names it.
		e.MustGrant(t, "guild", "dana", synced)
		res = e.Must(t, http.StatusOK, "POST", "/v1/communities/guild/roles/batch-remove",
			map[string]any{"userIds": []string{"dana", "eve", "carl"}, "roleIds": []string{synced}, "source": "provisioning"})
		if got, want := batchOutcomes(t, res), []string{"dana retained manual", "eve removed", "carl not_held"}; !slices.Equal(got, want) {
			t.Errorf("provisioning results: got %q, want %q", got, want)
		}
	})
}

// TestBatchRemoveKeptAdmin removes admin in a batch in a community without
// an owner: a holder through provisioning keeps it, and as they still hold
// it the community stays administrable, so last_admin does not apply to
// the others' removals.
func TestBatchRemoveKeptAdmin(t *testing.T) {
	t.Parallel()
	sqltest.Each(t, func(t *testing.T, eng sqltest.Engine) {
		t.Parallel()
		e := MustEnv(t, eng)
		e.MustCommunity(t, "solo", "", "ann", "ben", "cal")
		const path = "/v1/communities/solo/roles/batch-remove"
		e.Must(t, http.StatusOK, "PUT", "/v1/communities/solo/members/ann/roles/admin", map[string]any{"source": "provisioning"})
		e.MustGrant(t, "solo", "ben", "admin")
		e.MustGrant(t, "solo", "cal", "admin")

		res := e.Must(t, http.StatusOK, "POST", path, map[string]any{"userIds": []string{"ann", "ben"}, "roleIds": []string{"admin"}})
		if got, want := batchOutcomes(t, res), []string{"ann kept provisioning", "ben removed"}; !slices.Equal(got, want) {
			t.Errorf("results: got %q, want %q", got, want)
		}
		if got := guardHolders(t, e, "/v1/communities/solo/roles/admin/members"); !slices.Equal(got, []string{"ann", "cal"}) {
			t.Errorf("admin holders: got %v, want ann and cal", got)
		}

		// cal's removal leaves ann, who holds admin through provisioning;
		// she is then its last holder.
		res = e.Must(t, http.StatusOK, "POST", path, map[string]any{"userIds": []string{"ann", "cal"}, "roleIds": []string{"admin"}})
		if got, want := batchOutcomes(t, res), []string{"ann kept provisioning", "cal removed"}; !slices.Equal(got, want) {
			t.Errorf("results: got %q, want %q", got, want)
		}
		rev := e.Revision(t)
		prob := e.Must(t, http.StatusConflict, "POST", path,
			map[string]any{"userIds": []string{"ann"}, "roleIds": []string{"admin"}, "source": "provisioning"})
		if prob.Code() != "last_admin" || e.Revision(t) != rev {
			t.Errorf("removing the last holder's provisioning grant: got %s at revision %d, want last_admin at %d", prob.Raw, e.Revision(t), rev)
		}
	})
}
