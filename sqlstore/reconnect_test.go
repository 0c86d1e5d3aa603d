package sqlstore_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
	"github.com/rosterhq/roster/storetest"
)

// TestReconnectsWhenTheDatabaseComesBack puts a proxy between a store S and
// PostgreSQL, and takes the database away from S while another store D,
// connected directly, writes. A write through S must then fail, promptly;
// once the database is back, S's index must catch up with D's writes
// without a write through S, and writes through S must succeed again. The
// index is brought up to date by the store's listener connecting again (it
// polls once an hour), or, notifications not subscribed, by polling.
func TestReconnectsWhenTheDatabaseComesBack(t *testing.T) {
	t.Parallel()
	sqltest.Postgres.Require(t)
	for _, tc := range []struct {
		name   string
		notify bool
		poll   time.Duration
	}{
		{"listener", true, time.Hour},
		{"polling", false, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			reconnects(t, tc.notify, tc.poll)
		})
	}
}

func reconnects(t *testing.T, notify bool, poll time.Duration) {
	p, direct, proxied := proxiedStores(t)
	ctx := storetest.AsKey(t.Context())

	const key = "CUSTOM_RECONNECT"
	storetest.MustCreatePermission(t, ctx, direct, key)
	storetest.MustCreateOwned(t, ctx, direct, "c1", "owner")
	storetest.MustAddMember(t, ctx, direct, "c1", "alice")
	role := storetest.MustCreateRole(t, ctx, direct, "c1", roster.Role{Name: "reconnect", Permissions: []string{key}})

	var log roster.ChangeLog = proxied
	if !notify {
		log = withoutHooks{proxied}
	}
	ix, err := index.Open(ctx, log, index.Options{Poll: poll, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("index.Open: %v", err)
	}
	defer ix.Close()

	_, rev, err := proxied.AddMember(ctx, "c1", "bob", nil)
	if err != nil {
		t.Fatalf("AddMember through the proxy, the database up: %v", err)
	}
	if notify && ix.Revision() < rev {
		t.Fatalf("index revision after a write through its store: got %d, want at least %d", ix.Revision(), rev)
	}

	p.down()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	began := time.Now()
	_, _, err = proxied.CreateRole(wctx, "c1", roster.Role{Name: "lost"})
	cancel()
	took := time.Since(began)
	if err == nil {
		t.Fatalf("CreateRole through the proxy, the database away: got no error, want one")
	}
	if took > 7*time.Second {
		t.Errorf("CreateRole through the proxy, the database away: failed after %v, want within its 5 s deadline", took)
	}
	t.Logf("the write with the database away failed in %v: %v", took.Round(time.Millisecond), err)

	check := roster.Check{CommunityID: "c1", UserID: "alice", Permission: key}
	if ok, _, err := ix.Allowed(ctx, check, 0); err != nil || ok {
		t.Fatalf("check before the grant: got %v, %v; want denied", ok, err)
	}
	storetest.MustGrant(t, ctx, direct, "c1", "alice", role.ID)
	want := storetest.MustRevision(t, ctx, direct)
	// Let the listener and the poller fail a few times.
	time.Sleep(time.Second)
	if got := ix.Revision(); got >= want {
		t.Fatalf("index revision with the database away: got %d, want below %d", got, want)
	}

	p.up()
	restored := time.Now()
	for ix.Revision() < want {
		if time.Since(restored) > 15*time.Second {
			t.Fatalf("index revision 15 s after the database came back: got %d, want %d", ix.Revision(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the index reached revision %d %v after the database came back", want, time.Since(restored).Round(time.Millisecond))
	if ok, rev, err := ix.Allowed(ctx, check, 0); err != nil || !ok || rev < want {
		t.Fatalf("check after the grant: got %v at revision %d, %v; want allowed at %d or later", ok, rev, err, want)
	}

	for {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, _, err := proxied.AddMember(wctx, "c1", "carol", nil)
		cancel()
		if err == nil {
			break
		}
		if time.Since(restored) > 15*time.Second {
			t.Fatalf("AddMember through the proxy 15 s after the database came back: %v", err)
		}
		t.Logf("a write after the database came back: %v", err)
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("a write through the proxy succeeded %v after the database came back", time.Since(restored).Round(time.Millisecond))

	// The write that failed left nothing behind.
	if _, _, err := direct.CreateRole(ctx, "c1", roster.Role{Name: "lost"}); err != nil {
		t.Errorf("CreateRole of the name the failed write used: got %v, want success", err)
	}
}

// TestStalledDatabaseDoesNotHoldChecks stalls the connections of a store S
// to PostgreSQL, as a network partition does: they stay open but carry
// nothing. Another store D, connected directly, writes meanwhile, so that
// S's indexes fall behind. A check asking for D's revision must then fail
// with EREVISIONNOTREADY once the index's wait (or the caller's deadline,
// when shorter) ends, Ready must fail when its context ends, and checks
// that ask for no newer revision must answer at once from the state before
// the stall. Once the stall ends, the indexes must reach D's revision. Of
// the two indexes, one follows S's commits and polls, so that the poller
// holds the catch-up when a check comes; the other reads the log only when
// a check asks it to, so that the check's own read stalls.
func TestStalledDatabaseDoesNotHoldChecks(t *testing.T) {
	t.Parallel()
	sqltest.Postgres.Require(t)
	p, direct, proxied := proxiedStores(t)
	ctx := storetest.AsKey(t.Context())

	const key = "CUSTOM_STALL"
	storetest.MustCreatePermission(t, ctx, direct, key)
	storetest.MustCreateOwned(t, ctx, direct, "c1", "owner")
	storetest.MustAddMember(t, ctx, direct, "c1", "alice")
	role := storetest.MustCreateRole(t, ctx, direct, "c1", roster.Role{Name: "stall", Permissions: []string{key}})

	// The stall must find S's listener listening. S writes nothing, so its
	// commit hooks are called only by the listener, which starts with the
	// first hook and calls the hooks once it listens.
	listening := make(chan struct{}, 1)
	proxied.OnCommit(func(roster.Revision, []roster.Event) {
		select {
		case listening <- struct{}{}:
		default:
		}
	})

	const wait = time.Second
	quiet := slog.New(slog.DiscardHandler)
	following, err := index.Open(ctx, proxied, index.Options{Wait: wait, Poll: 200 * time.Millisecond, Log: quiet})
	if err != nil {
		t.Fatalf("index.Open (following): %v", err)
	}
	lazy, err := index.Open(ctx, withoutHooks{proxied}, index.Options{Wait: wait, Poll: time.Hour, Log: quiet})
	if err != nil {
		t.Fatalf("index.Open (lazy): %v", err)
	}
	// The stall ends before the indexes and the stores close, whatever
	// happens: a catch-up stalled in the poller would hold Close.
	t.Cleanup(func() {
		p.flow()
		following.Close()
		lazy.Close()
	})
	indexes := []struct {
		name string
		ix   *index.Index
	}{{"following", following}, {"lazy", lazy}}
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		t.Fatalf("S's listener: not listening after 10 s, want it listening")
	}

	before := storetest.MustRevision(t, ctx, direct)
	check := roster.Check{CommunityID: "c1", UserID: "alice", Permission: key}
	for _, x := range indexes {
		if err := x.ix.Ready(ctx); err != nil {
			t.Fatalf("%s: Ready before the stall: got %v, want nil", x.name, err)
		}
		if got := x.ix.Revision(); got != before {
			t.Fatalf("%s: index revision before the stall: got %d, want %d", x.name, got, before)
		}
	}

	p.stall()
	storetest.MustGrant(t, ctx, direct, "c1", "alice", role.ID)
	want := storetest.MustRevision(t, ctx, direct)
	// Let the poller start a catch-up that stalls.
	time.Sleep(500 * time.Millisecond)

	for _, x := range indexes {
		ix := x.ix
		if got := ix.Revision(); got >= want {
			t.Fatalf("%s: index revision with the database stalled: got %d, want below %d", x.name, got, want)
		}

		// Checks that need no newer revision answer at once, also while
		// another waits for one.
		waiting := make(chan error, 1)
		go func() {
			_, _, err := ix.Allowed(ctx, check, want)
			waiting <- err
		}()
		time.Sleep(50 * time.Millisecond)
		for _, minRev := range []roster.Revision{0, before} {
			var ok bool
			var rev roster.Revision
			var err error
			bounded(t, fmt.Sprintf("%s: Allowed at minRevision %d, stalled", x.name, minRev), 500*time.Millisecond, func() {
				ok, rev, err = ix.Allowed(ctx, check, minRev)
			})
			if err != nil || ok || rev != before {
				t.Errorf("%s: Allowed at minRevision %d, stalled: got %v at revision %d, %v; want denied at %d", x.name, minRev, ok, rev, err, before)
			}
			var oks []bool
			bounded(t, fmt.Sprintf("%s: Check at minRevision %d, stalled", x.name, minRev), 500*time.Millisecond, func() {
				oks, rev, err = ix.Check(ctx, []roster.Check{check, check}, minRev)
			})
			if err != nil || fmt.Sprint(oks) != "[false false]" || rev != before {
				t.Errorf("%s: Check at minRevision %d, stalled: got %v at revision %d, %v; want [false false] at %d", x.name, minRev, oks, rev, err, before)
			}
		}
		var err error
		bounded(t, fmt.Sprintf("%s: Allowed at minRevision %d beside other checks, stalled", x.name, want), wait+3*time.Second, func() {
			err = <-waiting
		})
		if code := roster.ErrorCode(err); code != roster.EREVISIONNOTREADY {
			t.Errorf("%s: Allowed at minRevision %d beside other checks, stalled: got %v (code %q), want code %q", x.name, want, err, code, roster.EREVISIONNOTREADY)
		}

		// A check asking for the new revision fails once the wait ends.
		took := bounded(t, fmt.Sprintf("%s: Allowed at minRevision %d, stalled", x.name, want), wait+3*time.Second, func() {
			_, _, err = ix.Allowed(ctx, check, want)
		})
		if code := roster.ErrorCode(err); code != roster.EREVISIONNOTREADY {
			t.Errorf("%s: Allowed at minRevision %d, stalled: got %v (code %q), want code %q", x.name, want, err, code, roster.EREVISIONNOTREADY)
		}
		t.Logf("%s: a check at revision %d, the database stalled, answered in %v: %v", x.name, want, took.Round(time.Millisecond), err)

		// Or once the caller's deadline, shorter than the wait, ends.
		bounded(t, fmt.Sprintf("%s: Allowed at minRevision %d with a 300 ms deadline, stalled", x.name, want), time.Second, func() {
			cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
			defer cancel()
			_, _, err = ix.Allowed(cctx, check, want)
		})
		if code := roster.ErrorCode(err); code != roster.EREVISIONNOTREADY {
			t.Errorf("%s: Allowed at minRevision %d with a 300 ms deadline, stalled: got %v (code %q), want code %q", x.name, want, err, code, roster.EREVISIONNOTREADY)
		}

		// Ready fails once its context ends.
		bounded(t, fmt.Sprintf("%s: Ready with a 1 s deadline, stalled", x.name), 2*time.Second, func() {
			rctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			err = ix.Ready(rctx)
		})
		if code := roster.ErrorCode(err); code != roster.ENOTREADY {
			t.Errorf("%s: Ready with a 1 s deadline, stalled: got %v (code %q), want code %q", x.name, err, code, roster.ENOTREADY)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	p.flow()
	flowing := time.Now()
	// The following index catches up by itself: its poller, or the
	// notification the listener was holding, reads the log.
	for following.Revision() < want {
		if time.Since(flowing) > 15*time.Second {
			t.Fatalf("following: index revision 15 s after the stall ended: got %d, want %d", following.Revision(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("following: the index reached revision %d %v after the stall ended", want, time.Since(flowing).Round(time.Millisecond))
	for _, x := range indexes {
		for {
			// The lazy index reads the log when a check asks it to.
			var ok bool
			var rev roster.Revision
			var err error
			bounded(t, fmt.Sprintf("%s: Allowed at minRevision %d after the stall", x.name, want), wait+3*time.Second, func() {
				ok, rev, err = x.ix.Allowed(ctx, check, want)
			})
			if err == nil {
				if !ok || rev < want {
					t.Errorf("%s: Allowed at minRevision %d after the stall: got %v at revision %d; want allowed at %d or later", x.name, want, ok, rev, want)
				}
				break
			}
			if code := roster.ErrorCode(err); code != roster.EREVISIONNOTREADY {
				t.Fatalf("%s: Allowed at minRevision %d after the stall: got %v (code %q), want allowed, or code %q while catching up", x.name, want, err, code, roster.EREVISIONNOTREADY)
			}
			if time.Since(flowing) > 15*time.Second {
				t.Fatalf("%s: Allowed at minRevision %d 15 s after the stall ended: got %v, want allowed", x.name, want, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		var err error
		bounded(t, x.name+": Ready after the stall", 5*time.Second, func() { err = x.ix.Ready(ctx) })
		if err != nil {
			t.Errorf("%s: Ready after the stall: got %v, want nil", x.name, err)
		}
	}
	t.Logf("the indexes answered at revision %d %v after the stall ended", want, time.Since(flowing).Round(time.Millisecond))
}

// bounded runs fn and returns how long it took, or fails the test when fn
// has not returned within limit: held by the stalled database, it is left
// to end when the test does.
func bounded(t *testing.T, what string, limit time.Duration, fn func()) time.Duration {
	t.Helper()
	began := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
		return time.Since(began)
	case <-time.After(limit):
		t.Fatalf("%s: no answer after %v, want one within %v", what, time.Since(began).Round(time.Millisecond), limit)
		return 0
	}
}

// proxiedStores opens two stores on one new PostgreSQL database: direct,
// connected to it, and proxied, connected through the proxy it returns.
// They close when the test ends, before the proxy does.
func proxiedStores(t *testing.T) (p *proxy, direct, proxied *sqlstore.DB) {
	t.Helper()
	dsn := sqltest.Postgres.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("the test database's URL: %v", err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	p = startProxy(t, net.JoinHostPort(u.Hostname(), port))
	u.Host = p.addr()
	ctx := storetest.AsKey(t.Context())

	direct, err = sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("sqlstore.Open (direct): %v", err)
	}
	t.Cleanup(func() { direct.Close() })
	proxied, err = sqlstore.Open(ctx, u.String(), sqlstore.Options{})
	if err != nil {
		t.Fatalf("sqlstore.Open (through the proxy): %v", err)
	}
	t.Cleanup(func() { proxied.Close() })
	return p, direct, proxied
}

// withoutHooks is a store's change log that never calls an index back, so
// that only polling moves it.
type withoutHooks struct{ *sqlstore.DB }

func (withoutHooks) OnCommit(func(roster.Revision, []roster.Event)) {}
