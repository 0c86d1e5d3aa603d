package authz

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// stages returns the stages of facts from their flags, d for deny and a
// for allow: the everyone role's, the roles', the member's.
func stages(everyone, roles, member string) [stageCount]Stage {
	var out [stageCount]Stage
	for i, flags := range []string{everyone, roles, member} {
		out[i] = Stage{Deny: strings.Contains(flags, "d"), Allow: strings.Contains(flags, "a")}
	}
	return out
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		name string
		f    Facts
		want bool
	}{
		{"no overwrites, granted", Facts{Granted: true}, true},
		{"no overwrites, not granted", Facts{}, false},
		{"everyone deny removes", Facts{Granted: true, Stages: stages("d", "", "")}, false},
		{"everyone deny of a permission not granted", Facts{Stages: stages("d", "", "")}, false},
		{"everyone allow adds", Facts{Stages: stages("a", "", "")}, true},
		{"everyone allow keeps a granted permission", Facts{Granted: true, Stages: stages("a", "", "")}, true},
		{"everyone deny and allow, allow wins", Facts{Granted: true, Stages: stages("da", "", "")}, true},
		{"everyone deny and allow of a permission not granted, allow wins", Facts{Stages: stages("da", "", "")}, true},
		{"role deny removes", Facts{Granted: true, Stages: stages("", "d", "")}, false},
		{"role deny beats everyone allow", Facts{Stages: stages("a", "d", "")}, false},
		{"role deny beats everyone allow of a granted permission", Facts{Granted: true, Stages: stages("a", "d", "")}, false},
		{"role allow adds", Facts{Stages: stages("", "a", "")}, true},
		{"role allow beats everyone deny", Facts{Granted: true, Stages: stages("d", "a", "")}, true},
		{"role allow beats role deny", Facts{Granted: true, Stages: stages("", "da", "")}, true},
		{"role allow beats role deny of a permission not granted", Facts{Stages: stages("", "da", "")}, true},
		{"member deny removes", Facts{Granted: true, Stages: stages("", "", "d")}, false},
		{"member deny beats role allow", Facts{Stages: stages("", "a", "d")}, false},
		{"member deny beats everyone allow", Facts{Stages: stages("a", "", "d")}, false},
		{"member deny beats every allow before it", Facts{Granted: true, Stages: stages("a", "a", "d")}, false},
		{"member allow adds", Facts{Stages: stages("", "", "a")}, true},
		{"member allow beats everyone and role deny", Facts{Granted: true, Stages: stages("d", "d", "a")}, true},
		{"member deny and allow, allow wins", Facts{Stages: stages("", "", "da")}, true},
		{"member deny and allow of a granted permission, allow wins", Facts{Granted: true, Stages: stages("", "", "da")}, true},
		{"every deny and no allow", Facts{Granted: true, Stages: stages("d", "d", "d")}, false},
		{"All alone", Facts{All: true}, true},
		{"All with every deny set", Facts{All: true, Stages: stages("d", "d", "d")}, true},
		{"All with every deny and no grant", Facts{All: true, Granted: false, Stages: stages("d", "d", "d")}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Allowed(tc.f); got != tc.want {
				t.Errorf("Allowed(%+v): got %v, want %v", tc.f, got, tc.want)
			}
		})
	}
}

// TestAllowedEveryFact checks Allowed on all 256 combinations of facts
// against the same order stated the other way round: the last step that
// names the permission decides it, an allow beating a deny within a step.
func TestAllowedEveryFact(t *testing.T) {
	for bits := range 1 << 8 {
		b := func(i int) bool { return bits&(1<<i) != 0 }
		f := Facts{All: b(0), Granted: b(1)}
		f.Stages[EveryoneStage] = Stage{Deny: b(2), Allow: b(3)}
		f.Stages[RolesStage] = Stage{Deny: b(4), Allow: b(5)}
		f.Stages[MemberStage] = Stage{Deny: b(6), Allow: b(7)}
		want := f.Granted
		for _, step := range []Stage{f.Stages[MemberStage], f.Stages[RolesStage], f.Stages[EveryoneStage]} {
			if step.Allow {
				want = true
				break
			}
			if step.Deny {
				want = false
				break
			}
		}
		want = want || f.All
		if got := Allowed(f); got != want {
			t.Errorf("Allowed(%+v): got %v, want %v", f, got, want)
		}
	}
}

// Roles and overwrites of the channel tests. The member holds everyone
// (VIEW_CHANNEL, SEND_MESSAGES), mod (MANAGE_MEMBERS, SEND_MESSAGES), helper
// (ATTACH_FILES) and platform everyone (CREATE_COMMUNITY).
var gHelper = Grantor{RoleID: "c-helper", RoleName: "helper", Permissions: []string{roster.PermAttachFiles}}

func chMember(ow Overwrites) Holdings {
	return Holdings{
		InCommunity: true, Member: true,
		Everyone: gEveryone, Roles: []Grantor{gMod, gHelper},
		PlatformEveryone: gPEveryone,
		Channel:          &ow,
	}
}

// owRole is the overwrite of role g; owUser that of member alice.
func owRole(g Grantor, allow, deny []string) Overwrite {
	return Overwrite{RoleID: g.RoleID, RoleName: g.RoleName, Allow: allow, Deny: deny}
}

func owUser(allow, deny []string) *Overwrite {
	return &Overwrite{UserID: "alice", Allow: allow, Deny: deny}
}

func owEveryone(allow, deny []string) *Overwrite {
	o := owRole(gEveryone, allow, deny)
	return &o
}

func keys(k ...string) []string { return k }

// allowed and denied are the reasons an overwrite gives.
func allowed(o Overwrite) roster.Reason {
	return roster.Reason{Kind: roster.ReasonOverwrite, RoleID: o.RoleID, RoleName: o.RoleName, UserID: o.UserID, Effect: roster.EffectAllow}
}

func denied(o Overwrite) roster.Reason {
	return roster.Reason{Kind: roster.ReasonOverwrite, RoleID: o.RoleID, RoleName: o.RoleName, UserID: o.UserID, Effect: roster.EffectDeny}
}

// chBase are the permissions of chMember before any overwrite, with keys
// set, changed and deleted by the case.
func chBase(change reasons, remove ...string) reasons {
	out := reasons{
		roster.PermViewChannel:     {role(gEveryone)},
		roster.PermSendMessages:    {role(gEveryone), role(gMod)},
		roster.PermManageMembers:   {role(gMod)},
		roster.PermAttachFiles:     {role(gHelper)},
		roster.PermCreateCommunity: {role(gPEveryone)},
	}
	for k, r := range change {
		out[k] = r
	}
	for _, k := range remove {
		delete(out, k)
	}
	return out
}

func TestEffectiveChannel(t *testing.T) {
	var (
		V, S, M = roster.PermViewChannel, roster.PermSendMessages, roster.PermManageMembers
		A, C, B = roster.PermAttachFiles, roster.PermCreateCommunity, roster.PermBanMembers
	)
	everyDeny := Overwrites{
		Everyone: owEveryone(nil, keys(V, S, M, A, C, B)),
		Roles:    []Overwrite{owRole(gMod, nil, keys(V, S, M, A, C, B))},
		Member:   owUser(nil, keys(V, S, M, A, C, B)),
	}
	tests := []struct {
		name        string
		h           Holdings
		wantAll     bool
		wantBecause []roster.Reason
		wantKeys    reasons
		wantDenied  reasons
	}{
		{
			name:       "no overwrites change nothing",
			h:          chMember(Overwrites{}),
			wantKeys:   chBase(nil),
			wantDenied: reasons{},
		},
		{
			name:       "overwrites without keys change nothing",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, nil), Roles: []Overwrite{owRole(gMod, nil, nil)}, Member: owUser(nil, nil)}),
			wantKeys:   chBase(nil),
			wantDenied: reasons{},
		},
		{
			name:       "everyone deny removes a permission of one role",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(V))}),
			wantKeys:   chBase(nil, V),
			wantDenied: reasons{V: {denied(*owEveryone(nil, keys(V)))}},
		},
		{
			name:       "everyone deny removes a permission of several roles",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(S))}),
			wantKeys:   chBase(nil, S),
			wantDenied: reasons{S: {denied(*owEveryone(nil, keys(S)))}},
		},
		{
			name:       "everyone deny removes a platform role permission",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(C))}),
			wantKeys:   chBase(nil, C),
			wantDenied: reasons{C: {denied(*owEveryone(nil, keys(C)))}},
		},
		{
			name:       "everyone deny of a permission not granted records nothing",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(B))}),
			wantKeys:   chBase(nil),
			wantDenied: reasons{},
		},
		{
			name:       "everyone allow adds a permission",
			h:          chMember(Overwrites{Everyone: owEveryone(keys(B), nil)}),
			wantKeys:   chBase(reasons{B: {allowed(*owEveryone(nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "everyone allow of a granted permission adds its reason",
			h:          chMember(Overwrites{Everyone: owEveryone(keys(S), nil)}),
			wantKeys:   chBase(reasons{S: {role(gEveryone), role(gMod), allowed(*owEveryone(nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "everyone deny and allow of one permission, allow wins",
			h:          chMember(Overwrites{Everyone: owEveryone(keys(S), keys(S))}),
			wantKeys:   chBase(reasons{S: {allowed(*owEveryone(nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "role deny beats everyone allow",
			h:          chMember(Overwrites{Everyone: owEveryone(keys(V), nil), Roles: []Overwrite{owRole(gMod, nil, keys(V))}}),
			wantKeys:   chBase(nil, V),
			wantDenied: reasons{V: {denied(owRole(gMod, nil, nil))}},
		},
		{
			name:       "role deny takes away what only an everyone allow gave",
			h:          chMember(Overwrites{Everyone: owEveryone(keys(B), nil), Roles: []Overwrite{owRole(gMod, nil, keys(B))}}),
			wantKeys:   chBase(nil),
			wantDenied: reasons{B: {denied(owRole(gMod, nil, nil))}},
		},
		{
			name:       "role allow beats everyone deny",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(V)), Roles: []Overwrite{owRole(gMod, keys(V), nil)}}),
			wantKeys:   chBase(reasons{V: {allowed(owRole(gMod, nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "role allow beats another role's deny listed after it",
			h:          chMember(Overwrites{Roles: []Overwrite{owRole(gHelper, keys(M), nil), owRole(gMod, nil, keys(M))}}),
			wantKeys:   chBase(reasons{M: {allowed(owRole(gHelper, nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "role allow beats another role's deny listed before it",
			h:          chMember(Overwrites{Roles: []Overwrite{owRole(gMod, nil, keys(M)), owRole(gHelper, keys(M), nil)}}),
			wantKeys:   chBase(reasons{M: {allowed(owRole(gHelper, nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "role denies of one permission are all recorded",
			h:          chMember(Overwrites{Roles: []Overwrite{owRole(gMod, nil, keys(S)), owRole(gHelper, nil, keys(S))}}),
			wantKeys:   chBase(nil, S),
			wantDenied: reasons{S: {denied(owRole(gMod, nil, nil)), denied(owRole(gHelper, nil, nil))}},
		},
		{
			name:       "role denies of different permissions",
			h:          chMember(Overwrites{Roles: []Overwrite{owRole(gMod, nil, keys(A)), owRole(gHelper, nil, keys(M))}}),
			wantKeys:   chBase(nil, A, M),
			wantDenied: reasons{A: {denied(owRole(gMod, nil, nil))}, M: {denied(owRole(gHelper, nil, nil))}},
		},
		{
			name:       "member deny beats role allow",
			h:          chMember(Overwrites{Roles: []Overwrite{owRole(gMod, keys(V), nil)}, Member: owUser(nil, keys(V))}),
			wantKeys:   chBase(nil, V),
			wantDenied: reasons{V: {denied(*owUser(nil, nil))}},
		},
		{
			name:       "member deny beats everyone allow of a permission not granted",
			h:          chMember(Overwrites{Everyone: owEveryone(keys(B), nil), Member: owUser(nil, keys(B))}),
			wantKeys:   chBase(nil),
			wantDenied: reasons{B: {denied(*owUser(nil, nil))}},
		},
		{
			name:       "member allow beats everyone and role deny",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(S)), Roles: []Overwrite{owRole(gMod, nil, keys(S))}, Member: owUser(keys(S), nil)}),
			wantKeys:   chBase(reasons{S: {allowed(*owUser(nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "member allow adds a permission",
			h:          chMember(Overwrites{Member: owUser(keys(B), nil)}),
			wantKeys:   chBase(reasons{B: {allowed(*owUser(nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "member deny and allow of one permission, allow wins",
			h:          chMember(Overwrites{Member: owUser(keys(V), keys(V))}),
			wantKeys:   chBase(reasons{V: {allowed(*owUser(nil, nil))}}),
			wantDenied: reasons{},
		},
		{
			name:       "denied, allowed again, denied again: only the last deny is recorded",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(V)), Roles: []Overwrite{owRole(gMod, keys(V), nil)}, Member: owUser(nil, keys(V))}),
			wantKeys:   chBase(nil, V),
			wantDenied: reasons{V: {denied(*owUser(nil, nil))}},
		},
		{
			name:       "a later deny of a permission already denied adds nothing",
			h:          chMember(Overwrites{Everyone: owEveryone(nil, keys(V)), Roles: []Overwrite{owRole(gMod, nil, keys(V))}, Member: owUser(nil, keys(V))}),
			wantKeys:   chBase(nil, V),
			wantDenied: reasons{V: {denied(*owEveryone(nil, nil))}},
		},
		{
			name:       "allows and denies of every step together",
			h:          chMember(Overwrites{Everyone: owEveryone(keys(B), keys(V, S)), Roles: []Overwrite{owRole(gMod, keys(S), keys(M)), owRole(gHelper, nil, keys(B))}, Member: owUser(keys(M), keys(A))}),
			wantKeys:   chBase(reasons{S: {allowed(owRole(gMod, nil, nil))}, M: {allowed(*owUser(nil, nil))}}, V, A),
			wantDenied: reasons{V: {denied(*owEveryone(nil, nil))}, A: {denied(*owUser(nil, nil))}, B: {denied(owRole(gHelper, nil, nil))}},
		},
		{
			name: "non-member gets nothing from the channel's overwrites",
			h: Holdings{
				InCommunity: true, Member: false,
				Everyone: gEveryone, Roles: []Grantor{gMod},
				PlatformEveryone: gPEveryone,
				Channel:          &Overwrites{Everyone: owEveryone(keys(B), keys(C)), Roles: []Overwrite{owRole(gMod, keys(M), nil)}, Member: owUser(keys(V), nil)},
			},
			wantKeys:   reasons{C: {role(gPEveryone)}},
			wantDenied: reasons{},
		},
		{
			name: "platform scope ignores a channel",
			h: Holdings{
				InCommunity: false, Member: true,
				PlatformEveryone: gPEveryone, PlatformRoles: []Grantor{gPMod},
				Channel: &Overwrites{Everyone: owEveryone(keys(V), keys(C)), Member: owUser(nil, keys(B))},
			},
			wantKeys:   reasons{C: {role(gPEveryone)}, B: {role(gPMod)}, S: {role(gPMod)}},
			wantDenied: reasons{},
		},
		{
			name:        "owner is unaffected by every deny",
			h:           func() Holdings { h := chMember(everyDeny); h.Owner = true; return h }(),
			wantAll:     true,
			wantBecause: []roster.Reason{ownerReason},
		},
		{
			name:        "community ADMINISTRATOR is unaffected by every deny",
			h:           func() Holdings { h := chMember(everyDeny); h.Roles = append(h.Roles, gAdmin); return h }(),
			wantAll:     true,
			wantBecause: []roster.Reason{admin(gAdmin)},
		},
		{
			name:        "platform ADMINISTRATOR is unaffected by every deny",
			h:           func() Holdings { h := chMember(everyDeny); h.PlatformRoles = []Grantor{gPAdmin}; return h }(),
			wantAll:     true,
			wantBecause: []roster.Reason{admin(gPAdmin)},
		},
		{
			name:       "every deny without ADMINISTRATOR removes everything",
			h:          chMember(everyDeny),
			wantKeys:   reasons{},
			wantDenied: reasons{V: {denied(*everyDeny.Everyone)}, S: {denied(*everyDeny.Everyone)}, M: {denied(*everyDeny.Everyone)}, A: {denied(*everyDeny.Everyone)}, C: {denied(*everyDeny.Everyone)}},
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
				if len(p.Keys) != 0 || len(p.Denied) != 0 {
					t.Errorf("Keys, Denied: got %+v, %+v, want none", p.Keys, p.Denied)
				}
				for _, k := range []string{V, S, B, "REDEEM_REWARDS"} {
					if !p.Has(k) {
						t.Errorf("Has(%q): got false, want true", k)
					}
				}
				return
			}
			if !reflect.DeepEqual(p.Keys, tc.wantKeys) {
				t.Errorf("Keys: got %+v, want %+v", p.Keys, tc.wantKeys)
			}
			if !reflect.DeepEqual(p.Denied, tc.wantDenied) {
				t.Errorf("Denied: got %+v, want %+v", p.Denied, tc.wantDenied)
			}
			for k := range tc.wantDenied {
				if p.Has(k) {
					t.Errorf("Has(%q): got true, want false", k)
				}
			}
		})
	}
}

func TestPermsRefused(t *testing.T) {
	V, M := roster.PermViewChannel, roster.PermManageMembers
	deny := owEveryone(nil, keys(V, M))
	denying := Effective(chMember(Overwrites{Everyone: deny}))
	ownerDenied := chMember(Overwrites{Everyone: deny})
	ownerDenied.Owner = true
	tests := []struct {
		name    string
		p       Perms
		catalog []string
		want    reasons
	}{
		// M (MANAGE_MEMBERS) is denied but not in the catalog.
		{"only catalog keys in Denied", denying, catalog, reasons{V: {denied(*deny)}}},
		{"catalog holding both denied keys", denying, []string{M, roster.PermSendMessages, V}, reasons{V: {denied(*deny)}, M: {denied(*deny)}}},
		{"catalog without denied keys", denying, []string{roster.PermSendMessages, "REDEEM_REWARDS"}, reasons{}},
		{"empty catalog", denying, nil, reasons{}},
		{"no overwrites", unionPerms(), catalog, reasons{}},
		{"owner refused nothing", Effective(ownerDenied), catalog, reasons{}},
		{"zero perms", Perms{}, catalog, reasons{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.p.Refused(tc.catalog)
			if got == nil {
				t.Fatalf("Refused: got nil, want a non-nil map")
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Refused: got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestEffectiveAllowedAgree checks, on random holdings, that Effective and
// Allowed (given the facts a fast evaluator would gather) agree on every
// permission, and that Denied is consistent with what is held.
func TestEffectiveAllowedAgree(t *testing.T) {
	keySet := []string{
		roster.PermAdministrator, roster.PermViewChannel, roster.PermSendMessages,
		roster.PermManageMembers, roster.PermBanMembers, "REDEEM_REWARDS",
	}
	r := rand.New(rand.NewPCG(2026, 7))
	// some picks each key with probability 1/3, ADMINISTRATOR (index 0)
	// only when admin is true and then with probability 1/12.
	some := func(admin bool) []string {
		var out []string
		for i, k := range keySet {
			if i == 0 {
				if admin && r.IntN(12) == 0 {
					out = append(out, k)
				}
				continue
			}
			if r.IntN(3) == 0 {
				out = append(out, k)
			}
		}
		return out
	}
	grantor := func(id string, platform bool) Grantor {
		return Grantor{RoleID: id, RoleName: id, Platform: platform, Permissions: some(true)}
	}
	overwrite := func(id string, user bool) Overwrite {
		o := Overwrite{Allow: some(false), Deny: some(false)}
		if user {
			o.UserID = id
		} else {
			o.RoleID, o.RoleName = id, id
		}
		return o
	}
	inAny := func(key string, os ...Overwrite) (s Stage) {
		for _, o := range os {
			s.Deny = s.Deny || slices.Contains(o.Deny, key)
			s.Allow = s.Allow || slices.Contains(o.Allow, key)
		}
		return s
	}

	const runs = 5000
	var allCount, deniedCount, channelCount int
	for run := range runs {
		h := Holdings{
			InCommunity:      r.IntN(4) != 0,
			Member:           r.IntN(4) != 0,
			Owner:            r.IntN(10) == 0,
			Everyone:         grantor("c-everyone", false),
			PlatformEveryone: grantor("p-everyone", true),
		}
		for i := range r.IntN(4) {
			h.Roles = append(h.Roles, grantor("c-role"+string(rune('a'+i)), false))
		}
		for i := range r.IntN(3) {
			h.PlatformRoles = append(h.PlatformRoles, grantor("p-role"+string(rune('a'+i)), true))
		}
		// Overwrites are generated for every user; they count only for
		// members of the community.
		if r.IntN(5) != 0 {
			ow := &Overwrites{}
			if r.IntN(4) != 0 {
				o := overwrite("c-everyone", false)
				ow.Everyone = &o
			}
			for _, g := range h.Roles {
				if r.IntN(2) == 0 {
					ow.Roles = append(ow.Roles, overwrite(g.RoleID, false))
				}
			}
			if r.IntN(2) == 0 {
				o := overwrite("alice", true)
				ow.Member = &o
			}
			h.Channel = ow
			channelCount++
		}

		counted := []Grantor{h.PlatformEveryone}
		counted = append(counted, h.PlatformRoles...)
		if h.InCommunity && h.Member {
			counted = append(counted, h.Everyone)
			counted = append(counted, h.Roles...)
		}
		all := h.InCommunity && h.Member && h.Owner
		for _, g := range counted {
			all = all || slices.Contains(g.Permissions, roster.PermAdministrator)
		}

		p := Effective(h)
		if p.All != all {
			t.Fatalf("run %d: All: got %v, want %v (holdings %+v)", run, p.All, all, h)
		}
		if all {
			allCount++
		}
		for _, key := range keySet {
			f := Facts{All: all}
			for _, g := range counted {
				f.Granted = f.Granted || slices.Contains(g.Permissions, key)
			}
			if ow := h.Channel; ow != nil && h.InCommunity && h.Member {
				if ow.Everyone != nil {
					f.Stages[EveryoneStage] = inAny(key, *ow.Everyone)
				}
				f.Stages[RolesStage] = inAny(key, ow.Roles...)
				if ow.Member != nil {
					f.Stages[MemberStage] = inAny(key, *ow.Member)
				}
			}
			want := Allowed(f)
			if got := p.Has(key); got != want {
				t.Fatalf("run %d, %s: Has: got %v, want %v (facts %+v, holdings %+v, channel %+v)", run, key, got, want, f, h, h.Channel)
			}
			if all {
				continue
			}
			if rs, ok := p.Keys[key]; ok && len(rs) == 0 {
				t.Errorf("run %d, %s: Keys holds the key with no reason", run, key)
			}
			rs, isDenied := p.Denied[key]
			if isDenied {
				deniedCount++
				if want {
					t.Errorf("run %d, %s: Denied holds a key that is held: %+v", run, key, rs)
				}
				if len(rs) == 0 {
					t.Errorf("run %d, %s: Denied holds the key with no reason", run, key)
				}
				for _, reason := range rs {
					if reason.Kind != roster.ReasonOverwrite || reason.Effect != roster.EffectDeny {
						t.Errorf("run %d, %s: Denied reason: got %+v, want an overwrite deny", run, key, reason)
					}
				}
			}
			if f.Granted && !want && !isDenied {
				t.Errorf("run %d, %s: granted by roles, taken away, but not in Denied (facts %+v)", run, key, f)
			}
		}
	}
	// Guard against a generator that never reaches the interesting cases.
	if allCount == 0 || allCount == runs || deniedCount == 0 || channelCount < runs/4 {
		t.Errorf("generator coverage: got %d All, %d denied keys, %d channels of %d runs", allCount, deniedCount, channelCount, runs)
	}
}
