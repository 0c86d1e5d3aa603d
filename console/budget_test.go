package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/console"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

// The console's page budgets, from its issue: every page, for a community
// at its largest, sends at most pageBytesBudget bytes (300 KB, read
// strictly as 300,000 bytes) in at most pageTimeBudget of server time.
const (
	pageBytesBudget = 300_000
	pageTimeBudget  = 150 * time.Millisecond
)

// The largest community the budgets hold for: bigMembers members, the most
// roles a community may have, and each member holding bigHeld of them
// besides one held by all.
const (
	bigMembers = 10_000
	bigHeld    = 3
)

// bigCommunity is what seedBigCommunity made.
type bigCommunity struct {
	id string
	// popular is the role every member holds; member is one member.
	popular, member string
}

// seedBigCommunity fills a community at its largest through the store's
// batch calls: bigMembers members, roster.MaxRolesPerScope roles (the two
// built-ins and the rest created, some coloured), and each block of
// roster.MaxBatch members holding bigHeld roles of their own and the
// popular one, which all hold.
func seedBigCommunity(tb testing.TB, db *sqlstore.DB) bigCommunity {
	tb.Helper()
	sys := roster.NewContext(context.Background(), roster.SystemActor)
	big := bigCommunity{id: "big"}
	owner := "owner"
	if _, _, err := db.CreateCommunity(sys, roster.Community{ID: big.id, Name: "Big Community", OwnerID: &owner}); err != nil {
		tb.Fatal(err)
	}
	perms := []string{roster.PermSendMessages, roster.PermAddReactions, roster.PermAttachFiles, roster.PermCreatePost, roster.PermViewChannel}
	var roles []string
	for i := range roster.MaxRolesPerScope - 2 {
		r := roster.Role{Name: fmt.Sprintf("Role %03d of the guild", i), Description: "A role of the big community, for the page budgets.",
			Permissions: perms[:i%len(perms)]}
		if i%3 == 0 {
			colour := fmt.Sprintf("#%02x%02x%02x", i, 255-i, (i*37)%256)
			r.Colour = &colour
		}
		role, _, err := db.CreateRole(sys, big.id, r)
		if err != nil {
			tb.Fatalf("role %d: %v", i, err)
		}
		roles = append(roles, role.ID)
	}
	big.popular = roles[0]
	users := make([]string, bigMembers)
	for i := range users {
		users[i] = fmt.Sprintf("user%05d", i)
	}
	big.member = users[42]
	for i := 0; i < len(users); i += roster.MaxMemberBatch {
		if _, _, err := db.AddMembers(sys, big.id, users[i:min(i+roster.MaxMemberBatch, len(users))]); err != nil {
			tb.Fatal(err)
		}
	}
	if _, _, err := db.PutChannel(sys, roster.Channel{CommunityID: big.id, ID: "general", Name: "general"}); err != nil {
		tb.Fatal(err)
	}
	for _, id := range roles[:20] {
		o := roster.Overwrite{ChannelID: "general", Type: roster.OverwriteRole, ID: id, Allow: []string{roster.PermAttachFiles}, Deny: []string{roster.PermMentionEveryone}}
		if _, _, err := db.SetOverwrite(sys, big.id, o); err != nil {
			tb.Fatal(err)
		}
	}
	for block := 0; block*roster.MaxBatch < len(users); block++ {
		held := []string{big.popular}
		for j := range bigHeld {
			held = append(held, roles[1+(block*bigHeld+j)%(len(roles)-1)])
		}
		ch := roster.Change{Scope: big.id, UserIDs: users[block*roster.MaxBatch : min((block+1)*roster.MaxBatch, len(users))], RoleIDs: held}
		if _, _, err := db.AddRoles(sys, ch); err != nil {
			tb.Fatalf("roles of block %d: %v", block, err)
		}
	}
	return big
}

// meter is a handler that times the requests of the one it wraps and
// counts the bytes of their bodies.
type meter struct {
	h       http.Handler
	mu      sync.Mutex
	n       int
	elapsed time.Duration
	bytes   int64
}

func (m *meter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	cw := &countingWriter{ResponseWriter: w}
	m.h.ServeHTTP(cw, r)
	d := time.Since(start)
	m.mu.Lock()
	m.n++
	m.elapsed += d
	m.bytes += cw.n
	m.mu.Unlock()
}

// reset forgets the requests counted so far.
func (m *meter) reset() {
	m.mu.Lock()
	m.n, m.elapsed, m.bytes = 0, 0, 0
	m.mu.Unlock()
}

// mean returns the mean server time and body size of the requests counted.
func (m *meter) mean() (time.Duration, float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == 0 {
		return 0, 0
	}
	return m.elapsed / time.Duration(m.n), float64(m.bytes) / float64(m.n)
}

type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// budgetServer serves, over loopback, a console holding a big community
// under /console/ and the bare reference under /bare, each through its
// meter, with a session of the admin key.
type budgetServer struct {
	big    bigCommunity
	base   string
	client *http.Client
	cookie *http.Cookie
	// console and bare measure the console and the reference.
	console, bare *meter
}

// bareBody is what the reference sends: the first n bytes of it.
var bareBody = make([]byte, 4*pageBytesBudget)

// newBudgetServer seeds a big community in a new SQLite database, serves
// a console over it and signs in with the admin key.
func newBudgetServer(tb testing.TB) *budgetServer {
	tb.Helper()
	db := sqltest.SQLite.Open(tb, sqlstore.Options{})
	start := time.Now()
	s := &budgetServer{big: seedBigCommunity(tb, db), client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	tb.Logf("seeded %d members and %d roles in %v", bigMembers, roster.MaxRolesPerScope, time.Since(start).Round(time.Millisecond))
	svc, admin := mustService(tb, db)
	s.console = &meter{h: console.New(svc, console.Options{})}
	s.bare = &meter{h: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(bareBody[:min(n, len(bareBody))])
	})}
	mux := http.NewServeMux()
	mux.Handle("/console/", s.console)
	mux.Handle("/bare", s.bare)
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	s.base = srv.URL

	resp, err := s.client.PostForm(s.base+"/console/signin", url.Values{"credential": {admin}})
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == "roster_console" {
			s.cookie = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || s.cookie == nil {
		tb.Fatalf("signing in with the admin key: got %d and cookies %v, want 303 and a session", resp.StatusCode, resp.Cookies())
	}
	return s
}

// pages are the pages of the big community.
func (s *budgetServer) pages() []consolePage {
	return consolePages(s.big.id, s.big.popular, s.big.member, "general")
}

// get fetches a page of the session, failing unless it is served (200).
func (s *budgetServer) get(tb testing.TB, path string) {
	tb.Helper()
	req, err := http.NewRequest("GET", s.base+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.AddCookie(s.cookie)
	resp, err := s.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		tb.Fatalf("GET %s: got %d, %v; want 200", path, resp.StatusCode, err)
	}
}

// TestConsolePageBudgets renders each page of a community at its largest
// once and fails if one sends more than pageBytesBudget bytes. It logs each
// page's size and server time, but does not judge the time, which depends
// on the machine: BenchmarkConsolePages measures it.
func TestConsolePageBudgets(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIPPED under -short: seeding a community of 10,000 members takes a few seconds")
	}
	t.Parallel()
	s := newBudgetServer(t)
	for _, p := range s.pages() {
		s.console.reset()
		s.get(t, p.path)
		took, size := s.console.mean()
		over := ""
		if took > pageTimeBudget {
			over = fmt.Sprintf(" (over the %v budget on this machine, in this run)", pageTimeBudget)
		}
		t.Logf("%-12s %8.0f bytes %10v%s", p.name, size, took.Round(10*time.Microsecond), over)
		if size > pageBytesBudget {
			t.Errorf("the %s page (%s): got %.0f bytes, want at most %d", p.name, p.path, size, pageBytesBudget)
		}
	}
}

// BenchmarkConsolePages serves each page of a community at its largest to
// a signed-in session and reports its size (bytes/page) and server time
// (ms/page), and the ratio of that time to a bare net/http handler's
// sending as many bytes, measured in the same run (x-bare). The budget is
// pageTimeBudget and pageBytesBudget.
func BenchmarkConsolePages(b *testing.B) {
	s := newBudgetServer(b)
	for _, p := range s.pages() {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			s.console.reset()
			s.get(b, p.path) // warm, and the size for the reference
			_, size := s.console.mean()
			bare := "/bare?n=" + strconv.Itoa(int(size))
			s.console.reset()
			for b.Loop() {
				s.get(b, p.path)
			}
			pageTime, pageSize := s.console.mean()
			s.bare.reset()
			for range b.N {
				s.get(b, bare)
			}
			bareTime, _ := s.bare.mean()
			b.ReportMetric(pageSize, "bytes/page")
			b.ReportMetric(float64(pageTime)/float64(time.Millisecond), "ms/page")
			b.ReportMetric(float64(pageTime)/float64(bareTime), "x-bare")
		})
	}
}
