package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

func testCheckInChannel(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	muted := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "Muted"})
	MustGrant(t, w.key, w, "c1", "bob", muted.ID)
	S := roster.PermSendMessages
	set := func(o roster.Overwrite) { MustSetOverwrite(t, w.key, w, "c1", o) }
	unset := func(o roster.Overwrite) { MustDeleteOverwrite(t, w.key, w, "c1", o) }
	// The platform role Global grants MENTION_EVERYONE to alice, a member,
	// and to outsider, who is not.
	global := MustCreateRole(t, w.key, w, roster.Platform, roster.Role{Name: "Global", Permissions: []string{roster.PermMentionEveryone}})
	MustGrant(t, w.key, w, roster.Platform, "alice", global.ID)
	MustGrant(t, w.key, w, roster.Platform, "outsider", global.ID)
	wantAllowed(t, w, "general", "bob", S, true)
	set(roleOW("general", roster.BuiltinEveryone, []string{roster.PermManagePosts}, []string{S, roster.PermMentionEveryone}))
	for _, tc := range []struct {
		channel, user, perm string
		want                bool
	}{
		{"general", "bob", S, false},
		{"general", "alice", S, false},
		{"", "bob", S, true}, // outside the channel nothing changes
		{"general", "bob", roster.PermManagePosts, true},
		{"general", "bob", roster.PermViewChannel, true},
		{"general", "owner", S, true},
		{"general", "cadmin", S, true},
		{"general", "stranger", roster.PermManagePosts, false}, // overwrites give non-members nothing
		{"general", "stranger", roster.PermViewChannel, false},
		{"general", "alice", roster.PermMentionEveryone, false}, // a member's platform permission is overwritten
		{"", "alice", roster.PermMentionEveryone, true},
		{"general", "outsider", roster.PermMentionEveryone, true}, // a non-member's is not
	} {
		wantAllowed(t, w, tc.channel, tc.user, tc.perm, tc.want)
	}
	set(roleOW("general", w.speakers.ID, []string{S}, nil))
	wantAllowed(t, w, "general", "alice", S, true)
	wantAllowed(t, w, "general", "bob", S, false)
	// A role's allow beats another role's deny: roles' denies, then allows.
	set(roleOW("general", muted.ID, nil, []string{S}))
	MustGrant(t, w.key, w, "c1", "alice", muted.ID)
	wantAllowed(t, w, "general", "alice", S, true)
	// A member's deny beats their roles' allows; their allow beats every deny.
	set(memberOW("general", "alice", nil, []string{S}))
	wantAllowed(t, w, "general", "alice", S, false)
	set(memberOW("general", "bob", []string{S}, nil))
	wantAllowed(t, w, "general", "bob", S, true)
	// Owner and ADMINISTRATOR are not affected, even by their own overwrites.
	set(memberOW("general", "owner", nil, []string{S}))
	set(memberOW("general", "cadmin", nil, []string{S}))
	wantAllowed(t, w, "general", "owner", S, true)
	wantAllowed(t, w, "general", "cadmin", S, true)
	// Undoing each overwrite shows at once.
	unset(memberOW("general", "alice", nil, nil))
	wantAllowed(t, w, "general", "alice", S, true)
	unset(roleOW("general", w.speakers.ID, nil, nil))
	wantAllowed(t, w, "general", "alice", S, false)
	unset(roleOW("general", roster.BuiltinEveryone, nil, nil))
	wantAllowed(t, w, "general", "alice", S, false) // Muted's deny remains
	wantAllowed(t, w, "general", "bob", S, true)
	unset(roleOW("general", muted.ID, nil, nil))
	wantAllowed(t, w, "general", "alice", S, true)
	// A member who leaves keeps nothing from their overwrite.
	if _, err := w.RemoveMember(w.key, "c1", "bob"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	wantAllowed(t, w, "general", "bob", S, false)
}

func testCheckInChannelNotFound(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustCreateOwned(t, w.key, w, "c2", "")
	MustPutChannel(t, w.key, w, "c2", "elsewhere", "")
	for _, ch := range []string{"nope", "elsewhere"} {
		c := roster.Check{CommunityID: "c1", ChannelID: ch, UserID: "alice", Permission: roster.PermSendMessages}
		_, _, err := w.Allowed(w.key, c, 0)
		wantCode(t, "Allowed in channel "+ch, err, roster.ECHANNELNOTFOUND)
		ok := c
		ok.ChannelID = "general"
		_, _, err = w.Check(w.key, []roster.Check{ok, c}, 0)
		wantCode(t, "Check with channel "+ch, err, roster.ECHANNELNOTFOUND)
		_, _, err = w.EffectivePermissions(w.key, "c1", ch, "alice")
		wantCode(t, "EffectivePermissions in channel "+ch, err, roster.ECHANNELNOTFOUND)
	}
}

func testEffectiveInChannel(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	S, A := roster.PermSendMessages, roster.PermAddReactions
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", roster.BuiltinEveryone, nil, []string{S}))
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", w.speakers.ID, []string{S}, nil))
	MustSetOverwrite(t, w.key, w, "c1", memberOW("general", "bob", []string{roster.PermManagePosts}, []string{A}))
	alice := mustEffective(t, w, "general", "alice")
	if alice.ChannelID == nil || *alice.ChannelID != "general" || !slices.Contains(alice.Permissions, S) || len(alice.Denied) != 0 {
		t.Errorf("alice: got channel %v permissions %v denied %v, want SEND_MESSAGES in general and nothing denied", alice.ChannelID, alice.Permissions, alice.Denied)
	}
	wantReason(t, "alice Explain[SEND_MESSAGES]", alice.Explain[S], roster.Reason{Kind: roster.ReasonOverwrite, RoleID: w.speakers.ID, RoleName: "Speakers", Effect: roster.EffectAllow})
	bob := mustEffective(t, w, "general", "bob")
	if slices.Contains(bob.Permissions, S) || slices.Contains(bob.Permissions, A) || !slices.Contains(bob.Permissions, roster.PermManagePosts) {
		t.Errorf("bob: got permissions %v, want MANAGE_POSTS without SEND_MESSAGES or ADD_REACTIONS", bob.Permissions)
	}
	wantReason(t, "bob Denied[SEND_MESSAGES]", bob.Denied[S], roster.Reason{Kind: roster.ReasonOverwrite, RoleID: w.everyone.ID, RoleName: roster.BuiltinEveryone, Effect: roster.EffectDeny})
	wantReason(t, "bob Denied[ADD_REACTIONS]", bob.Denied[A], roster.Reason{Kind: roster.ReasonOverwrite, UserID: "bob", Effect: roster.EffectDeny})
	wantReason(t, "bob Explain[MANAGE_POSTS]", bob.Explain[roster.PermManagePosts], roster.Reason{Kind: roster.ReasonOverwrite, UserID: "bob", Effect: roster.EffectAllow})
	if _, ok := bob.Explain[S]; ok {
		t.Errorf("bob Explain[SEND_MESSAGES]: got %+v, want none for a denied permission", bob.Explain[S])
	}
	// The answers agree with the checks, key by key.
	for _, user := range []string{"alice", "bob"} {
		eff := mustEffective(t, w, "general", user)
		for _, p := range allPermissions(t, w.fixture) {
			wantAllowed(t, w, "general", user, p.Key, slices.Contains(eff.Permissions, p.Key))
		}
	}
	n := len(allPermissions(t, w.fixture))
	for _, user := range []string{"owner", "cadmin"} {
		eff := mustEffective(t, w, "general", user)
		if !eff.Administrator || len(eff.Permissions) != n || len(eff.Denied) != 0 {
			t.Errorf("%s: got administrator %v, %d permissions, denied %v, want every one of %d and nothing denied", user, eff.Administrator, len(eff.Permissions), eff.Denied, n)
		}
	}
	plain := mustEffective(t, w, "", "bob")
	if plain.ChannelID != nil || !slices.Contains(plain.Permissions, S) || len(plain.Denied) != 0 {
		t.Errorf("bob outside the channel: got channel %v permissions %v denied %v, want SEND_MESSAGES", plain.ChannelID, plain.Permissions, plain.Denied)
	}
	_, _, err := w.EffectivePermissions(w.key, "c1", "general", "stranger")
	wantCode(t, "EffectivePermissions of a non-member", err, roster.EMEMBERNOTFOUND)
}

func testExpiryInChannel(t *testing.T, open Opener) {
	w := newChannelWorld(t, newClockFixture(t, open))
	S, V := roster.PermSendMessages, roster.PermViewChannel
	temp := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "Temp"})
	hush := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "Hush"})
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", roster.BuiltinEveryone, nil, []string{S}))
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", temp.ID, []string{S}, nil))
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", hush.ID, nil, []string{V}))
	exp := w.clock.Now().Add(time.Hour)
	MustAddRoles(t, w.key, w, roster.Change{Scope: "c1", UserIDs: []string{"bob"}, RoleIDs: []string{temp.ID, hush.ID}, ExpiresAt: &exp})
	wantAllowed(t, w, "general", "bob", S, true)
	wantAllowed(t, w, "general", "bob", V, false)
	w.clock.Advance(time.Hour)
	wantAllowed(t, w, "general", "bob", S, false)
	wantAllowed(t, w, "general", "bob", V, true)
	eff := mustEffective(t, w, "general", "bob")
	wantReason(t, "Denied[SEND_MESSAGES] after expiry", eff.Denied[S], roster.Reason{Kind: roster.ReasonOverwrite, RoleID: w.everyone.ID, RoleName: roster.BuiltinEveryone, Effect: roster.EffectDeny})
	if len(eff.Denied[S]) != 1 || eff.Denied[V] != nil {
		t.Errorf("Denied after expiry: got %+v, want only everyone's deny of SEND_MESSAGES", eff.Denied)
	}
}

// wantAllowed checks one permission in a channel of c1 ("" for none) with
// Allowed and with Check, which must agree and answer at the current
// revision.
func wantAllowed(t *testing.T, w *channelWorld, channel, user, perm string, want bool) {
	t.Helper()
	c := roster.Check{CommunityID: "c1", ChannelID: channel, UserID: user, Permission: perm}
	got, rev, err := w.Allowed(w.key, c, 0)
	wantCode(t, "Allowed", err, "")
	batch, brev, err := w.Check(w.key, []roster.Check{c, c}, 0)
	wantCode(t, "Check", err, "")
	if got != want || len(batch) != 2 || batch[0] != want || batch[1] != want {
		t.Errorf("%s %s in %q: got Allowed %v, Check %v, want %v", user, perm, channel, got, batch, want)
	}
	if now := MustRevision(t, w.key, w); rev != now || brev != now {
		t.Errorf("%s %s in %q: got revisions %d and %d, want the current %d", user, perm, channel, rev, brev, now)
	}
}

func mustEffective(t *testing.T, w *channelWorld, channel, user string) roster.Effective {
	t.Helper()
	eff, rev, err := w.EffectivePermissions(w.key, "c1", channel, user)
	wantCode(t, "EffectivePermissions("+user+")", err, "")
	if now := MustRevision(t, w.key, w); rev != now {
		t.Errorf("EffectivePermissions(%s): got revision %d, want the current %d", user, rev, now)
	}
	return eff
}

// wantReason fails unless rs holds want.
func wantReason(t *testing.T, what string, rs []roster.Reason, want roster.Reason) {
	t.Helper()
	if !slices.Contains(rs, want) {
		t.Errorf("%s: got %+v, want one %+v", what, rs, want)
	}
}
