package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

var changeLogTests = []test{
	{"Changes", testChanges},
	{"OnCommit", testOnCommit},
	{"OnCommitConcurrent", testOnCommitConcurrent},
	{"LoadState", testLoadState},
	{"AddMembers", testAddMembers},
	{"AddMembersInvalid", testAddMembersInvalid},
	{"AddMembersLimit", testAddMembersLimit},
	{"AddMembersGuards", testAddMembersGuards},
}

func testChanges(t *testing.T, open Opener) {
	f := newFixture(t, open)
	start := MustRevision(t, f.key, f)
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "alice", "bob")
	MustPutChannel(t, f.key, f, "c1", "general", "")
	all := MustEventsSince(t, f.key, f, start)
	if len(all) < 6 {
		t.Fatalf("events: got %v, want at least 6", actions(all))
	}
	revs := func(events []roster.Event) []roster.Revision {
		out := make([]roster.Revision, len(events))
		for i, e := range events {
			out[i] = e.Revision
		}
		return out
	}
	for _, tc := range []struct {
		after roster.Revision
		limit int
		want  []roster.Event
	}{
		{start, 1000, all},
		{start, 2, all[:2]},
		{all[1].Revision, 3, all[2:5]},
		{all[len(all)-2].Revision, 10, all[len(all)-1:]},
		{all[len(all)-1].Revision, 10, nil},
	} {
		got, err := f.Changes(f.key, tc.after, tc.limit)
		wantCode(t, "Changes", err, "")
		if !slices.Equal(revs(got), revs(tc.want)) {
			t.Errorf("Changes(%d, %d): got revisions %v, want %v", tc.after, tc.limit, revs(got), revs(tc.want))
			continue
		}
		for i, e := range got {
			w := tc.want[i]
			if e.Action != w.Action || e.TargetType != w.TargetType || e.TargetID != w.TargetID || string(e.After) != string(w.After) || !e.At.Equal(w.At) {
				t.Errorf("Changes(%d, %d)[%d]: got %s %s %s after %s, want %s %s %s after %s (as the audit log)",
					tc.after, tc.limit, i, e.Action, e.TargetType, e.TargetID, e.After, w.Action, w.TargetType, w.TargetID, w.After)
			}
		}
	}
	// From the start of the log, revisions strictly increase.
	got, err := f.Changes(f.key, 0, roster.MaxPageLimit)
	wantCode(t, "Changes(0)", err, "")
	if len(got) == 0 || got[0].Revision <= 0 || got[len(got)-1].Revision != all[len(all)-1].Revision {
		t.Errorf("Changes(0): got %d events up to %v, want the whole log", len(got), revs(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i].Revision <= got[i-1].Revision {
			t.Errorf("Changes(0): got revision %d after %d, want strictly increasing", got[i].Revision, got[i-1].Revision)
		}
	}
}

func testOnCommit(t *testing.T, open Opener) {
	f := newFixture(t, open)
	var mu sync.Mutex
	var seen []roster.Revision
	// handed holds the events each commit of this store handed the hooks.
	handed := map[roster.Revision][]roster.Event{}
	f.OnCommit(func(rev roster.Revision, events []roster.Event) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, rev)
		if events != nil {
			handed[rev] = events
		}
	})
	// Each commit's revision reaches the hooks before the write returns.
	// A store on a shared database may also pass the revision of the same
	// commit again, as other processes learn of it, and 0 when it may have
	// missed commits: neither names a new commit.
	var want []roster.Revision
	start := MustRevision(t, f.key, f)
	wantSeen := func(what string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		var commits []roster.Revision
		for _, rev := range seen {
			if rev != 0 && !slices.Contains(commits, rev) {
				commits = append(commits, rev)
			}
		}
		if !slices.Equal(commits, want) {
			t.Errorf("%s: hooks got %v, want the commits %v", what, seen, want)
		}
		// Each commit's events are handed over as the log holds them.
		logged, err := f.Changes(f.key, start, roster.MaxPageLimit)
		wantCode(t, what+": Changes", err, "")
		for i, rev := range want {
			var commit []roster.Event
			for _, e := range logged {
				if e.Revision <= rev && e.Revision > start && (i == 0 || e.Revision > want[i-1]) {
					commit = append(commit, e)
				}
			}
			if got := handed[rev]; !reflect.DeepEqual(got, commit) {
				t.Errorf("%s: the commit at %d handed the hooks %+v, want the log's %+v", what, rev, got, commit)
			}
		}
	}
	_, rev, err := f.CreatePermission(f.key, roster.Permission{Key: "REDEEM_REWARDS"})
	wantCode(t, "CreatePermission", err, "")
	want = append(want, rev)
	wantSeen("CreatePermission")
	// A call writing many events calls the hooks once, with its last.
	_, rev, err = f.CreateCommunity(f.key, roster.Community{ID: "c1", Name: "C1", OwnerID: ptr("owner")})
	wantCode(t, "CreateCommunity", err, "")
	if events := MustEventsSince(t, f.key, f, want[0]); len(events) < 2 || events[len(events)-1].Revision != rev {
		t.Errorf("CreateCommunity: got events %v, want several ending at %d", actions(events), rev)
	}
	want = append(want, rev)
	wantSeen("CreateCommunity")
	_, rev, err = f.PutChannel(f.key, roster.Channel{CommunityID: "c1", ID: "general"})
	wantCode(t, "PutChannel", err, "")
	want = append(want, rev)
	wantSeen("PutChannel")
	// Writes that change nothing, and refused ones, call no hook.
	_, _, err = f.PutChannel(f.key, roster.Channel{CommunityID: "c1", ID: "general"})
	wantCode(t, "PutChannel again", err, "")
	_, _, err = f.AddMember(f.key, "c1", "owner", nil)
	wantCode(t, "AddMember of a member", err, "")
	_, _, err = f.AddMembers(f.key, "c1", []string{"owner"})
	wantCode(t, "AddMembers of a member", err, "")
	_, _, err = f.CreatePermission(f.key, roster.Permission{Key: "REDEEM_REWARDS"})
	wantCode(t, "CreatePermission again", err, roster.EPERMISSIONEXISTS)
	_, _, err = f.SetOverwrite(f.key, "c1", roleOW("general", roster.BuiltinEveryone, []string{"NO_SUCH_KEY"}, nil))
	wantCode(t, "SetOverwrite refused", err, roster.EVALIDATION)
	wantSeen("writes that changed nothing")
	o := roleOW("general", roster.BuiltinEveryone, nil, []string{roster.PermSendMessages})
	_, rev, err = f.SetOverwrite(f.key, "c1", o)
	wantCode(t, "SetOverwrite", err, "")
	want = append(want, rev)
	_, _, err = f.SetOverwrite(f.key, "c1", o)
	wantCode(t, "SetOverwrite unchanged", err, "")
	wantSeen("SetOverwrite")
	if want[len(want)-1] != MustRevision(t, f.key, f) {
		t.Errorf("last hook revision: got %d, want the current %d", want[len(want)-1], MustRevision(t, f.key, f))
	}
}

// recordingSink records what LoadState sends.
type recordingSink struct {
	perms       []string
	communities []roster.Community
	roles       []roster.Role
	members     map[string][]string
	grants      map[string][]roster.Assignment
	channels    []roster.Channel
}

func (s *recordingSink) Permission(key string)        { s.perms = append(s.perms, key) }
func (s *recordingSink) Community(c roster.Community) { s.communities = append(s.communities, c) }
func (s *recordingSink) Role(r roster.Role)           { s.roles = append(s.roles, r) }
func (s *recordingSink) Channel(c roster.Channel)     { s.channels = append(s.channels, c) }

func (s *recordingSink) Member(community, user string) {
	if s.members == nil {
		s.members = map[string][]string{}
	}
	s.members[community] = append(s.members[community], user)
}

func (s *recordingSink) Grant(scope string, a roster.Assignment) {
	if s.grants == nil {
		s.grants = map[string][]roster.Assignment{}
	}
	s.grants[scope] = append(s.grants[scope], a)
}

// rolesOf returns the ids of the roles sent for a scope, in order, failing
// unless their positions count up from 0.
func (s *recordingSink) rolesOf(t *testing.T, scope string) ([]string, map[string]roster.Role) {
	t.Helper()
	var ids []string
	byID := map[string]roster.Role{}
	for _, r := range s.roles {
		if (r.CommunityID == nil && scope == roster.Platform) || (r.CommunityID != nil && *r.CommunityID == scope) {
			if r.Position != len(ids) {
				t.Errorf("LoadState role %s (%s) of %q: got position %d at place %d, want bottom to top", r.ID, r.Name, scope, r.Position, len(ids))
			}
			ids = append(ids, r.ID)
			byID[r.ID] = r
		}
	}
	return ids, byID
}

func testLoadState(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreatePermission(t, f.key, f, "REDEEM_REWARDS")
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustCreateOwned(t, f.key, f, "c2", "")
	MustAddMember(t, f.key, f, "c1", "alice", "bob")
	mods := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Mods", Permissions: []string{"REDEEM_REWARDS", roster.PermBanMembers}})
	low := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Low", Position: 1})
	global := MustCreateRole(t, f.key, f, roster.Platform, roster.Role{Name: "Global", Permissions: []string{roster.PermManagePosts}})
	exp := f.clock.Now().Add(time.Hour)
	MustAddRoles(t, f.key, f, roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{mods.ID}, ExpiresAt: &exp})
	MustProvision(t, f.key, f, "c1", "alice", low.ID)
	MustGrant(t, f.key, f, roster.Platform, "outsider", global.ID)
	MustPutChannel(t, f.key, f, "c1", "quiet", "Quiet")
	MustPutChannel(t, f.key, f, "c1", "general", "General")
	everyone := MustSetOverwrite(t, f.key, f, "c1", roleOW("general", roster.BuiltinEveryone, nil, []string{roster.PermSendMessages}))
	modsOW := MustSetOverwrite(t, f.key, f, "c1", roleOW("general", mods.ID, []string{roster.PermSendMessages}, nil))
	bobOW := MustSetOverwrite(t, f.key, f, "c1", memberOW("general", "bob", []string{"REDEEM_REWARDS"}, nil))
	// What a deleted community had is gone.
	MustCreateOwned(t, f.key, f, "gone", "")
	MustPutChannel(t, f.key, f, "gone", "old", "")
	if _, err := f.DeleteCommunity(f.key, "gone"); err != nil {
		t.Fatalf("DeleteCommunity: %v", err)
	}

	var sink recordingSink
	rev, err := f.LoadState(f.key, &sink)
	wantCode(t, "LoadState", err, "")
	if now := MustRevision(t, f.key, f); rev != now {
		t.Errorf("LoadState: got revision %d, want the current %d", rev, now)
	}
	var keys []string
	for _, p := range allPermissions(t, f) {
		keys = append(keys, p.Key)
	}
	if got := roster.CleanKeys(sink.perms); !slices.Equal(got, keys) || len(sink.perms) != len(keys) {
		t.Errorf("catalog: got %v, want %v", sink.perms, keys)
	}
	var communities []string
	for _, c := range sink.communities {
		owner := ""
		if c.OwnerID != nil {
			owner = *c.OwnerID
		}
		communities = append(communities, c.ID+":"+owner)
	}
	if slices.Sort(communities); !slices.Equal(communities, []string{"c1:owner", "c2:"}) {
		t.Errorf("communities: got %v, want c1 owned by owner and c2 with no owner", communities)
	}
	for _, scope := range []string{roster.Platform, "c1", "c2"} {
		ids, byID := sink.rolesOf(t, scope)
		if want := MustRoleIDs(t, f.key, f, scope); !slices.Equal(ids, want) {
			t.Errorf("roles of %q: got %v, want %v", scope, ids, want)
		}
		for _, id := range ids {
			want := MustFindRole(t, f.key, f, scope, id)
			if got := byID[id]; !slices.Equal(roster.CleanKeys(got.Permissions), roster.CleanKeys(want.Permissions)) || got.Name != want.Name {
				t.Errorf("role %s of %q: got %s with %v, want %s with %v", id, scope, got.Name, got.Permissions, want.Name, want.Permissions)
			}
		}
	}
	for community, want := range map[string][]string{"c1": {"alice", "bob", "owner"}, "c2": nil, "gone": nil} {
		got := slices.Clone(sink.members[community])
		if slices.Sort(got); !slices.Equal(got, want) {
			t.Errorf("members of %s: got %v, want %v", community, got, want)
		}
	}
	grants := func(scope string) []string {
		var out []string
		for _, a := range sink.grants[scope] {
			s := a.UserID + ":" + a.RoleID + ":" + string(a.Source)
			if a.ExpiresAt != nil {
				s += ":" + a.ExpiresAt.UTC().Format(time.RFC3339)
			}
			out = append(out, s)
		}
		slices.Sort(out)
		return out
	}
	wantC1 := []string{"alice:" + low.ID + ":" + string(roster.SourceProvisioning), "alice:" + mods.ID + ":" + string(roster.SourceManual) + ":" + exp.UTC().Format(time.RFC3339)}
	slices.Sort(wantC1)
	if got := grants("c1"); !slices.Equal(got, wantC1) {
		t.Errorf("grants of c1: got %v, want %v", got, wantC1)
	}
	if got := grants(roster.Platform); !slices.Contains(got, "outsider:"+global.ID+":"+string(roster.SourceManual)) {
		t.Errorf("platform grants: got %v, want outsider holding Global", got)
	}
	if len(sink.channels) != 2 {
		t.Fatalf("channels: got %+v, want general and quiet of c1", sink.channels)
	}
	byID := map[string]roster.Channel{}
	for _, c := range sink.channels {
		if c.CommunityID != "c1" {
			t.Errorf("channel %s: got community %q, want c1", c.ID, c.CommunityID)
		}
		byID[c.ID] = c
	}
	wantOverwrites(t, "LoadState general", byID["general"], everyone, modsOW, bobOW)
	wantOverwrites(t, "LoadState quiet", byID["quiet"])
}

func testAddMembers(t *testing.T, open Opener) {
	f := newCommunityFixture(t, open, "alice")
	def := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Newcomer", IsDefault: true})
	before := MustRevision(t, f.key, f)
	res, rev, err := f.AddMembers(f.key, "c1", []string{"bob", "alice", "carol", "bob"})
	wantCode(t, "AddMembers", err, "")
	want := []roster.JoinResult{{UserID: "bob", Result: roster.Joined}, {UserID: "alice", Result: roster.AlreadyMember}, {UserID: "carol", Result: roster.Joined}}
	if !slices.Equal(res, want) {
		t.Errorf("AddMembers: got %+v, want %+v (duplicates collapsed, in request order)", res, want)
	}
	events := MustEventsSince(t, f.key, f, before)
	wantActions(t, "AddMembers", events, roster.ActionUserCreated, roster.ActionUserCreated,
		roster.ActionMemberJoined, roster.ActionMemberJoined, roster.ActionMemberRoleAdded, roster.ActionMemberRoleAdded)
	if n := len(events); n == 0 || events[n-1].Revision != rev {
		t.Errorf("AddMembers: got revision %d, want that of its last event", rev)
	}
	for _, e := range events {
		if (e.Action == roster.ActionMemberJoined || e.Action == roster.ActionUserCreated) && e.TargetID != "bob" && e.TargetID != "carol" {
			t.Errorf("%s of %s, want only bob and carol", e.Action, e.TargetID)
		}
	}
	for user, want := range map[string]bool{"bob": true, "carol": true, "alice": false} {
		if got := holds(MustMember(t, f.key, f, "c1", user), def.ID); got != want {
			t.Errorf("%s holds the default role: got %v, want %v", user, got, want)
		}
	}
	members, _, err := f.ListMembers(f.key, "c1", roster.MemberFilter{}, roster.Page{})
	wantCode(t, "ListMembers", err, "")
	if got := memberIDs(members); !slices.Equal(got, []string{"alice", "bob", "carol"}) {
		t.Errorf("members: got %v, want alice, bob, carol", got)
	}
	if got, _, err := f.Check(f.key, []roster.Check{{CommunityID: "c1", UserID: "carol", Permission: roster.PermSendMessages}}, 0); err != nil || !got[0] {
		t.Errorf("Check of a new member: got %v, %v, want allowed", got, err)
	}
	// Adding members again changes nothing.
	res, rev2, err := f.AddMembers(f.key, "c1", []string{"carol", "bob"})
	wantCode(t, "AddMembers again", err, "")
	want = []roster.JoinResult{{UserID: "carol", Result: roster.AlreadyMember}, {UserID: "bob", Result: roster.AlreadyMember}}
	if !slices.Equal(res, want) {
		t.Errorf("AddMembers again: got %+v, want %+v", res, want)
	}
	if now := MustRevision(t, f.key, f); rev2 != rev || now != rev {
		t.Errorf("AddMembers again: got revision %d (current %d), want %d and no event", rev2, now, rev)
	}
}

func testAddMembersInvalid(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	before := MustRevision(t, f.key, f)
	for _, tc := range []struct {
		name, community string
		users           []string
		code, field     string
	}{
		{"a bad id", "c1", []string{"dave", "bad id!", "erin"}, roster.EVALIDATION, "userIds[1]"},
		{"an empty id", "c1", []string{"dave", ""}, roster.EVALIDATION, "userIds[1]"},
		{"no ids", "c1", nil, roster.EVALIDATION, "userIds"},
		{"too many ids", "c1", manyIDs(roster.MaxMemberBatch + 1), roster.EVALIDATION, "userIds"},
		{"unknown community", "nope", []string{"dave"}, roster.ECOMMUNITYNOTFOUND, ""},
	} {
		res, rev, err := f.AddMembers(f.key, tc.community, tc.users)
		wantCode(t, "AddMembers with "+tc.name, err, tc.code)
		wantField(t, "AddMembers with "+tc.name, err, tc.field)
		wantNoChange(t, f, "AddMembers with "+tc.name, before, rev)
		if res != nil {
			t.Errorf("AddMembers with %s: got results %+v, want none", tc.name, res)
		}
	}
	_, err := f.FindMember(f.key, "c1", "dave")
	wantCode(t, "FindMember after a refused AddMembers", err, roster.EMEMBERNOTFOUND)
}

func testAddMembersLimit(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	ids := manyIDs(roster.MaxMemberBatch)
	res, _, err := f.AddMembers(f.key, "c1", ids)
	wantCode(t, "AddMembers of MaxMemberBatch users", err, "")
	if len(res) != len(ids) || res[0].Result != roster.Joined || res[len(res)-1].UserID != ids[len(ids)-1] {
		t.Errorf("AddMembers: got %d results, want %d joined", len(res), len(ids))
	}
	members, _, err := f.ListMembers(f.key, "c1", roster.MemberFilter{}, roster.Page{Limit: roster.MaxPageLimit})
	wantCode(t, "ListMembers", err, "")
	if len(members) != len(ids) {
		t.Errorf("members: got %d, want %d", len(members), len(ids))
	}
}

func testAddMembersGuards(t *testing.T, open Opener) {
	f := newFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", "alice", "hr")
	managers := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "HR", Permissions: []string{roster.PermManageMembers}})
	MustGrant(t, f.key, f, "c1", "hr", managers.ID)
	before := MustRevision(t, f.key, f)
	for _, tc := range []struct {
		actor string
		users []string
	}{{"alice", []string{"bob"}}, {"alice", []string{"alice", "bob"}}, {"dave", []string{"dave", "bob"}}} {
		what := tc.actor + " AddMembers of " + strings.Join(tc.users, ",")
		_, rev, err := f.AddMembers(f.as(t, tc.actor), "c1", tc.users)
		wantCode(t, what, err, roster.EMISSINGPERMISSION)
		wantNoChange(t, f, what, before, rev)
		if got := extra(err, "permission"); err != nil && got != roster.PermManageMembers {
			t.Errorf("%s: got Extra[permission] %v, want %s", what, got, roster.PermManageMembers)
		}
	}
	_, err := f.FindMember(f.key, "c1", "dave")
	wantCode(t, "FindMember of dave after a refused batch", err, roster.EMEMBERNOTFOUND)
	// Oneself, or others with MANAGE_MEMBERS or as owner, is fine.
	for _, tc := range []struct {
		actor string
		users []string
	}{{"dave", []string{"dave"}}, {"hr", []string{"erin", "frank"}}, {"owner", []string{"gina"}}} {
		res, _, err := f.AddMembers(f.as(t, tc.actor), "c1", tc.users)
		wantCode(t, tc.actor+" AddMembers", err, "")
		if len(res) != len(tc.users) || res[0].Result != roster.Joined {
			t.Errorf("%s AddMembers: got %+v, want each joined", tc.actor, res)
		}
	}
}

// manyIDs returns n distinct user ids.
func manyIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "user-" + strconv.Itoa(i)
	}
	return out
}

// testOnCommitConcurrent writes from many goroutines at once, so that
// writes commit in groups, beside a batch whose events take more than one
// statement on some engines: the hooks are handed every event of the log
// once, as the log holds it.
func testOnCommitConcurrent(t *testing.T, open Opener) {
	f := newFixture(t, open)
	users := make([]string, roster.MaxBatch)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i)
	}
	MustCreateOwned(t, f.key, f, "c1", "owner")
	MustAddMember(t, f.key, f, "c1", users...)
	var roles []string
	for i := range 6 {
		roles = append(roles, MustCreateRole(t, f.key, f, "c1", roster.Role{Name: fmt.Sprintf("r%d", i)}).ID)
	}
	var mu sync.Mutex
	var handed []roster.Event
	f.OnCommit(func(_ roster.Revision, events []roster.Event) {
		mu.Lock()
		defer mu.Unlock()
		handed = append(handed, events...)
	})
	start := MustRevision(t, f.key, f)
	// The goroutines report failures with Errorf: Fatal must not be
	// called from them.
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, _, err := f.AddRoles(f.key, roster.Change{Scope: "c1", UserIDs: users, RoleIDs: roles}); err != nil {
			t.Errorf("AddRoles: %v", err)
		}
	})
	for g := range 7 {
		wg.Go(func() {
			owner := "owner"
			community := fmt.Sprintf("g%d", g)
			if _, _, err := f.CreateCommunity(f.key, roster.Community{ID: community, Name: community, OwnerID: &owner}); err != nil {
				t.Errorf("CreateCommunity(%s): %v", community, err)
				return
			}
			for i := range 10 {
				if _, _, err := f.AddMember(f.key, community, fmt.Sprintf("m%d", i), nil); err != nil {
					t.Errorf("AddMember(%s, m%d): %v", community, i, err)
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var logged []roster.Event
	for after := start; ; {
		page, err := f.Changes(f.key, after, roster.MaxPageLimit)
		wantCode(t, "Changes", err, "")
		if len(page) == 0 {
			break
		}
		logged, after = append(logged, page...), page[len(page)-1].Revision
	}
	mu.Lock()
	defer mu.Unlock()
	slices.SortFunc(handed, func(a, b roster.Event) int { return int(a.Revision - b.Revision) })
	if len(logged) < len(users)*len(roles) {
		t.Fatalf("Changes: got %d events, want at least %d", len(logged), len(users)*len(roles))
	}
	if len(handed) != len(logged) {
		t.Fatalf("hooks got %d events, want the log's %d", len(handed), len(logged))
	}
	for i := range logged {
		if !reflect.DeepEqual(handed[i], logged[i]) {
			t.Fatalf("event %d handed to the hooks: got %+v, want the log's %+v", i, handed[i], logged[i])
		}
	}
}
