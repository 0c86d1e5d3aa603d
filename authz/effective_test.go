package authz

import (
	"errors"
	"reflect"
	"testing"

	"github.com/rosterhq/roster"
)

// code returns the error code of err, or "" for nil.
func code(err error) string { return roster.ErrorCode(err) }

// extra returns the fact key of err's Extra, or nil when there is none.
func extra(err error, key string) any {
	var e *roster.Error
	if !errors.As(err, &e) || e.Extra == nil {
		return nil
	}
	return e.Extra[key]
}

// perms returns a Perms holding exactly keys, each granted by one role.
func perms(keys ...string) Perms {
	p := Perms{Keys: map[string][]roster.Reason{}}
	for _, k := range keys {
		p.Keys[k] = []roster.Reason{{Kind: roster.ReasonRole, RoleID: "r-test"}}
	}
	return p
}

// allPerms returns a Perms holding every permission through a community
// admin role.
func allPerms() Perms {
	return Perms{All: true, AllBecause: []roster.Reason{{Kind: roster.ReasonAdministrator, RoleID: "c-admin", RoleName: "admin"}}}
}

func intp(i int) *int { return &i }

// Roles as the permission rules see them.
var (
	gEveryone  = Grantor{RoleID: "c-everyone", RoleName: "everyone", Permissions: []string{roster.PermViewChannel, roster.PermSendMessages}}
	gMod       = Grantor{RoleID: "c-mod", RoleName: "mod", Permissions: []string{roster.PermManageMembers, roster.PermSendMessages}}
	gAdmin     = Grantor{RoleID: "c-admin", RoleName: "admin", Permissions: []string{roster.PermAdministrator}}
	gEvAdmin   = Grantor{RoleID: "c-everyone", RoleName: "everyone", Permissions: []string{roster.PermAdministrator, roster.PermViewChannel}}
	gPEveryone = Grantor{RoleID: "p-everyone", RoleName: "everyone", Platform: true, Permissions: []string{roster.PermCreateCommunity}}
	gPEmpty    = Grantor{RoleID: "p-everyone", RoleName: "everyone", Platform: true}
	gPMod      = Grantor{RoleID: "p-mod", RoleName: "global-mod", Platform: true, Permissions: []string{roster.PermBanMembers, roster.PermSendMessages}}
	gPAdmin    = Grantor{RoleID: "p-admin", RoleName: "admin", Platform: true, Permissions: []string{roster.PermAdministrator}}
)

// role and admin build the reasons a grantor gives.
func role(g Grantor) roster.Reason {
	return roster.Reason{Kind: roster.ReasonRole, RoleID: g.RoleID, RoleName: g.RoleName, Platform: g.Platform}
}

func admin(g Grantor) roster.Reason {
	return roster.Reason{Kind: roster.ReasonAdministrator, RoleID: g.RoleID, RoleName: g.RoleName, Platform: g.Platform}
}

var ownerReason = roster.Reason{Kind: roster.ReasonOwner}

type reasons = map[string][]roster.Reason

func TestEffective(t *testing.T) {
	tests := []struct {
		name        string
		h           Holdings
		wantAll     bool
		wantBecause []roster.Reason
		wantKeys    reasons
	}{
		{
			name:     "nothing held",
			h:        Holdings{},
			wantKeys: reasons{},
		},
		{
			name: "non-member gets only platform everyone and platform roles",
			h: Holdings{
				InCommunity: true, Member: false,
				Everyone: gEveryone, Roles: []Grantor{gMod},
				PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPMod},
			},
			wantKeys: reasons{
				roster.PermCreateCommunity: {role(gPEveryone)},
				roster.PermBanMembers:      {role(gPMod)},
				roster.PermSendMessages:    {role(gPMod)},
			},
		},
		{
			name: "non-member holding community admin role gets nothing from it",
			h: Holdings{
				InCommunity: true, Member: false,
				Everyone: gEveryone, Roles: []Grantor{gAdmin},
				PlatformEveryone: gPEmpty,
			},
			wantKeys: reasons{},
		},
		{
			name: "non-member flagged owner is not the owner",
			h: Holdings{
				InCommunity: true, Member: false, Owner: true,
				Everyone: gEveryone, PlatformEveryone: gPEveryone,
			},
			wantKeys: reasons{roster.PermCreateCommunity: {role(gPEveryone)}},
		},
		{
			name: "platform ADMINISTRATOR gives all to a non-member",
			h: Holdings{
				InCommunity: true, Member: false,
				Everyone: gEveryone, PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPMod, gPAdmin},
			},
			wantAll:     true,
			wantBecause: []roster.Reason{admin(gPAdmin)},
		},
		{
			name: "owner member gets all with reason owner only",
			h: Holdings{
				InCommunity: true, Member: true, Owner: true,
				Everyone: gEveryone, Roles: []Grantor{gMod, gAdmin},
				PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPAdmin},
			},
			wantAll:     true,
			wantBecause: []roster.Reason{ownerReason},
		},
		{
			name: "owner with no roles gets all",
			h: Holdings{
				InCommunity: true, Member: true, Owner: true,
				Everyone: Grantor{RoleID: "c-everyone", RoleName: "everyone"}, PlatformEveryone: gPEmpty,
			},
			wantAll:     true,
			wantBecause: []roster.Reason{ownerReason},
		},
		{
			name: "ADMINISTRATOR from a community role gives all",
			h: Holdings{
				InCommunity: true, Member: true,
				Everyone: gEveryone, Roles: []Grantor{gMod, gAdmin},
				PlatformEveryone: gPEveryone,
			},
			wantAll:     true,
			wantBecause: []roster.Reason{admin(gAdmin)},
		},
		{
			name: "ADMINISTRATOR from community everyone gives all",
			h: Holdings{
				InCommunity: true, Member: true,
				Everyone: gEvAdmin, PlatformEveryone: gPEveryone,
			},
			wantAll:     true,
			wantBecause: []roster.Reason{admin(gEvAdmin)},
		},
		{
			name: "ADMINISTRATOR from community and platform roles lists both in order",
			h: Holdings{
				InCommunity: true, Member: true,
				Everyone: gEveryone, Roles: []Grantor{gAdmin},
				PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPAdmin},
			},
			wantAll:     true,
			wantBecause: []roster.Reason{admin(gAdmin), admin(gPAdmin)},
		},
		{
			name: "member gets union of community everyone, roles, platform everyone and roles",
			h: Holdings{
				InCommunity: true, Member: true,
				Everyone: gEveryone, Roles: []Grantor{gMod},
				PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPMod},
			},
			wantKeys: reasons{
				roster.PermViewChannel:     {role(gEveryone)},
				roster.PermSendMessages:    {role(gEveryone), role(gMod), role(gPMod)},
				roster.PermManageMembers:   {role(gMod)},
				roster.PermCreateCommunity: {role(gPEveryone)},
				roster.PermBanMembers:      {role(gPMod)},
			},
		},
		{
			name: "member with no roles gets both everyone roles",
			h: Holdings{
				InCommunity: true, Member: true,
				Everyone: gEveryone, PlatformEveryone: gPEveryone,
			},
			wantKeys: reasons{
				roster.PermViewChannel:     {role(gEveryone)},
				roster.PermSendMessages:    {role(gEveryone)},
				roster.PermCreateCommunity: {role(gPEveryone)},
			},
		},
		{
			name: "platform scope ignores community fields",
			h: Holdings{
				InCommunity: false, Member: true, Owner: true,
				Everyone: gEvAdmin, Roles: []Grantor{gAdmin, gMod},
				PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPMod},
			},
			wantKeys: reasons{
				roster.PermCreateCommunity: {role(gPEveryone)},
				roster.PermBanMembers:      {role(gPMod)},
				roster.PermSendMessages:    {role(gPMod)},
			},
		},
		{
			name: "platform scope with platform ADMINISTRATOR gives all",
			h: Holdings{
				InCommunity:      false,
				PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPAdmin},
			},
			wantAll:     true,
			wantBecause: []roster.Reason{admin(gPAdmin)},
		},
		{
			name:     "platform scope with nothing but an empty everyone",
			h:        Holdings{InCommunity: false, PlatformEveryone: gPEmpty},
			wantKeys: reasons{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Effective(tc.h)
			if p.All != tc.wantAll {
				t.Fatalf("All: got %v, want %v", p.All, tc.wantAll)
			}
			if !reflect.DeepEqual(p.AllBecause, tc.wantBecause) {
				t.Errorf("AllBecause: got %+v, want %+v", p.AllBecause, tc.wantBecause)
			}
			if tc.wantAll {
				if len(p.Keys) != 0 {
					t.Errorf("Keys: got %+v, want none", p.Keys)
				}
				return
			}
			if !reflect.DeepEqual(p.Keys, tc.wantKeys) {
				t.Errorf("Keys: got %+v, want %+v", p.Keys, tc.wantKeys)
			}
		})
	}
}

var catalog = []string{
	roster.PermAdministrator, roster.PermManageRoles, roster.PermSendMessages,
	roster.PermViewChannel, roster.PermBanMembers, "REDEEM_REWARDS",
}

// unionPerms are the permissions of a member with everyone, mod, platform
// everyone and a platform mod role.
func unionPerms() Perms {
	return Effective(Holdings{
		InCommunity: true, Member: true,
		Everyone: gEveryone, Roles: []Grantor{gMod},
		PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPMod},
	})
}

func adminPerms() Perms {
	return Effective(Holdings{InCommunity: true, Member: true, Everyone: gEveryone, Roles: []Grantor{gAdmin}})
}

func TestPermsHas(t *testing.T) {
	tests := []struct {
		name string
		p    Perms
		key  string
		want bool
	}{
		{"union holds a community everyone permission", unionPerms(), roster.PermViewChannel, true},
		{"union holds a community role permission", unionPerms(), roster.PermManageMembers, true},
		{"union holds a platform everyone permission", unionPerms(), roster.PermCreateCommunity, true},
		{"union holds a platform role permission", unionPerms(), roster.PermBanMembers, true},
		{"union lacks ADMINISTRATOR", unionPerms(), roster.PermAdministrator, false},
		{"union lacks MANAGE_ROLES", unionPerms(), roster.PermManageRoles, false},
		{"union lacks a custom key", unionPerms(), "REDEEM_REWARDS", false},
		{"all holds ADMINISTRATOR", adminPerms(), roster.PermAdministrator, true},
		{"all holds MANAGE_ROLES", adminPerms(), roster.PermManageRoles, true},
		{"all holds a custom key", adminPerms(), "REDEEM_REWARDS", true},
		{"zero perms hold nothing", Perms{}, roster.PermViewChannel, false},
		{"empty keys hold nothing", perms(), roster.PermViewChannel, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.Has(tc.key); got != tc.want {
				t.Errorf("Has(%q): got %v, want %v", tc.key, got, tc.want)
			}
		})
	}
}

func TestPermsListExplain(t *testing.T) {
	adminBecause := []roster.Reason{admin(gAdmin)}
	tests := []struct {
		name        string
		p           Perms
		catalog     []string
		wantList    []string
		wantExplain reasons
	}{
		{
			name:     "union in catalog order, keys outside the catalog left out",
			p:        unionPerms(),
			catalog:  catalog,
			wantList: []string{roster.PermSendMessages, roster.PermViewChannel, roster.PermBanMembers},
			wantExplain: reasons{
				roster.PermSendMessages: {role(gEveryone), role(gMod), role(gPMod)},
				roster.PermViewChannel:  {role(gEveryone)},
				roster.PermBanMembers:   {role(gPMod)},
			},
		},
		{
			name:     "catalog order decides list order",
			p:        unionPerms(),
			catalog:  []string{roster.PermBanMembers, roster.PermViewChannel},
			wantList: []string{roster.PermBanMembers, roster.PermViewChannel},
			wantExplain: reasons{
				roster.PermBanMembers:  {role(gPMod)},
				roster.PermViewChannel: {role(gEveryone)},
			},
		},
		{
			name:     "all lists the whole catalog, each explained by ADMINISTRATOR",
			p:        adminPerms(),
			catalog:  catalog,
			wantList: catalog,
			wantExplain: reasons{
				roster.PermAdministrator: adminBecause,
				roster.PermManageRoles:   adminBecause,
				roster.PermSendMessages:  adminBecause,
				roster.PermViewChannel:   adminBecause,
				roster.PermBanMembers:    adminBecause,
				"REDEEM_REWARDS":         adminBecause,
			},
		},
		{
			name:     "owner explained by ownership",
			p:        Effective(Holdings{InCommunity: true, Member: true, Owner: true}),
			catalog:  []string{"REDEEM_REWARDS"},
			wantList: []string{"REDEEM_REWARDS"},
			wantExplain: reasons{
				"REDEEM_REWARDS": {ownerReason},
			},
		},
		{
			name:        "nothing held gives an empty list",
			p:           Perms{},
			catalog:     catalog,
			wantList:    []string{},
			wantExplain: reasons{},
		},
		{
			name:        "empty catalog",
			p:           adminPerms(),
			catalog:     nil,
			wantList:    []string{},
			wantExplain: reasons{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			list := tc.p.List(tc.catalog)
			if list == nil {
				t.Errorf("List: got nil, want a non-nil slice")
			}
			if !reflect.DeepEqual(list, tc.wantList) {
				t.Errorf("List: got %v, want %v", list, tc.wantList)
			}
			if got := tc.p.Explain(tc.catalog); !reflect.DeepEqual(got, tc.wantExplain) {
				t.Errorf("Explain: got %+v, want %+v", got, tc.wantExplain)
			}
		})
	}
}
