package authz

import (
	"testing"

	"github.com/rosterhq/roster"
)

func TestPutChannel(t *testing.T) {
	tests := []struct {
		name string
		s    Subject
		want string
	}{
		{"key passes", sKey, ""},
		{"owner passes", sOwner, ""},
		{"platform admin passes", sPAdmin, ""},
		{"community ADMINISTRATOR passes", sCAdmin, ""},
		{"user with MANAGE_CHANNELS passes", sChannels, ""},
		{"user with MANAGE_ROLES only", sManager, roster.EMISSINGPERMISSION},
		{"user without MANAGE_CHANNELS", sNobody, roster.EMISSINGPERMISSION},
		{"user with no permissions", Subject{User: "u"}, roster.EMISSINGPERMISSION},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := PutChannel(PutChannelFacts{Actor: tc.s, Exists: true, Channels: roster.MaxChannelsPerCommunity})
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			if got := code(DeleteChannel(DeleteChannelFacts{Actor: tc.s})); got != tc.want {
				t.Fatalf("DeleteChannel code: got %q, want %q", got, tc.want)
			}
			if tc.want != "" {
				if got := extra(err, "permission"); got != roster.PermManageChannels {
					t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermManageChannels)
				}
			}
		})
	}
}

// sChannels holds MANAGE_CHANNELS, VIEW_CHANNEL and SEND_MESSAGES with its
// highest role at 5; sChannelsFloor holds MANAGE_CHANNELS through everyone
// only.
var (
	sChannels      = Subject{User: "channels", Perms: perms(roster.PermManageChannels, roster.PermViewChannel, roster.PermSendMessages), Top: 5}
	sChannelsFloor = Subject{User: "floor", Perms: perms(roster.PermManageChannels, roster.PermViewChannel), Top: 0}
)

// setOverwrite decides setting an overwrite that exists, given the lists
// allow, deny, old allow and old deny, in that order.
func setOverwrite(s Subject, role *RoleFacts, lists ...[]string) error {
	lists = append(lists, make([][]string, 4)...)
	return SetOverwrite(SetOverwriteFacts{Actor: s, Role: role, Allow: lists[0], Deny: lists[1],
		Old: Overwrite{Allow: lists[2], Deny: lists[3]}, Exists: true, Overwrites: roster.MaxOverwritesPerChannel})
}

func TestSetOverwrite(t *testing.T) {
	V, S := roster.PermViewChannel, roster.PermSendMessages
	just := RoleFacts{ID: "r-just", Position: 4}
	tests := []struct {
		name     string
		s        Subject
		role     *RoleFacts
		perms    [][]string
		want     string
		wantPerm string // Extra["permission"] for missing_permission and cannot_grant_permission
	}{
		// Who may set overwrites at all.
		{"key on a role above anyone with anything", sKey, &rAbove, [][]string{{roster.PermAdministrator, "REDEEM_REWARDS"}}, "", ""},
		{"key on a member", sKey, nil, [][]string{{roster.PermBanMembers}}, "", ""},
		{"owner on a role above anyone with anything", sOwner, &rAdmin, [][]string{{roster.PermBanMembers}, {"REDEEM_REWARDS"}}, "", ""},
		{"platform admin on a role above anyone with anything", sPAdmin, &rAbove, [][]string{{roster.PermManageRoles}}, "", ""},
		{"user without MANAGE_CHANNELS", sNobody, &rLow, nil, roster.EMISSINGPERMISSION, roster.PermManageChannels},
		{"user with MANAGE_ROLES only", sManager, &rLow, nil, roster.EMISSINGPERMISSION, roster.PermManageChannels},
		{"user without MANAGE_CHANNELS on a member", sNobody, nil, nil, roster.EMISSINGPERMISSION, roster.PermManageChannels},
		{"missing_permission before role_hierarchy and cannot_grant", sNobody, &rAbove, [][]string{{roster.PermAdministrator}}, roster.EMISSINGPERMISSION, roster.PermManageChannels},

		// Hierarchy.
		{"user on a lower role", sChannels, &rLow, nil, "", ""},
		{"user on a role just below top", sChannels, &just, nil, "", ""},
		{"user on everyone", sChannels, &rEveryone, nil, "", ""},
		{"user on the role at top", sChannels, &rTop, nil, roster.EROLEHIERARCHY, ""},
		{"user on a role above top", sChannels, &rAbove, nil, roster.EROLEHIERARCHY, ""},
		{"community ADMINISTRATOR on the role at top", sCAdmin, &rTop, nil, roster.EROLEHIERARCHY, ""},
		{"user with only everyone on everyone", sChannelsFloor, &rEveryone, nil, roster.EROLEHIERARCHY, ""},
		{"member overwrite skips the hierarchy", sChannelsFloor, nil, [][]string{{V}}, "", ""},
		{"role_hierarchy before cannot_grant", sChannels, &rAbove, [][]string{{roster.PermAdministrator}}, roster.EROLEHIERARCHY, ""},

		// Naming permissions.
		{"no lists", sChannels, &rLow, nil, "", ""},
		{"empty lists", sChannels, &rLow, [][]string{nil, {}}, "", ""},
		{"held permissions in every list", sChannels, &rLow, [][]string{{V, S}, {roster.PermManageChannels}, {S}}, "", ""},
		{"a permission not held in the first list", sChannels, &rLow, [][]string{{V, roster.PermBanMembers}, {S}}, roster.ECANNOTGRANT, roster.PermBanMembers},
		{"a permission not held in the last list", sChannels, &rLow, [][]string{{V}, {S}, {"REDEEM_REWARDS"}}, roster.ECANNOTGRANT, "REDEEM_REWARDS"},
		{"the first permission not held is named", sChannels, &rLow, [][]string{{roster.PermAttachFiles, roster.PermBanMembers}, {roster.PermMuteMembers}}, roster.ECANNOTGRANT, roster.PermAttachFiles},
		{"the first list is checked first", sChannels, &rLow, [][]string{{roster.PermMuteMembers}, {roster.PermAttachFiles}}, roster.ECANNOTGRANT, roster.PermMuteMembers},
		{"a permission not held on a member", sChannels, nil, [][]string{{roster.PermAdministrator}}, roster.ECANNOTGRANT, roster.PermAdministrator},
		{"community ADMINISTRATOR names anything below top", sCAdmin, &rLow, [][]string{{roster.PermAdministrator, "REDEEM_REWARDS"}}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := setOverwrite(tc.s, tc.role, tc.perms...)
			if got := code(err); got != tc.want {
				t.Fatalf("code: got %q, want %q", got, tc.want)
			}
			if tc.wantPerm != "" {
				if got := extra(err, "permission"); got != tc.wantPerm {
					t.Errorf("Extra[permission]: got %v, want %s", got, tc.wantPerm)
				}
			}
		})
	}
}
