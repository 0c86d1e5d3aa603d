package storetest

import (
	"encoding/json"
	"math/rand/v2"
	"sync"
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

// testExpiredReplacedAnswer re-adds, from the same source, a grant that
// expired (replaced by ON CONFLICT), with and without a new expiry, beside
// one of the other source, as a user actor.
func testExpiredReplacedAnswer(t *testing.T, open Opener) {
	f := newClockFixture(t, open)
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice", "bob")
	boss := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Boss", Position: 1, Permissions: []string{roster.PermManageRoles}})
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Temp", Position: 1})
	MustGrant(t, f.key, f, "c1", "bob", boss.ID)
	exp := f.clock.Now().Add(time.Hour)
	res, _, err := f.AddRole(f.key, roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, Source: roster.SourceProvisioning, ExpiresAt: &exp})
	wantCode(t, "provision", err, "")
	sameAnswer(t, f, "provision", res)
	res, _, err = f.AddRole(f.as(t, "bob"), roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, ExpiresAt: &exp})
	wantCode(t, "manual", err, "")
	sameAnswer(t, f, "manual beside provisioning", res)
	later := exp.Add(time.Hour)
	res, _, err = f.AddRole(f.as(t, "bob"), roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, ExpiresAt: &later})
	wantCode(t, "re-add, other expiry", err, "")
	sameAnswer(t, f, "re-add with another expiry", res)
	f.clock.Advance(time.Hour + time.Minute)
	res, _, err = f.AddRole(f.as(t, "bob"), roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID})
	wantCode(t, "re-add after expiry", err, "")
	sameAnswer(t, f, "re-add of an expired manual grant", res)
	res, _, err = f.AddRole(f.key, roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, Source: roster.SourceProvisioning})
	wantCode(t, "re-provision after expiry", err, "")
	sameAnswer(t, f, "re-add of an expired provisioning grant", res)
	res, _, err = f.RemoveRole(f.as(t, "bob"), roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID})
	wantCode(t, "retained", err, "")
	sameAnswer(t, f, "manual removal, provisioning retained", res)
}

// testExpiredWhileWaiting adds a role, singly and in a batch, whose
// expiry passes between the request's check and the write's own clock
// reading, as when the write waits in the queue: the change is refused and
// writes nothing.
func testExpiredWhileWaiting(t *testing.T, open Opener) {
	c := &jumpClock{now: time.Now().UTC().Truncate(time.Second), jump: time.Second}
	f := &fixture{Service: open(t, c.Now), key: AsKey(t.Context())}
	MustCreateOwned(t, f.key, f, "c1", "")
	MustAddMember(t, f.key, f, "c1", "alice")
	r := MustCreateRole(t, f.key, f, "c1", roster.Role{Name: "Temp"})
	before := MustRevision(t, f.key, f)
	for _, batch := range []bool{false, true} {
		exp := c.Now().Add(500 * time.Millisecond)
		c.mu.Lock()
		c.armed = true
		c.mu.Unlock()
		var err error
		if batch {
			_, _, err = f.AddRoles(f.key, roster.Change{Scope: "c1", UserIDs: []string{"alice"}, RoleIDs: []string{r.ID}, ExpiresAt: &exp})
		} else {
			_, _, err = f.AddRole(f.key, roster.RoleGrant{Scope: "c1", UserID: "alice", RoleID: r.ID, ExpiresAt: &exp})
		}
		wantCode(t, "an add whose expiry passed while it waited", err, roster.EVALIDATION)
	}
	if m := MustMember(t, f.key, f, "c1", "alice"); len(m.Roles) != 0 {
		t.Errorf("roles: got %+v, want none", m.Roles)
	}
	if events := MustEventsSince(t, f.key, f, before); len(events) != 0 {
		t.Errorf("events: got %v, want none", actions(events))
	}
}

// sameAnswer fails unless the change's answered member is what
// ListUserRoles returns.
func sameAnswer(t *testing.T, f *fixture, what string, res roster.RoleResult) {
	t.Helper()
	got, _ := json.Marshal(res.Member)
	want, _ := json.Marshal(MustMember(t, f.key, f, "c1", res.Member.UserID))
	if string(got) != string(want) {
		t.Errorf("%s (%s): answered\n%s\nbut the store holds\n%s", what, res.Result, got, want)
	}
}

// jumpClock reads a fixed time; once armed, the next reading is that time
// and every later one is jump after it: the moments a write's Clean and
// its transaction read the clock are then apart, as when the write waits
// in the queue.
type jumpClock struct {
	mu    sync.Mutex
	now   time.Time
	jump  time.Duration
	armed bool
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.now
	if c.armed {
		c.now, c.armed = c.now.Add(c.jump), false
	}
	return t
}
