package index

import (
	"testing"
	"time"

	"github.com/rosterhq/roster"
)

// TestSweepDropsExpiredGrants checks that a member's entry leaves the slow
// path once their expiring grants have expired and the sweep has run.
func TestSweepDropsExpiredGrants(t *testing.T) {
	t.Parallel()
	now := time.Now()
	st := newState(func() time.Time { return now })
	c := "c1"
	st.Community(roster.Community{ID: c})
	st.Role(roster.Role{ID: "e", CommunityID: &c, Builtin: roster.BuiltinEveryone, Permissions: []string{}})
	st.Role(roster.Role{ID: "mod", CommunityID: &c, Position: 1, Permissions: []string{roster.PermBanMembers}})
	st.Member(c, "alice")
	soon := now.Add(time.Minute)
	st.Grant(c, roster.Assignment{UserID: "alice", RoleID: "mod", Grant: roster.Grant{Source: roster.SourceManual, ExpiresAt: &soon}})
	s, _ := st.scope(c)
	ban, _ := st.catalog.bit(roster.PermBanMembers)
	m, ok := st.member(s, "alice")
	if !ok || m.flags&expiring == 0 || m.n != 0 {
		t.Fatalf("before expiry: got %+v, %v; want a member flagged expiring with no role inline", m, ok)
	}
	clock := clock{now: st.now}
	if all, granted := s.slowGrants("alice", ban, &clock); all || !granted {
		t.Fatalf("before expiry: got all %v granted %v, want BAN_MEMBERS granted", all, granted)
	}
	st.sweep()
	if m, _ := st.member(s, "alice"); m.flags&expiring == 0 {
		t.Fatalf("a sweep before the expiry: got %+v, want still flagged", m)
	}
	now = soon
	st.sweep()
	m, _ = st.member(s, "alice")
	if m.flags&expiring != 0 || m.lo>>ban&1 != 0 || len(st.expiries) != 0 {
		t.Errorf("after expiry and sweep: got %+v with %d expiries pending, want no flag, no BAN_MEMBERS, none pending", m, len(st.expiries))
	}
}
