package storetest

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// testSingleAnswer makes random single adds and removals of four roles,
// from both sources, some expiring, and checks that each answers the
// member's roles exactly as the store then lists them.
func testSingleAnswer(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	var roles []roster.Role
	for _, name := range []string{"A", "B", "C", "D"} {
		roles = append(roles, MustCreateRole(t, f.key, f, "c1", roster.Role{Name: name}))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	sources := []roster.Source{roster.SourceManual, roster.SourceProvisioning}
	for i := range 200 {
		g := roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: roles[rng.IntN(len(roles))].ID, Source: sources[rng.IntN(2)]}
		change, what := f.AddRole, "AddRole"
		if rng.IntN(2) == 0 {
			change, what = f.RemoveRole, "RemoveRole"
		} else if rng.IntN(3) == 0 {
			exp := time.Now().Add(time.Duration(1+rng.IntN(1000)) * time.Hour)
			g.ExpiresAt = &exp
		}
		res, _, err := change(f.key, g)
		if code := roster.ErrorCode(err); code == roster.EROLENOTHELD || code == roster.EGRANTEDBYSOURCE {
			// A removal of a role not held from its source is refused.
			continue
		}
		wantCode(t, what, err, "")
		got, err := json.Marshal(res.Member)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(MustMember(t, f.key, f, "c1", "alice"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("change %d, %s %+v (%s): answered\n%s\nbut the store holds\n%s", i, what, g, res.Result, got, want)
		}
	}
}
