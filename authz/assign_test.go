package authz

import (
	"reflect"
	"testing"

	"github.com/rosterhq/roster"
)

const (
	manual = roster.SourceManual
	prov   = roster.SourceProvisioning
)

func held(s ...roster.Source) []roster.Source { return s }

// roleChange is a change as the tables state it: the facts, and whether it
// removes or adds.
type roleChange struct {
	Actor              Subject
	Remove, Single     bool
	Source             roster.Source
	Pairs              []Pair
	HasOwner, Platform bool
	AdminHolders       []string
}

// decideChange calls the decision of the change: RemoveRoles or AddRoles.
func decideChange(c roleChange) ([]string, error) {
	f := ChangeFacts{Actor: c.Actor, Single: c.Single, Source: c.Source, Pairs: c.Pairs, HasOwner: c.HasOwner, Platform: c.Platform, AdminHolders: c.AdminHolders}
	if c.Remove {
		return RemoveRoles(f)
	}
	return AddRoles(f)
}

// TestChangeRolesOutcomes covers every combination of the sources a role is
// held through, the request's source, and adding or removing, for a key.
func TestChangeRolesOutcomes(t *testing.T) {
	tests := []struct {
		name    string
		remove  bool
		single  bool
		src     roster.Source
		held    []roster.Source
		want    string // outcome when the change is allowed
		wantErr string
	}{
		{name: "add manual, not held", src: manual, want: roster.Added},
		{name: "add manual, held manual", src: manual, held: held(manual), want: roster.AlreadyHeld},
		{name: "add manual, held provisioning", src: manual, held: held(prov), want: roster.Added},
		{name: "add manual, held both", src: manual, held: held(manual, prov), want: roster.AlreadyHeld},
		{name: "add provisioning, not held", src: prov, want: roster.Added},
		{name: "add provisioning, held manual", src: prov, held: held(manual), want: roster.Added},
		{name: "add provisioning, held provisioning", src: prov, held: held(prov), want: roster.AlreadyHeld},
		{name: "add provisioning, held both", src: prov, held: held(prov, manual), want: roster.AlreadyHeld},

		{name: "single add manual, not held", single: true, src: manual, want: roster.Added},
		{name: "single add manual, held manual", single: true, src: manual, held: held(manual), want: roster.AlreadyHeld},
		{name: "single add provisioning, held manual", single: true, src: prov, held: held(manual), want: roster.Added},

		{name: "remove manual, not held", remove: true, src: manual, want: roster.NotHeld},
		{name: "remove manual, held manual", remove: true, src: manual, held: held(manual), want: roster.Removed},
		{name: "remove manual, held provisioning", remove: true, src: manual, held: held(prov), want: roster.Kept},
		{name: "remove manual, held both", remove: true, src: manual, held: held(manual, prov), want: roster.Retained},
		{name: "remove manual, held both in other order", remove: true, src: manual, held: held(prov, manual), want: roster.Retained},
		{name: "remove provisioning, not held", remove: true, src: prov, want: roster.NotHeld},
		{name: "remove provisioning, held manual", remove: true, src: prov, held: held(manual), want: roster.NotHeld},
		{name: "remove provisioning, held provisioning", remove: true, src: prov, held: held(prov), want: roster.Removed},
		{name: "remove provisioning, held both", remove: true, src: prov, held: held(manual, prov), want: roster.Retained},

		{name: "single remove manual, not held", remove: true, single: true, src: manual, wantErr: roster.EROLENOTHELD},
		{name: "single remove manual, held manual", remove: true, single: true, src: manual, held: held(manual), want: roster.Removed},
		{name: "single remove manual, held provisioning", remove: true, single: true, src: manual, held: held(prov), wantErr: roster.EGRANTEDBYSOURCE},
		{name: "single remove manual, held both", remove: true, single: true, src: manual, held: held(manual, prov), want: roster.Retained},
		{name: "single remove provisioning, not held", remove: true, single: true, src: prov, wantErr: roster.EROLENOTHELD},
		{name: "single remove provisioning, held manual", remove: true, single: true, src: prov, held: held(manual), wantErr: roster.EROLENOTHELD},
		{name: "single remove provisioning, held provisioning", remove: true, single: true, src: prov, held: held(prov), want: roster.Removed},
		{name: "single remove provisioning, held both", remove: true, single: true, src: prov, held: held(manual, prov), want: roster.Retained},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := decideChange(roleChange{
				Actor: Key, Remove: tc.remove, Single: tc.single, Source: tc.src,
				Pairs: []Pair{{User: "alice", Role: rLow, Held: tc.held}},
			})
			if got := code(err); got != tc.wantErr {
				t.Fatalf("code: got %q, want %q", got, tc.wantErr)
			}
			var want []string
			if tc.wantErr == "" {
				want = []string{tc.want}
			}
			if !reflect.DeepEqual(out, want) {
				t.Errorf("outcomes: got %v, want %v", out, want)
			}
			if tc.wantErr == roster.EGRANTEDBYSOURCE {
				if got := extra(err, "userId"); got != "alice" {
					t.Errorf("Extra[userId]: got %v, want alice", got)
				}
				if got := extra(err, "roleId"); got != rLow.ID {
					t.Errorf("Extra[roleId]: got %v, want %s", got, rLow.ID)
				}
			}
		})
	}
}

// sBoss is a user with MANAGE_ROLES whose highest role is at 10, above admin.
var sBoss = Subject{User: "boss", Perms: perms(roster.PermManageRoles), Top: 10}

// rHigh is a role above sBoss's highest role.
var rHigh = RoleFacts{ID: "r-high", Position: 12}

func TestChangeRoles(t *testing.T) {
	tests := []struct {
		name    string
		c       roleChange
		want    []string
		wantErr string
	}{
		// Batches and outcomes in order.
		{
			name: "batch add by key",
			c: roleChange{Actor: Key, Source: manual, Pairs: []Pair{
				{User: "alice", Role: rLow}, {User: "alice", Role: rBan, Held: held(manual)},
				{User: "bob", Role: rLow, Held: held(prov)}, {User: "bob", Role: rAdmin},
			}},
			want: []string{roster.Added, roster.AlreadyHeld, roster.Added, roster.Added},
		},
		{
			name: "batch remove reports not_held",
			c: roleChange{Actor: Key, Remove: true, Source: manual, HasOwner: true, Pairs: []Pair{
				{User: "alice", Role: rLow, Held: held(manual)}, {User: "alice", Role: rBan},
				{User: "bob", Role: rLow, Held: held(manual, prov)},
			}},
			want: []string{roster.Removed, roster.NotHeld, roster.Retained},
		},
		{
			name: "single remove of a role not held",
			c: roleChange{Actor: Key, Remove: true, Single: true, Source: manual, HasOwner: true, Pairs: []Pair{
				{User: "alice", Role: rLow},
			}},
			wantErr: roster.EROLENOTHELD,
		},

		// Provisioning source.
		{"provisioning add by key", roleChange{Actor: Key, Source: prov, Pairs: []Pair{{User: "alice", Role: rLow}}}, []string{roster.Added}, ""},
		{"provisioning add by user", roleChange{Actor: sManager, Source: prov, Pairs: []Pair{{User: "alice", Role: rLow}}}, nil, roster.ESOURCENOTALLOWED},
		{"provisioning remove by user", roleChange{Actor: sManager, Remove: true, Source: prov, HasOwner: true, Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}}}, nil, roster.ESOURCENOTALLOWED},
		{"provisioning add by owner", roleChange{Actor: sOwner, Source: prov, Pairs: []Pair{{User: "alice", Role: rLow}}}, nil, roster.ESOURCENOTALLOWED},
		{"provisioning add by platform admin", roleChange{Actor: sPAdmin, Source: prov, Pairs: []Pair{{User: "alice", Role: rLow}}}, nil, roster.ESOURCENOTALLOWED},
		{"manual add by user", roleChange{Actor: sManager, Source: manual, Pairs: []Pair{{User: "alice", Role: rLow}}}, []string{roster.Added}, ""},

		// Removing admin from oneself.
		{"user removes admin from self", roleChange{Actor: sBoss, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"boss", "bob"},
			Pairs: []Pair{{User: "boss", Role: rAdmin, Held: held(manual)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"owner removes admin from self", roleChange{Actor: sOwner, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"owner"},
			Pairs: []Pair{{User: "owner", Role: rAdmin, Held: held(manual)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"platform admin removes platform admin from self", roleChange{Actor: sPAdmin, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"padmin", "bob"},
			Pairs: []Pair{{User: "padmin", Role: rAdmin, Held: held(manual)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"user removes admin from self while retained", roleChange{Actor: sBoss, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"boss"},
			Pairs: []Pair{{User: "boss", Role: rAdmin, Held: held(manual, prov)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"batch with admin removed from self among others", roleChange{Actor: sBoss, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"boss", "bob"},
			Pairs: []Pair{{User: "bob", Role: rLow, Held: held(manual)}, {User: "boss", Role: rAdmin, Held: held(manual)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"user removes admin from another", roleChange{Actor: sBoss, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"boss", "bob"},
			Pairs: []Pair{{User: "bob", Role: rAdmin, Held: held(manual)}}}, []string{roster.Removed}, ""},
		{"owner removes admin from another", roleChange{Actor: sOwner, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"bob"},
			Pairs: []Pair{{User: "bob", Role: rAdmin, Held: held(manual)}}}, []string{roster.Removed}, ""},
		{"user removes another role from self", roleChange{Actor: sManager, Remove: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "manager", Role: rLow, Held: held(manual)}}}, []string{roster.Removed}, ""},
		{"user adds admin to self", roleChange{Actor: sOwner, Source: manual,
			Pairs: []Pair{{User: "owner", Role: rAdmin}}}, []string{roster.Added}, ""},
		{"key removes admin from users", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice", "bob", "carol"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rAdmin, Held: held(manual)}}}, []string{roster.Removed, roster.Removed}, ""},
		{"key removes provisioning admin", roleChange{Actor: Key, Remove: true, Source: prov, HasOwner: true, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(prov)}}}, []string{roster.Removed}, ""},

		// MANAGE_ROLES.
		{"user without MANAGE_ROLES adds", roleChange{Actor: sNobody, Source: manual, Pairs: []Pair{{User: "alice", Role: rLow}}}, nil, roster.EMISSINGPERMISSION},
		{"user without MANAGE_ROLES removes", roleChange{Actor: sNobody, Remove: true, Source: manual, HasOwner: true, Pairs: []Pair{{User: "alice", Role: rLow, Held: held(manual)}}}, nil, roster.EMISSINGPERMISSION},
		{"user without MANAGE_ROLES adds to self", roleChange{Actor: sNobody, Source: manual, Pairs: []Pair{{User: "nobody", Role: rLow}}}, nil, roster.EMISSINGPERMISSION},
		{"community ADMINISTRATOR adds", roleChange{Actor: sCAdmin, Source: manual, Pairs: []Pair{{User: "alice", Role: rBan}}}, []string{roster.Added}, ""},

		// Hierarchy.
		{"manager adds a lower role", roleChange{Actor: sManager, Source: manual, Pairs: []Pair{{User: "alice", Role: rBan}}}, []string{roster.Added}, ""},
		{"manager adds the role at top", roleChange{Actor: sManager, Source: manual, Pairs: []Pair{{User: "alice", Role: rTop}}}, nil, roster.EROLEHIERARCHY},
		{"manager adds a role above top", roleChange{Actor: sManager, Source: manual, Pairs: []Pair{{User: "alice", Role: rAbove}}}, nil, roster.EROLEHIERARCHY},
		{"manager removes the role at top", roleChange{Actor: sManager, Remove: true, Source: manual, HasOwner: true, Pairs: []Pair{{User: "alice", Role: rTop, Held: held(manual)}}}, nil, roster.EROLEHIERARCHY},
		{"manager batch with one role above top", roleChange{Actor: sManager, Source: manual, Pairs: []Pair{{User: "alice", Role: rLow}, {User: "alice", Role: rAbove}}}, nil, roster.EROLEHIERARCHY},
		{"manager adds admin", roleChange{Actor: sManager, Source: manual, Pairs: []Pair{{User: "alice", Role: rAdmin}}}, nil, roster.EROLEHIERARCHY},
		{"community ADMINISTRATOR adds a role above top", roleChange{Actor: sCAdmin, Source: manual, Pairs: []Pair{{User: "alice", Role: rAbove}}}, nil, roster.EROLEHIERARCHY},
		{"key adds a role above anyone", roleChange{Actor: Key, Source: manual, Pairs: []Pair{{User: "alice", Role: rHigh}}}, []string{roster.Added}, ""},
		{"owner adds a role above anyone", roleChange{Actor: sOwner, Source: manual, Pairs: []Pair{{User: "alice", Role: rHigh}}}, []string{roster.Added}, ""},
		{"platform admin adds a role above anyone", roleChange{Actor: sPAdmin, Source: manual, Pairs: []Pair{{User: "alice", Role: rHigh}}}, []string{roster.Added}, ""},

		// everyone.
		{"key adds everyone", roleChange{Actor: Key, Source: manual, Pairs: []Pair{{User: "alice", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},
		{"key removes everyone in a batch", roleChange{Actor: Key, Remove: true, Source: manual, HasOwner: true, Pairs: []Pair{{User: "alice", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},
		{"key removes everyone singly", roleChange{Actor: Key, Remove: true, Single: true, Source: manual, HasOwner: true, Pairs: []Pair{{User: "alice", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},
		{"owner adds everyone", roleChange{Actor: sOwner, Source: manual, Pairs: []Pair{{User: "alice", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},
		{"manager adds everyone", roleChange{Actor: sManager, Source: manual, Pairs: []Pair{{User: "alice", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},
		{"key adds everyone with provisioning", roleChange{Actor: Key, Source: prov, Pairs: []Pair{{User: "alice", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},

		// Sources: a batch keeps a pair held only through provisioning and
		// applies the others; a single removal of it is refused.
		{"batch removal of a role held only through provisioning", roleChange{Actor: Key, Remove: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(manual)}, {User: "bob", Role: rLow, Held: held(prov)}}}, []string{roster.Removed, roster.Kept}, ""},
		{"batch removal of every source's pairs", roleChange{Actor: Key, Remove: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}, {User: "alice", Role: rBan, Held: held(manual, prov)},
				{User: "bob", Role: rLow}, {User: "bob", Role: rBan, Held: held(manual)}}}, []string{roster.Kept, roster.Retained, roster.NotHeld, roster.Removed}, ""},
		{"manager batch-removes a role held only through provisioning", roleChange{Actor: sManager, Remove: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}}}, []string{roster.Kept}, ""},
		{"manager removes a role held only through provisioning", roleChange{Actor: sManager, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}}}, nil, roster.EGRANTEDBYSOURCE},
		{"key removes a role held only through provisioning", roleChange{Actor: Key, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}}}, nil, roster.EGRANTEDBYSOURCE},
		{"provisioning batch removal of a manual grant", roleChange{Actor: Key, Remove: true, Source: prov, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(manual)}, {User: "bob", Role: rLow, Held: held(prov)}}}, []string{roster.NotHeld, roster.Removed}, ""},
		{"user batch-removes own admin held only through provisioning", roleChange{Actor: sBoss, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"boss", "bob"},
			Pairs: []Pair{{User: "boss", Role: rAdmin, Held: held(prov)}}}, nil, roster.ECANNOTREMOVEADMIN},

		// last_admin.
		{"platform: remove admin from its last holder", roleChange{Actor: Key, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}}}, nil, roster.ELASTADMIN},
		{"ownerless community: remove admin from its last holder", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}}}, nil, roster.ELASTADMIN},
		{"ownerless community: single removal from last holder", roleChange{Actor: Key, Remove: true, Single: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}}}, nil, roster.ELASTADMIN},
		{"ownerless community: provisioning removal from last holder", roleChange{Actor: Key, Remove: true, Source: prov, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(prov)}}}, nil, roster.ELASTADMIN},
		{"owned community: remove admin from its last holder", roleChange{Actor: Key, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}}}, []string{roster.Removed}, ""},
		{"user removes admin from the last holder", roleChange{Actor: sBoss, Remove: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}}}, nil, roster.ELASTADMIN},
		{"platform admin removes admin from the last platform holder", roleChange{Actor: sPAdmin, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}}}, nil, roster.ELASTADMIN},
		{"platform: remove admin from one of two holders", roleChange{Actor: Key, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"alice", "bob"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}}}, []string{roster.Removed}, ""},
		{"platform: batch removes admin from every holder", roleChange{Actor: Key, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"alice", "bob"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rAdmin, Held: held(manual)}}}, nil, roster.ELASTADMIN},
		{"ownerless community: batch removes admin from every holder", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice", "bob"},
			Pairs: []Pair{{User: "bob", Role: rLow, Held: held(manual)}, {User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rAdmin, Held: held(manual)}}}, nil, roster.ELASTADMIN},
		{"owned community: batch removes admin from every holder", roleChange{Actor: Key, Remove: true, Source: manual, HasOwner: true, AdminHolders: []string{"alice", "bob"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rAdmin, Held: held(manual)}}}, []string{roster.Removed, roster.Removed}, ""},
		{"platform: last holder keeps a provisioning grant", roleChange{Actor: Key, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual, prov)}}}, []string{roster.Retained}, ""},
		{"ownerless community: batch leaves one holder through provisioning", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice", "bob"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual, prov)}, {User: "bob", Role: rAdmin, Held: held(manual)}}}, []string{roster.Retained, roster.Removed}, ""},
		{"ownerless community: batch keeps admin of its provisioning holder", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice", "bob"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(prov)}, {User: "bob", Role: rAdmin, Held: held(manual)}}}, []string{roster.Kept, roster.Removed}, ""},
		{"platform: batch keeps admin of the last holder", roleChange{Actor: Key, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(prov)}}}, []string{roster.Kept}, ""},
		{"ownerless community: a kept pair does not save the last admin", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rLow, Held: held(prov)}}}, nil, roster.ELASTADMIN},
		{"ownerless community: batch with admin not held by the last holder's peer", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "bob", Role: rAdmin}}}, []string{roster.NotHeld}, ""},
		{"ownerless community: remove another role from the last admin", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(manual)}}}, []string{roster.Removed}, ""},
		{"ownerless community: add admin with no holders", roleChange{Actor: Key, Source: manual,
			Pairs: []Pair{{User: "alice", Role: rAdmin}}}, []string{roster.Added}, ""},

		// Order of errors across pairs: each case has two refusals on
		// different pairs, the later rule on the first pair. Only a single
		// removal refuses with granted_by_source.
		{"source_not_allowed before role_not_held", roleChange{Actor: sBoss, Remove: true, Single: true, Source: prov,
			Pairs: []Pair{{User: "alice", Role: rLow}}}, nil, roster.ESOURCENOTALLOWED},
		{"role_not_held before cannot_remove_own_admin", roleChange{Actor: sBoss, Remove: true, Single: true, Source: manual, HasOwner: true, AdminHolders: []string{"boss"},
			Pairs: []Pair{{User: "boss", Role: rAdmin, Held: held(manual)}, {User: "alice", Role: rLow}}}, nil, roster.EROLENOTHELD},
		{"role_not_held before cannot_remove_own_admin on one pair", roleChange{Actor: sBoss, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "boss", Role: rAdmin}}}, nil, roster.EROLENOTHELD},
		{"role_not_held before missing_permission", roleChange{Actor: sNobody, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow}}}, nil, roster.EROLENOTHELD},
		{"role_not_held before role_not_assignable", roleChange{Actor: Key, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rEveryone}, {User: "alice", Role: rLow}}}, nil, roster.EROLENOTHELD},
		{"cannot_remove_own_admin before missing_permission", roleChange{Actor: sNobody, Remove: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(manual)}, {User: "nobody", Role: rAdmin, Held: held(manual)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"cannot_remove_own_admin before role_hierarchy", roleChange{Actor: sManager, Remove: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rAbove, Held: held(manual)}, {User: "manager", Role: rAdmin, Held: held(manual)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"cannot_remove_own_admin before last_admin", roleChange{Actor: sPAdmin, Remove: true, Source: manual, Platform: true, AdminHolders: []string{"padmin"},
			Pairs: []Pair{{User: "padmin", Role: rAdmin, Held: held(manual)}}}, nil, roster.ECANNOTREMOVEADMIN},
		{"missing_permission before role_hierarchy", roleChange{Actor: sNobody, Source: manual,
			Pairs: []Pair{{User: "alice", Role: rAbove}}}, nil, roster.EMISSINGPERMISSION},
		{"missing_permission before granted_by_source", roleChange{Actor: sNobody, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}}}, nil, roster.EMISSINGPERMISSION},
		{"role_hierarchy before role_not_assignable", roleChange{Actor: sManager, Source: manual,
			Pairs: []Pair{{User: "alice", Role: rEveryone}, {User: "alice", Role: rAbove}}}, nil, roster.EROLEHIERARCHY},
		{"role_hierarchy before granted_by_source", roleChange{Actor: sManager, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}, {User: "bob", Role: rAbove, Held: held(manual)}}}, nil, roster.EROLEHIERARCHY},
		{"role_hierarchy before last_admin", roleChange{Actor: sBoss, Remove: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rHigh, Held: held(manual)}}}, nil, roster.EROLEHIERARCHY},
		{"role_not_assignable before granted_by_source", roleChange{Actor: Key, Remove: true, Single: true, Source: manual, HasOwner: true,
			Pairs: []Pair{{User: "alice", Role: rLow, Held: held(prov)}, {User: "bob", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},
		{"role_not_assignable before last_admin", roleChange{Actor: Key, Remove: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rEveryone}}}, nil, roster.EROLENOTASSIGNABLE},
		{"granted_by_source before last_admin", roleChange{Actor: Key, Remove: true, Single: true, Source: manual, AdminHolders: []string{"alice"},
			Pairs: []Pair{{User: "alice", Role: rAdmin, Held: held(manual)}, {User: "bob", Role: rLow, Held: held(prov)}}}, nil, roster.EGRANTEDBYSOURCE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := decideChange(tc.c)
			if got := code(err); got != tc.wantErr {
				t.Fatalf("code: got %q, want %q", got, tc.wantErr)
			}
			if !reflect.DeepEqual(out, tc.want) {
				t.Errorf("outcomes: got %v, want %v", out, tc.want)
			}
			if tc.wantErr == roster.EMISSINGPERMISSION {
				if got := extra(err, "permission"); got != roster.PermManageRoles {
					t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermManageRoles)
				}
			}
		})
	}
}

// TestNeedsAdminHolders: only a removal naming the admin role, in a scope
// with no owner, is decided by the admin role's holders.
func TestNeedsAdminHolders(t *testing.T) {
	for _, tc := range []struct {
		name  string
		f     ChangeFacts
		needs bool
	}{
		{"admin, no owner", ChangeFacts{Pairs: []Pair{{User: "a", Role: rLow}, {User: "a", Role: rAdmin}}}, true},
		{"admin, platform", ChangeFacts{Platform: true, Pairs: []Pair{{User: "a", Role: rAdmin}}}, true},
		{"admin, an owner", ChangeFacts{HasOwner: true, Pairs: []Pair{{User: "a", Role: rAdmin}}}, false},
		{"other roles, no owner", ChangeFacts{Pairs: []Pair{{User: "a", Role: rLow}, {User: "b", Role: rBan}}}, false},
	} {
		if got := tc.f.NeedsAdminHolders(); got != tc.needs {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.needs)
		}
	}
}
