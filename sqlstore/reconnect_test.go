package sqlstore_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sync"
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
	sqltest.Postgres.Require(t)
	for _, tc := range []struct {
		name   string
		notify bool
		poll   time.Duration
	}{
		{"listener", true, time.Hour},
		{"polling", false, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) { reconnects(t, tc.notify, tc.poll) })
	}
}

func reconnects(t *testing.T, notify bool, poll time.Duration) {
	dsn := sqltest.Postgres.DSN(t)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("the test database's URL: %v", err)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	p := startProxy(t, net.JoinHostPort(u.Hostname(), port))
	u.Host = p.addr()
	ctx := storetest.AsKey(t.Context())

	direct, err := sqlstore.Open(ctx, dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("sqlstore.Open (direct): %v", err)
	}
	t.Cleanup(func() { direct.Close() })
	proxied, err := sqlstore.Open(ctx, u.String(), sqlstore.Options{})
	if err != nil {
		t.Fatalf("sqlstore.Open (through the proxy): %v", err)
	}
	t.Cleanup(func() { proxied.Close() })

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

	_, _, rev, err := proxied.AddMember(ctx, "c1", "bob", nil)
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
		_, _, _, err := proxied.AddMember(wctx, "c1", "carol", nil)
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

// withoutHooks is a store's change log that never calls an index back, so
// that only polling moves it.
type withoutHooks struct{ *sqlstore.DB }

func (withoutHooks) OnCommit(func(roster.Revision)) {}

// proxy forwards TCP connections to a target until it is taken down: it
// then closes every connection, and closes new ones on arrival, until it is
// brought up again.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	off   bool
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.down()
		p.wg.Wait()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			continue
		}
		p.wg.Go(func() { p.forward(c) })
	}
}

// track records an open connection, or closes it when the proxy is down.
func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.off {
		c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *proxy) forward(c net.Conn) {
	defer p.drop(c)
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil || !p.track(s) {
		return
	}
	defer p.drop(s)
	done := make(chan struct{})
	go func() {
		io.Copy(s, c)
		s.Close()
		close(done)
	}()
	io.Copy(c, s)
	c.Close()
	<-done
}

func (p *proxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// down closes every connection and refuses new ones.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// up accepts connections again.
func (p *proxy) up() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.off = false
}
