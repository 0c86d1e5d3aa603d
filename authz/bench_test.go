package authz

import (
	"fmt"
	"testing"

	"github.com/rosterhq/roster"
)

// BenchmarkEffective evaluates a member holding 10 roles of 5 permissions
// each, plus 2 platform roles.
func BenchmarkEffective(b *testing.B) {
	grantor := func(i int, platform bool) Grantor {
		g := Grantor{RoleID: fmt.Sprintf("r%d", i), RoleName: fmt.Sprintf("role %d", i), Platform: platform}
		for j := range 5 {
			g.Permissions = append(g.Permissions, roster.BuiltinPermissions[1+(i+j)%(len(roster.BuiltinPermissions)-1)])
		}
		return g
	}
	h := Holdings{InCommunity: true, Member: true, Everyone: Grantor{RoleID: "e", Permissions: roster.CommunityEveryonePermissions}}
	for i := range 10 {
		h.Roles = append(h.Roles, grantor(i, false))
	}
	h.PlatformRoles = []Grantor{grantor(20, true), grantor(21, true)}
	b.ReportAllocs()
	for b.Loop() {
		if p := Effective(h); !p.Has(roster.PermViewChannel) {
			b.Fatal("VIEW_CHANNEL not held")
		}
	}
}
