package client_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/client"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// world makes random writes through the client: roles with random
// permissions, members, grants and removals, overwrites, role edits and
// deletes, in communities made first.
type world struct {
	c           *client.Client
	rng         *rand.Rand
	communities []string
	users       []string
	channels    map[string][]string
}

// perms are the permissions roles get and checks ask; ADMINISTRATOR comes
// only with the admin role, or every check of a user who holds it would
// be allowed.
var perms = []string{roster.PermSendMessages, roster.PermViewChannel, roster.PermBanMembers, roster.PermManagePosts,
	roster.PermAttachFiles, roster.PermMuteMembers, roster.PermAddReactions}

func (w *world) some(from []string) []string {
	var out []string
	for _, p := range from {
		if w.rng.IntN(3) == 0 {
			out = append(out, p)
		}
	}
	return out
}

func (w *world) pick(from []string) string { return from[w.rng.IntN(len(from))] }

func (w *world) roles(ctx context.Context, t *testing.T, scope string) []roster.Role {
	roles, _, err := w.c.ListRoles(ctx, scope, roster.Page{Limit: roster.MaxRolesPerScope})
	if err != nil {
		t.Fatal(err)
	}
	return roles
}

// write makes random writes until n are accepted (the refused ones, such
// as a removal of a member who is not one, change nothing) and returns the
// revision of the last.
func (w *world) write(ctx context.Context, t *testing.T, n int) roster.Revision {
	var last roster.Revision
	accepted := 0
	for i := 0; accepted < n; i++ {
		if i > 10*n {
			t.Fatalf("only %d of %d writes accepted", accepted, i)
		}
		var rev roster.Revision
		var err error
		scope := w.pick(w.communities)
		if w.rng.IntN(8) == 0 {
			scope = roster.Platform
		}
		roles := w.roles(ctx, t, scope)
		role := roles[w.rng.IntN(len(roles))]
		user := w.pick(w.users)
		switch op := w.rng.IntN(10); {
		case op == 0 && len(roles) < 12:
			_, rev, err = w.c.CreateRole(ctx, scope, roster.Role{Name: fmt.Sprintf("r%d", i), Permissions: w.some(perms)})
		case op == 1 && scope != roster.Platform:
			_, rev, err = w.c.AddMembers(ctx, scope, w.some(w.users))
		case op == 2 && scope != roster.Platform:
			_, err = w.c.RemoveMember(ctx, scope, user)
		case op <= 5:
			_, rev, err = w.c.AddRoles(ctx, roster.Change{Scope: scope, UserIDs: w.some(w.users), RoleIDs: []string{role.ID}})
		case op == 6:
			_, rev, err = w.c.RemoveRoles(ctx, roster.Change{Scope: scope, UserIDs: w.some(w.users), RoleIDs: []string{role.ID}})
		case op == 7:
			p := w.some(perms)
			_, rev, err = w.c.UpdateRole(ctx, scope, role.ID, roster.RoleUpdate{Permissions: &p})
		case op == 8 && scope != roster.Platform:
			ch := w.pick(w.channels[scope])
			o := roster.Overwrite{ChannelID: ch, Type: roster.OverwriteRole, ID: role.ID, Allow: w.some(perms), Deny: w.some(perms)}
			if w.rng.IntN(2) == 0 {
				o.Type, o.ID = roster.OverwriteMember, user
			}
			_, rev, err = w.c.SetOverwrite(ctx, scope, o)
		case op == 9 && role.Builtin == "":
			rev, err = w.c.DeleteRole(ctx, scope, role.ID, roster.RoleDelete{Force: true})
		}
		if err == nil && rev > 0 {
			last, accepted = rev, accepted+1
		}
	}
	return last
}

// randomChecks are n random checks of the world, some in channels.
func (w *world) randomChecks(n int) []roster.Check {
	checks := make([]roster.Check, n)
	for i := range checks {
		ch := roster.Check{UserID: w.pick(w.users), Permission: w.pick(perms)}
		if w.rng.IntN(6) > 0 {
			ch.CommunityID = w.pick(w.communities)
			if w.rng.IntN(2) == 0 {
				ch.ChannelID = w.pick(w.channels[ch.CommunityID])
			}
		}
		checks[i] = ch
	}
	return checks
}

// TestFollowerAgrees: after 1,000 random writes, a follower answers 10,000
// random checks as the server does at the same revision, and goes on
// following the writes made after it started.
func TestFollowerAgrees(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, e sqltest.Engine) {
		t.Parallel()
		ctx := context.Background()
		base, admin := server(t, e, nil)
		c, _ := client.New(base, client.WithKey(admin))
		w := &world{c: c, rng: rand.New(rand.NewPCG(7, 11)), channels: map[string][]string{}}
		for i := range 40 {
			w.users = append(w.users, fmt.Sprintf("u%02d", i))
		}
		for i := range 4 {
			id := fmt.Sprintf("c%d", i)
			owner := w.users[i]
			if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: id, Name: id, OwnerID: &owner}); err != nil {
				t.Fatal(err)
			}
			w.communities = append(w.communities, id)
			for j := range 3 {
				ch := fmt.Sprintf("ch%d", j)
				if _, _, err := c.PutChannel(ctx, roster.Channel{CommunityID: id, ID: ch}); err != nil {
					t.Fatal(err)
				}
				w.channels[id] = append(w.channels[id], ch)
			}
		}
		rev := w.write(ctx, t, 1000)

		f, err := client.Follow(ctx, c, client.FollowOptions{LongPoll: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		agree := func(what string, rev roster.Revision) {
			t.Helper()
			wait, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			if err := f.WaitFor(wait, rev); err != nil {
				t.Fatalf("%s: the follower did not reach revision %d: %v", what, rev, err)
			}
			checks := w.randomChecks(10000)
			allowedAnswers := 0
			for i := 0; i < len(checks); i += roster.MaxCheckBatch {
				batch := checks[i:min(i+roster.MaxCheckBatch, len(checks))]
				want, at, err := c.Check(ctx, batch, rev)
				if err != nil {
					t.Fatal(err)
				}
				got, fat, err := f.Check(ctx, batch, rev)
				if err != nil || fat != at {
					t.Fatalf("%s: the follower at %d (%v), the server at %d", what, fat, err, at)
				}
				for j := range batch {
					if got[j] != want[j] {
						t.Errorf("%s: %+v: the follower says %v, the server %v", what, batch[j], got[j], want[j])
					}
					if want[j] {
						allowedAnswers++
					}
				}
			}
			if allowedAnswers == 0 || allowedAnswers == len(checks) {
				t.Fatalf("%s: %d of %d checks allowed: the world is not mixed enough to tell", what, allowedAnswers, len(checks))
			}
			for _, u := range w.users[:8] {
				want, _, err := c.EffectivePermissions(ctx, "c1", "ch0", u)
				got, _, ferr := f.EffectivePermissions(ctx, "c1", "ch0", u)
				if (err == nil) != (ferr == nil) || !slices.Equal(got.Permissions, want.Permissions) {
					t.Errorf("%s: %s's permissions in c1/ch0: follower %v (%v), server %v (%v)", what, u, got.Permissions, ferr, want.Permissions, err)
				}
			}
		}
		agree("after the snapshot", rev)

		// Writes after it started reach it through the change stream.
		agree("after following", w.write(ctx, t, 200))
	})
}

// A key restricted to a community follows that community alone.
func TestFollowerRestricted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base, admin := server(t, sqltest.SQLite, nil)
	c, _ := client.New(base, client.WithKey(admin))
	for _, id := range []string{"mine", "theirs"} {
		owner := "owner-" + id
		if _, _, err := c.CreateCommunity(ctx, roster.Community{ID: id, Name: id, OwnerID: &owner}); err != nil {
			t.Fatal(err)
		}
	}
	mine := "mine"
	key, _, err := c.CreateAPIKey(ctx, roster.APIKey{Name: "follower", Scopes: []string{roster.ScopeRead}, CommunityID: &mine})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := client.New(base, client.WithKey(key.Secret))
	f, err := client.Follow(ctx, r, client.FollowOptions{LongPoll: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := f.Check(ctx, []roster.Check{
		{CommunityID: "mine", UserID: "owner-mine", Permission: roster.PermBanMembers},
	}, 0)
	if err != nil || !got[0] {
		t.Errorf("the owner of mine, in the follower: got %v, %v", got, err)
	}
	if _, _, err := f.Check(ctx, []roster.Check{{CommunityID: "theirs", UserID: "owner-theirs", Permission: roster.PermBanMembers}}, 0); err == nil {
		t.Errorf("a check in theirs, by a follower of mine: got no error")
	}
	// A user, acting through a key, reads through the guards of each list,
	// never a snapshot.
	actor, _, err := c.CreateAPIKey(ctx, roster.APIKey{Name: "acting", Scopes: []string{roster.ScopeRead}, ActAs: true})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := client.New(base, client.WithKey(actor.Secret))
	if _, err := client.Follow(ctx, a.As("owner-mine"), client.FollowOptions{}); roster.ErrorCode(err) != roster.EINSUFFICIENTSCOPE {
		t.Errorf("a follower acting as a user: got %v, want insufficient_scope", err)
	}
}
