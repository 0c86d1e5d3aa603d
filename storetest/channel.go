package storetest

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var channelTests = []test{
	{"PutChannel", testPutChannel},
	{"PutChannelLimit", testPutChannelLimit},
	{"FindListChannels", testFindListChannels},
	{"DeleteChannel", testDeleteChannel},
	{"SetOverwrite", testSetOverwrite},
	{"SetOverwriteInvalid", testSetOverwriteInvalid},
	{"OverwriteOrder", testOverwriteOrder},
	{"DeleteOverwrite", testDeleteOverwrite},
	{"DeleteRoleDeletesOverwrites", testDeleteRoleDeletesOverwrites},
	{"PermissionInUseByOverwrite", testPermissionInUseByOverwrite},
	{"DeleteCommunityDeletesChannels", testDeleteCommunityDeletesChannels},
	{"ChannelGuards", testChannelGuards},
	{"CheckInChannel", testCheckInChannel},
	{"CheckInChannelNotFound", testCheckInChannelNotFound},
	{"EffectiveInChannel", testEffectiveInChannel},
	{"ExpiryInChannel", testExpiryInChannel},
}

// channelWorld is a community c1 owned by owner, with members alice
// (Speakers: REDEEM_REWARDS), bob (no role) and cadmin (admin), and the
// channel general.
type channelWorld struct {
	*fixture
	speakers, everyone roster.Role
}

func newChannelWorld(t *testing.T, f *fixture) *channelWorld {
	t.Helper()
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "alice", "bob", "cadmin")
	w := &channelWorld{fixture: f}
	w.speakers = MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Speakers", Permissions: []string{"REDEEM_REWARDS"}})
	w.everyone = MustFindRole(t, f.key, f, "c1", roster.BuiltinEveryone)
	MustGrant(t, f.key, f, "c1", "alice", w.speakers.ID)
	MustGrant(t, f.key, f, "c1", "cadmin", roster.BuiltinAdmin)
	MustPutChannel(t, f.key, f, "c1", "general", "General")
	return w
}

func testPutChannel(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	t0 := f.clock.Now()
	first, rev, err := f.PutChannel(f.key, roster.Channel{CommunityID: "c1", ID: "general", Name: "  General  "})
	c, created := first.Value, first.Created
	wantCode(t, "PutChannel", err, "")
	if !created || c.CommunityID != "c1" || c.ID != "general" || c.Name != "General" || c.Overwrites == nil || len(c.Overwrites) != 0 ||
		!c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) {
		t.Errorf("PutChannel: got %+v created %v, want c1/general named General (trimmed), no overwrites, created at %v", c, created, t0)
	}
	f.clock.Advance(time.Minute)
	e := wantEvent(t, f, "PutChannel", before, rev, roster.ActionChannelCreated)
	if e.TargetType != roster.TargetChannel || e.TargetID != "general" || e.CommunityID == nil || *e.CommunityID != "c1" ||
		payload(t, e.Before) != nil || payload(t, e.After)["name"] != "General" {
		t.Errorf("event: got %s %s in %v before %s after %s, want channel general of c1 from nothing to General", e.TargetType, e.TargetID, e.CommunityID, e.Before, e.After)
	}

	// The same name again changes nothing.
	same, rev2, err := f.PutChannel(f.key, roster.Channel{CommunityID: "c1", ID: "general", Name: "General"})
	c2, created := same.Value, same.Created
	wantCode(t, "PutChannel again", err, "")
	if now := MustRevision(t, f.key, f); created || c2.Name != "General" || !c2.CreatedAt.Equal(t0) || rev2 != rev || now != rev {
		t.Errorf("PutChannel again: got %+v created %v at revision %d (current %d), want the same channel, not created, at %d", c2, created, rev2, now, rev)
	}

	// A new name renames it.
	renamed, rev3, err := f.PutChannel(f.key, roster.Channel{CommunityID: "c1", ID: "general", Name: "Chat"})
	c3, created := renamed.Value, renamed.Created
	wantCode(t, "PutChannel renaming", err, "")
	if created || c3.Name != "Chat" {
		t.Errorf("PutChannel renaming: got %+v created %v, want Chat, not created", c3, created)
	}
	e = wantEvent(t, f, "PutChannel renaming", rev, rev3, roster.ActionChannelUpdated)
	if payload(t, e.Before)["name"] != "General" || payload(t, e.After)["name"] != "Chat" {
		t.Errorf("event: got before %s after %s, want General to Chat", e.Before, e.After)
	}
	found, err := f.FindChannel(f.key, "c1", "general")
	wantCode(t, "FindChannel", err, "")
	if found.Name != "Chat" || !found.CreatedAt.Equal(t0) || !found.UpdatedAt.Equal(t0.Add(time.Minute)) || !c3.UpdatedAt.Equal(found.UpdatedAt) {
		t.Errorf("FindChannel: got %+v, want Chat created at %v, updated a minute later", found, t0)
	}

	// Bad requests change nothing.
	for _, tc := range []struct {
		name  string
		c     roster.Channel
		code  string
		field string
	}{
		{"bad channel id", roster.Channel{CommunityID: "c1", ID: "bad id!", Name: "x"}, roster.EVALIDATION, "channelId"},
		{"empty channel id", roster.Channel{CommunityID: "c1", ID: "", Name: "x"}, roster.EVALIDATION, "channelId"},
		{"control character in name", roster.Channel{CommunityID: "c1", ID: "ok", Name: "a\x00b"}, roster.EVALIDATION, "name"},
		{"unknown community", roster.Channel{CommunityID: "nope", ID: "general", Name: "x"}, roster.ECOMMUNITYNOTFOUND, ""},
	} {
		_, rev, err := f.PutChannel(f.key, tc.c)
		wantCode(t, tc.name, err, tc.code)
		wantField(t, tc.name, err, tc.field)
		wantNoChange(t, f, tc.name, rev3, rev)
	}
}

func testPutChannelLimit(t *testing.T, open Opener) {
	if testing.Short() {
		t.Skip("creates MaxChannelsPerCommunity channels")
	}
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	for i := range roster.MaxChannelsPerCommunity {
		MustPutChannel(t, f.key, f, "c1", "ch"+strconv.Itoa(i), "")
	}
	before := MustRevision(t, f.key, f)
	_, rev, err := f.PutChannel(f.key, roster.Channel{CommunityID: "c1", ID: "one-too-many"})
	wantCode(t, "PutChannel over the limit", err, roster.ELIMITREACHED)
	wantNoChange(t, f, "PutChannel over the limit", before, rev)
	// Renaming an existing channel is still fine.
	_, _, err = f.PutChannel(f.key, roster.Channel{CommunityID: "c1", ID: "ch0", Name: "Renamed"})
	wantCode(t, "PutChannel renaming at the limit", err, "")
}

func testFindListChannels(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	for _, id := range []string{"c", "a", "e", "b", "d"} {
		MustPutChannel(t, w.key, w, "c1", id, "Channel "+id)
	}
	MustSetOverwrite(t, w.key, w, "c1", roleOW("b", roster.BuiltinEveryone, nil, []string{roster.PermSendMessages}))
	MustSetOverwrite(t, w.key, w, "c1", memberOW("d", "bob", []string{"REDEEM_REWARDS"}, nil))
	overwrites := map[string][]roster.Overwrite{
		"b": {roleOW("b", w.everyone.ID, []string{}, []string{roster.PermSendMessages})},
		"d": {memberOW("d", "bob", []string{"REDEEM_REWARDS"}, []string{})},
	}
	wantPages(t, "ListChannels", func(p roster.Page) ([]string, string, error) {
		list, next, err := w.ListChannels(w.key, "c1", p)
		var ids []string
		for _, c := range list {
			ids = append(ids, c.ID)
			wantOverwrites(t, "ListChannels "+c.ID, c, overwrites[c.ID]...)
		}
		return ids, next, err
	}, []string{"a", "b", "c", "d", "e", "general"})
	c, err := w.FindChannel(w.key, "c1", "d")
	wantCode(t, "FindChannel", err, "")
	if c.ID != "d" || c.Name != "Channel d" || c.CommunityID != "c1" {
		t.Errorf("FindChannel: got %+v, want c1/d named Channel d", c)
	}
	wantOverwrites(t, "FindChannel", c, overwrites["d"]...)
	_, err = w.FindChannel(w.key, "c1", "nope")
	wantCode(t, "FindChannel of an unknown channel", err, roster.ECHANNELNOTFOUND)
	_, err = w.FindChannel(w.key, "nope", "a")
	wantCode(t, "FindChannel in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	_, _, err = w.ListChannels(w.key, "nope", roster.Page{})
	wantCode(t, "ListChannels of an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	// Channels belong to one community.
	MustCreateOwned(t, w.key, w, "c2", "")
	list, _, err := w.ListChannels(w.key, "c2", roster.Page{})
	wantCode(t, "ListChannels of c2", err, "")
	if len(list) != 0 {
		t.Errorf("ListChannels of c2: got %d channels, want none", len(list))
	}
	_, err = w.FindChannel(w.key, "c2", "a")
	wantCode(t, "FindChannel of c1's channel in c2", err, roster.ECHANNELNOTFOUND)
}

func testDeleteChannel(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", roster.BuiltinEveryone, nil, []string{roster.PermSendMessages}))
	MustSetOverwrite(t, w.key, w, "c1", memberOW("general", "bob", []string{roster.PermSendMessages}, nil))
	before := MustRevision(t, w.key, w)
	rev, err := w.DeleteChannel(w.key, "c1", "general")
	wantCode(t, "DeleteChannel", err, "")
	e := wantEvent(t, w.fixture, "DeleteChannel", before, rev, roster.ActionChannelDeleted)
	var old roster.Channel
	if err := json.Unmarshal(e.Before, &old); err != nil || old.ID != "general" || len(old.Overwrites) != 2 || payload(t, e.After) != nil {
		t.Errorf("event: got before %s after %s, want general with its 2 overwrites to nothing", e.Before, e.After)
	}
	_, err = w.FindChannel(w.key, "c1", "general")
	wantCode(t, "FindChannel after DeleteChannel", err, roster.ECHANNELNOTFOUND)
	_, _, err = w.Allowed(w.key, roster.Check{CommunityID: "c1", ChannelID: "general", UserID: "bob", Permission: roster.PermSendMessages}, 0)
	wantCode(t, "Allowed in a deleted channel", err, roster.ECHANNELNOTFOUND)
	now := MustRevision(t, w.key, w)
	rev, err = w.DeleteChannel(w.key, "c1", "general")
	wantCode(t, "DeleteChannel again", err, roster.ECHANNELNOTFOUND)
	wantNoChange(t, w.fixture, "DeleteChannel again", now, rev)
	_, err = w.DeleteChannel(w.key, "nope", "general")
	wantCode(t, "DeleteChannel in an unknown community", err, roster.ECOMMUNITYNOTFOUND)
	// A channel made again under the same id starts with no overwrites.
	if c := MustPutChannel(t, w.key, w, "c1", "general", "General"); len(c.Overwrites) != 0 {
		t.Errorf("PutChannel after delete: got overwrites %+v, want none", c.Overwrites)
	}
	wantOverwrites(t, "FindChannel after re-creating", MustFindChannel(t, w.key, w, "c1", "general"))
	wantAllowed(t, w, "general", "bob", roster.PermSendMessages, true)
}

func testSetOverwrite(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	before := MustRevision(t, w.key, w)
	o, rev, err := w.SetOverwrite(w.key, "c1", roleOW("general", roster.BuiltinEveryone, nil, []string{roster.PermSendMessages}))
	wantCode(t, "SetOverwrite(everyone)", err, "")
	want := roleOW("general", w.everyone.ID, []string{}, []string{roster.PermSendMessages})
	wantOverwrite(t, "SetOverwrite(everyone)", o, want)
	e := wantEvent(t, w.fixture, "SetOverwrite(everyone)", before, rev, roster.ActionOverwriteSet)
	if e.TargetType != roster.TargetChannel || e.TargetID != "general" || payload(t, e.Before) != nil {
		t.Errorf("event: got target %s %s before %s, want channel general from nothing", e.TargetType, e.TargetID, e.Before)
	}
	wantOverwrite(t, "event after", decodeOverwrite(t, e.After), want)

	// Keys come back sorted, without repeats.
	sp := roleOW("general", w.speakers.ID, []string{roster.PermSendMessages, "REDEEM_REWARDS", roster.PermSendMessages}, []string{roster.PermAddReactions})
	o, rev, err = w.SetOverwrite(w.key, "c1", sp)
	wantCode(t, "SetOverwrite(Speakers)", err, "")
	first := roleOW("general", w.speakers.ID, []string{"REDEEM_REWARDS", roster.PermSendMessages}, []string{roster.PermAddReactions})
	wantOverwrite(t, "SetOverwrite(Speakers)", o, first)
	mo, rev2, err := w.SetOverwrite(w.key, "c1", memberOW("general", "bob", []string{roster.PermSendMessages}, nil))
	wantCode(t, "SetOverwrite(bob)", err, "")
	wantOverwrite(t, "SetOverwrite(bob)", mo, memberOW("general", "bob", []string{roster.PermSendMessages}, []string{}))
	wantEvent(t, w.fixture, "SetOverwrite(bob)", rev, rev2, roster.ActionOverwriteSet)
	wantOverwrites(t, "FindChannel", MustFindChannel(t, w.key, w, "c1", "general"), want, first, mo)

	// Replacing one records its before and after.
	second := roleOW("general", w.speakers.ID, []string{"REDEEM_REWARDS"}, []string{})
	o, rev3, err := w.SetOverwrite(w.key, "c1", second)
	wantCode(t, "SetOverwrite replacing", err, "")
	wantOverwrite(t, "SetOverwrite replacing", o, second)
	e = wantEvent(t, w.fixture, "SetOverwrite replacing", rev2, rev3, roster.ActionOverwriteSet)
	wantOverwrite(t, "event before", decodeOverwrite(t, e.Before), first)
	wantOverwrite(t, "event after", decodeOverwrite(t, e.After), second)
	wantOverwrites(t, "FindChannel after replacing", MustFindChannel(t, w.key, w, "c1", "general"), want, second, mo)

	// Setting the same overwrite again writes nothing.
	_, rev4, err := w.SetOverwrite(w.key, "c1", roleOW("general", w.speakers.ID, []string{"REDEEM_REWARDS", "REDEEM_REWARDS"}, nil))
	wantCode(t, "SetOverwrite unchanged", err, "")
	if now := MustRevision(t, w.key, w); rev4 != rev3 || now != rev3 {
		t.Errorf("SetOverwrite unchanged: got revision %d (current %d), want %d and no event", rev4, now, rev3)
	}
}

func testSetOverwriteInvalid(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustCreateOwned(t, w.key, w, "c2", "")
	MustAddMember(t, w.key, w, "c2", "dave")
	other := MustCreateRole(t, w.key, w, "c2", roster.Role{Name: "Other"})
	S, V := roster.PermSendMessages, roster.PermViewChannel
	before := MustRevision(t, w.key, w)
	for _, tc := range []struct {
		name, community string
		o               roster.Overwrite
		code, field     string
	}{
		{"unregistered allow", "c1", roleOW("general", w.speakers.ID, []string{"NO_SUCH_KEY"}, nil), roster.EVALIDATION, "allow[0]"},
		{"unregistered allow after a good one", "c1", roleOW("general", w.speakers.ID, []string{S, "NO_SUCH_KEY"}, nil), roster.EVALIDATION, "allow[1]"},
		{"unregistered deny", "c1", roleOW("general", w.speakers.ID, []string{S}, []string{V, "NO_SUCH_KEY"}), roster.EVALIDATION, "deny[1]"},
		{"unregistered deny after a repeat", "c1", roleOW("general", w.speakers.ID, nil, []string{V, V, "NO_SUCH_KEY"}), roster.EVALIDATION, "deny[2]"},
		{"unregistered deny repeated", "c1", roleOW("general", w.speakers.ID, nil, []string{"NO_SUCH_KEY", "NO_SUCH_KEY"}), roster.EVALIDATION, "deny[1]"},
		{"unregistered member deny", "c1", memberOW("general", "bob", nil, []string{"NO_SUCH_KEY"}), roster.EVALIDATION, "deny[0]"},
		{"malformed key", "c1", roleOW("general", w.speakers.ID, []string{"lower_case"}, nil), roster.EVALIDATION, "allow[0]"},
		{"ADMINISTRATOR allowed", "c1", roleOW("general", w.speakers.ID, []string{roster.PermAdministrator}, nil), roster.EVALIDATION, "allow[0]"},
		{"ADMINISTRATOR denied", "c1", roleOW("general", w.speakers.ID, nil, []string{S, roster.PermAdministrator}), roster.EVALIDATION, "deny[1]"},
		{"allowed and denied", "c1", roleOW("general", w.speakers.ID, []string{S}, []string{S}), roster.EVALIDATION, ""},
		{"bad channel id", "c1", roleOW("bad id!", w.speakers.ID, nil, nil), roster.EVALIDATION, "channelId"},
		{"bad user id", "c1", memberOW("general", "bad id!", nil, nil), roster.EVALIDATION, "userId"},
		{"unknown role", "c1", roleOW("general", "nope", []string{S}, nil), roster.EROLENOTFOUND, ""},
		{"role of another community", "c1", roleOW("general", other.ID, []string{S}, nil), roster.EROLENOTFOUND, ""},
		{"non-member", "c1", memberOW("general", "dave", []string{S}, nil), roster.EMEMBERNOTFOUND, ""},
		{"unknown channel", "c1", roleOW("nope", w.speakers.ID, []string{S}, nil), roster.ECHANNELNOTFOUND, ""},
		{"channel of another community", "c2", roleOW("general", roster.BuiltinEveryone, []string{S}, nil), roster.ECHANNELNOTFOUND, ""},
		{"unknown community", "nope", roleOW("general", roster.BuiltinEveryone, []string{S}, nil), roster.ECOMMUNITYNOTFOUND, ""},
	} {
		_, rev, err := w.SetOverwrite(w.key, tc.community, tc.o)
		wantCode(t, tc.name, err, tc.code)
		wantField(t, tc.name, err, tc.field)
		wantNoChange(t, w.fixture, tc.name, before, rev)
	}
	wantOverwrites(t, "FindChannel after refused requests", MustFindChannel(t, w.key, w, "c1", "general"))
}

func testOverwriteOrder(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustAddMember(t, w.key, w, "c1", "zed")
	// Lower is made later, so its id sorts after Speakers' but it sits below.
	lower := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "Lower", Position: 1})
	S := []string{roster.PermSendMessages}
	for _, o := range []roster.Overwrite{
		memberOW("general", "zed", S, nil), roleOW("general", w.speakers.ID, S, nil), memberOW("general", "alice", S, nil),
		roleOW("general", roster.BuiltinAdmin, S, nil), roleOW("general", lower.ID, S, nil), roleOW("general", roster.BuiltinEveryone, nil, S),
	} {
		MustSetOverwrite(t, w.key, w, "c1", o)
	}
	admin := MustFindRole(t, w.key, w, "c1", roster.BuiltinAdmin)
	ids := func() []string {
		var out []string
		for _, o := range MustFindChannel(t, w.key, w, "c1", "general").Overwrites {
			out = append(out, o.Type+":"+o.ID)
		}
		return out
	}
	want := []string{"role:" + w.everyone.ID, "role:" + lower.ID, "role:" + w.speakers.ID, "role:" + admin.ID, "member:alice", "member:zed"}
	if got := ids(); !slices.Equal(got, want) {
		t.Errorf("overwrites: got %v, want %v (roles bottom to top, then members by id)", got, want)
	}
	if _, _, err := w.ReorderRoles(w.key, "c1", []string{w.speakers.ID, lower.ID, admin.ID}); err != nil {
		t.Fatalf("ReorderRoles: %v", err)
	}
	want[1], want[2] = want[2], want[1]
	if got := ids(); !slices.Equal(got, want) {
		t.Errorf("overwrites after reorder: got %v, want %v", got, want)
	}
}

func testDeleteOverwrite(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	ev := MustSetOverwrite(t, w.key, w, "c1", roleOW("general", roster.BuiltinEveryone, nil, []string{roster.PermSendMessages}))
	bob := MustSetOverwrite(t, w.key, w, "c1", memberOW("general", "bob", []string{roster.PermSendMessages}, nil))
	before := MustRevision(t, w.key, w)
	rev, err := w.DeleteOverwrite(w.key, "c1", roster.Overwrite{ChannelID: "general", Type: roster.OverwriteRole, ID: roster.BuiltinEveryone})
	wantCode(t, "DeleteOverwrite(everyone)", err, "")
	e := wantEvent(t, w.fixture, "DeleteOverwrite(everyone)", before, rev, roster.ActionOverwriteDeleted)
	wantOverwrite(t, "event before", decodeOverwrite(t, e.Before), ev)
	if e.TargetID != "general" || payload(t, e.After) != nil {
		t.Errorf("event: got target %s after %s, want general to nothing", e.TargetID, e.After)
	}
	wantOverwrites(t, "FindChannel", MustFindChannel(t, w.key, w, "c1", "general"), bob)
	rev2, err := w.DeleteOverwrite(w.key, "c1", roster.Overwrite{ChannelID: "general", Type: roster.OverwriteMember, ID: "bob"})
	wantCode(t, "DeleteOverwrite(bob)", err, "")
	wantEvent(t, w.fixture, "DeleteOverwrite(bob)", rev, rev2, roster.ActionOverwriteDeleted)
	wantOverwrites(t, "FindChannel", MustFindChannel(t, w.key, w, "c1", "general"))
	for _, tc := range []struct {
		name, community string
		o               roster.Overwrite
		code            string
	}{
		{"missing role overwrite", "c1", roleOW("general", w.everyone.ID, nil, nil), roster.EOVERWRITENOTFOUND},
		{"missing member overwrite", "c1", memberOW("general", "bob", nil, nil), roster.EOVERWRITENOTFOUND},
		{"unknown role", "c1", roleOW("general", "nope", nil, nil), roster.EROLENOTFOUND},
		{"unknown channel", "c1", roleOW("nope", roster.BuiltinEveryone, nil, nil), roster.ECHANNELNOTFOUND},
		{"unknown community", "nope", roleOW("general", roster.BuiltinEveryone, nil, nil), roster.ECOMMUNITYNOTFOUND},
	} {
		rev, err := w.DeleteOverwrite(w.key, tc.community, tc.o)
		wantCode(t, tc.name, err, tc.code)
		wantNoChange(t, w.fixture, tc.name, rev2, rev)
	}
}

func testDeleteRoleDeletesOverwrites(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustPutChannel(t, w.key, w, "c1", "other", "")
	r := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "Doomed"})
	for _, ch := range []string{"general", "other"} {
		MustSetOverwrite(t, w.key, w, "c1", roleOW(ch, r.ID, []string{roster.PermManagePosts}, nil))
	}
	keep := MustSetOverwrite(t, w.key, w, "c1", roleOW("general", w.speakers.ID, []string{roster.PermManagePosts}, nil))
	before := MustRevision(t, w.key, w)
	rev, err := w.DeleteRole(w.key, "c1", r.ID, roster.RoleDelete{})
	wantCode(t, "DeleteRole", err, "")
	events := MustEventsSince(t, w.key, w, before)
	wantActions(t, "DeleteRole", events, roster.ActionOverwriteDeleted, roster.ActionOverwriteDeleted, roster.ActionRoleDeleted)
	if n := len(events); n == 0 || events[n-1].Revision != rev {
		t.Errorf("DeleteRole: got revision %d, want that of its last event", rev)
	}
	var channels []string
	for _, e := range events {
		if e.Action == roster.ActionOverwriteDeleted {
			channels = append(channels, e.TargetID)
			if o := decodeOverwrite(t, e.Before); o.ID != r.ID || o.Type != roster.OverwriteRole {
				t.Errorf("overwrite_deleted: got %+v, want the overwrite of %s", o, r.ID)
			}
		}
	}
	if slices.Sort(channels); !slices.Equal(channels, []string{"general", "other"}) {
		t.Errorf("overwrite_deleted events: got channels %v, want general and other", channels)
	}
	wantOverwrites(t, "general", MustFindChannel(t, w.key, w, "c1", "general"), keep)
	wantOverwrites(t, "other", MustFindChannel(t, w.key, w, "c1", "other"))
}

func testPermissionInUseByOverwrite(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustCreatePermission(t, w.key, w, "CHANNEL_ONLY")
	MustSetOverwrite(t, w.key, w, "c1", memberOW("general", "bob", nil, []string{"CHANNEL_ONLY"}))
	before := MustRevision(t, w.key, w)
	rev, err := w.DeletePermission(w.key, "CHANNEL_ONLY")
	wantCode(t, "DeletePermission used by an overwrite", err, roster.EPERMISSIONINUSE)
	wantNoChange(t, w.fixture, "DeletePermission", before, rev)
	if got := extra(err, "overwrites"); got != 1 {
		t.Errorf("Extra[overwrites]: got %v, want 1", got)
	}
	MustDeleteOverwrite(t, w.key, w, "c1", memberOW("general", "bob", nil, nil))
	_, err = w.DeletePermission(w.key, "CHANNEL_ONLY")
	wantCode(t, "DeletePermission once unused", err, "")
}

func testDeleteCommunityDeletesChannels(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustCreatePermission(t, w.key, w, "CHANNEL_ONLY")
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", w.speakers.ID, []string{"CHANNEL_ONLY"}, nil))
	if _, err := w.DeleteCommunity(w.key, "c1"); err != nil {
		t.Fatalf("DeleteCommunity: %v", err)
	}
	_, err := w.FindChannel(w.key, "c1", "general")
	wantCode(t, "FindChannel in a deleted community", err, roster.ECOMMUNITYNOTFOUND)
	_, err = w.DeletePermission(w.key, "CHANNEL_ONLY")
	wantCode(t, "DeletePermission used only in a deleted community", err, "")
	MustCreateOwned(t, w.key, w, "c1", "")
	list, _, err := w.ListChannels(w.key, "c1", roster.Page{})
	wantCode(t, "ListChannels of the new c1", err, "")
	if len(list) != 0 {
		t.Errorf("ListChannels of a community made again: got %+v, want none", list)
	}
	_, _, err = w.Check(w.key, []roster.Check{{CommunityID: "c1", ChannelID: "general", UserID: "alice", Permission: roster.PermSendMessages}}, 0)
	wantCode(t, "Check in the old channel", err, roster.ECHANNELNOTFOUND)
}

func testChannelGuards(t *testing.T, open Opener) {
	w := newChannelWorld(t, newFixture(t, open))
	MustAddMember(t, w.key, w, "c1", "mod", "nobody")
	chmods := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "Channel mods", Position: 2, Permissions: []string{roster.PermManageChannels, roster.PermMuteMembers}})
	high := MustCreateRole(t, w.key, w, "c1", roster.Role{Name: "High", Position: 3})
	MustGrant(t, w.key, w, "c1", "mod", chmods.ID)
	B, S := roster.PermBanMembers, roster.PermSendMessages
	MustSetOverwrite(t, w.key, w, "c1", roleOW("general", high.ID, nil, []string{S}))
	MustSetOverwrite(t, w.key, w, "c1", memberOW("general", "bob", nil, []string{B}))
	g := &guarded{fixture: w.fixture}
	put := func(id string) func(context.Context) (roster.Revision, error) {
		return func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := w.PutChannel(ctx, roster.Channel{CommunityID: "c1", ID: id, Name: "Renamed"})
			return rev, err
		}
	}
	del := func(id string) func(context.Context) (roster.Revision, error) {
		return func(ctx context.Context) (roster.Revision, error) { return w.DeleteChannel(ctx, "c1", id) }
	}
	set := func(o roster.Overwrite) func(context.Context) (roster.Revision, error) {
		return func(ctx context.Context) (roster.Revision, error) {
			_, rev, err := w.SetOverwrite(ctx, "c1", o)
			return rev, err
		}
	}
	unset := func(o roster.Overwrite) func(context.Context) (roster.Revision, error) {
		return func(ctx context.Context) (roster.Revision, error) { return w.DeleteOverwrite(ctx, "c1", o) }
	}
	g.wantRefused(t, "nobody", []refusal{
		{"PutChannel", put("new"), roster.EMISSINGPERMISSION},
		{"PutChannel renaming", put("general"), roster.EMISSINGPERMISSION},
		{"DeleteChannel", del("general"), roster.EMISSINGPERMISSION},
		{"SetOverwrite", set(roleOW("general", roster.BuiltinEveryone, nil, []string{S})), roster.EMISSINGPERMISSION},
		{"SetOverwrite of oneself", set(memberOW("general", "nobody", []string{S}, nil)), roster.EMISSINGPERMISSION},
		{"DeleteOverwrite", unset(memberOW("general", "bob", nil, nil)), roster.EMISSINGPERMISSION},
		// Not found comes first.
		{"DeleteChannel of an unknown channel", del("nope"), roster.ECHANNELNOTFOUND},
		{"SetOverwrite in an unknown channel", set(roleOW("nope", roster.BuiltinEveryone, nil, []string{S})), roster.ECHANNELNOTFOUND},
		{"SetOverwrite of an unknown role", set(roleOW("general", "nope", nil, []string{S})), roster.EROLENOTFOUND},
	})
	_, _, err := w.PutChannel(w.as(t, "nobody"), roster.Channel{CommunityID: "c1", ID: "new"})
	if got := extra(err, "permission"); got != roster.PermManageChannels {
		t.Errorf("Extra[permission]: got %v, want %s", got, roster.PermManageChannels)
	}
	g.wantRefused(t, "mod", []refusal{
		{"SetOverwrite of one's own role", set(roleOW("general", chmods.ID, nil, []string{S})), roster.EROLEHIERARCHY},
		{"SetOverwrite of a higher role", set(roleOW("general", high.ID, []string{S}, nil)), roster.EROLEHIERARCHY},
		{"SetOverwrite of admin", set(roleOW("general", roster.BuiltinAdmin, nil, []string{S})), roster.EROLEHIERARCHY},
		{"DeleteOverwrite of a higher role", unset(roleOW("general", high.ID, nil, nil)), roster.EROLEHIERARCHY},
		{"SetOverwrite allowing a permission one lacks", set(roleOW("general", w.speakers.ID, []string{B}, nil)), roster.ECANNOTGRANT},
		{"SetOverwrite denying a permission one lacks", set(roleOW("general", roster.BuiltinEveryone, nil, []string{S, B})), roster.ECANNOTGRANT},
		{"SetOverwrite of a member naming a permission one lacks", set(memberOW("general", "alice", []string{B}, nil)), roster.ECANNOTGRANT},
		{"SetOverwrite replacing one naming a permission one lacks", set(memberOW("general", "bob", []string{S}, nil)), roster.ECANNOTGRANT},
		{"DeleteOverwrite naming a permission one lacks", unset(memberOW("general", "bob", nil, nil)), roster.ECANNOTGRANT},
	})
	_, _, err = w.SetOverwrite(w.as(t, "mod"), "c1", roleOW("general", w.speakers.ID, []string{B}, nil))
	if got := extra(err, "permission"); got != B {
		t.Errorf("Extra[permission]: got %v, want %s", got, B)
	}
	// Below one's own role, with permissions one holds, everything is allowed.
	ctx := w.as(t, "mod")
	for _, tc := range []struct {
		name string
		do   func(context.Context) (roster.Revision, error)
	}{
		{"PutChannel", put("mods")},
		{"SetOverwrite of a lower role", set(roleOW("mods", w.speakers.ID, []string{S}, []string{roster.PermMuteMembers}))},
		{"SetOverwrite of everyone", set(roleOW("mods", roster.BuiltinEveryone, nil, []string{S, roster.PermViewChannel}))},
		{"SetOverwrite of a member", set(memberOW("mods", "alice", nil, []string{S}))},
		{"DeleteOverwrite of a lower role", unset(roleOW("mods", w.speakers.ID, nil, nil))},
		{"DeleteOverwrite of a member", unset(memberOW("mods", "alice", nil, nil))},
		{"DeleteChannel", del("mods")},
	} {
		before := MustRevision(t, w.key, w)
		rev, err := tc.do(ctx)
		wantCode(t, "mod "+tc.name, err, "")
		if rev <= before {
			t.Errorf("mod %s: got revision %d, want a new one after %d", tc.name, rev, before)
		}
	}
	// The owner bypasses every guard.
	ctx = w.as(t, "owner")
	_, _, err = w.SetOverwrite(ctx, "c1", roleOW("general", roster.BuiltinAdmin, []string{B, "REDEEM_REWARDS"}, nil))
	wantCode(t, "owner SetOverwrite of admin", err, "")
	_, err = w.DeleteOverwrite(ctx, "c1", roleOW("general", high.ID, nil, nil))
	wantCode(t, "owner DeleteOverwrite of High", err, "")
	_, err = w.DeleteChannel(ctx, "c1", "general")
	wantCode(t, "owner DeleteChannel", err, "")
}
