package console_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/console"
	"github.com/rosterhq/roster/index"
	"github.com/rosterhq/roster/jwtauth"
	"github.com/rosterhq/roster/jwtauth/jwttest"
	"github.com/rosterhq/roster/sqlstore"
	"github.com/rosterhq/roster/sqlstore/sqltest"
)

func TestMain(m *testing.M) { os.Exit(sqltest.Main(m)) }

// browser is a client with its own cookies that follows no redirect.
type browser struct {
	base   string
	client *http.Client
	t      *testing.T
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{base: base, t: t, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a request and returns its status, Location and body.
func (b *browser) do(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req, _ = http.NewRequest(method, b.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req, _ = http.NewRequest(method, b.base+path, nil)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 64<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp, sb.String()
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the page's forms.
func (b *browser) csrf(body string) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("the page has no CSRF token:\n%s", body)
	}
	return m[1]
}

type clock struct {
	mu    sync.Mutex
	ahead time.Duration
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.ahead) }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.ahead += d
	c.mu.Unlock()
}

// mustConsole serves a console over a new SQLite database for the test,
// and returns its server, the database and its admin key's secret.
func mustConsole(t *testing.T, opt console.Options) (*httptest.Server, *sqlstore.DB, string) {
	t.Helper()
	db := sqltest.SQLite.Open(t, sqlstore.Options{})
	svc, admin := mustService(t, db)
	srv := httptest.NewServer(console.New(svc, opt))
	t.Cleanup(srv.Close)
	return srv, db, admin
}

// mustService makes sure the database has an admin key and returns the
// service over it, with its index, and that key's secret.
func mustService(tb testing.TB, db *sqlstore.DB) (roster.Service, string) {
	tb.Helper()
	ctx := context.Background()
	admin, err := db.EnsureBootstrapKey(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	ix, err := index.Open(ctx, db, index.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	return index.NewService(db, ix), admin
}

func TestConsoleSignInAndCommunities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	secret := []byte("a shared secret of thirty-two bytes or more")
	tokens, err := jwtauth.New(ctx, jwtauth.Options{Issuer: "https://platform.example", Audience: "roster", HS256Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{}
	srv, db, admin := mustConsole(t, console.Options{Tokens: tokens, Now: clk.now})
	sys := roster.NewContext(ctx, roster.SystemActor)
	checker, _, err := db.CreateAPIKey(sys, roster.APIKey{Name: "checks", Scopes: []string{roster.ScopeCheck}})
	if err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, srv.URL)
	if resp, _ := b.do("GET", "/console/", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/signin" {
		t.Fatalf("the console without a session: got %d to %q, want 303 to /console/signin", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := b.do("GET", "/console/signin", nil)
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy: got %q, want a strict one", csp)
	}
	if !strings.Contains(body, `name="credential"`) || strings.Contains(body, "<script>") {
		t.Errorf("the sign-in page: got %s", body)
	}
	for _, tc := range []struct{ credential, want string }{
		{"not-a-key", "unauthenticated"}, {checker.Secret, "insufficient_scope"}, {"", "unauthenticated"},
		{jwttest.NewSigner(t, jwa.HS256(), "", []byte("another secret, thirty-two bytes long!!")).Sign(t, jwttest.Claims("https://platform.example", "roster", "alice", time.Now())), "unauthenticated"},
	} {
		if resp, body := b.do("POST", "/console/signin", url.Values{"credential": {tc.credential}}); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `data-code="`+tc.want+`"`) {
			t.Errorf("signing in with %.20q: got %d, want 401 showing %s:\n%s", tc.credential, resp.StatusCode, tc.want, body)
		}
	}

	// An operator signs in with the admin key.
	resp, _ = b.do("POST", "/console/signin", url.Values{"credential": {admin}})
	cookie := resp.Header.Get("Set-Cookie")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") || !strings.Contains(cookie, "Path=/console") {
		t.Fatalf("signing in: got %d, cookie %q; want 303 and an HttpOnly, SameSite=Strict cookie", resp.StatusCode, cookie)
	}
	_, body = b.do("GET", "/console/", nil)
	token := b.csrf(body)
	if resp, _ := b.do("POST", "/console/communities", url.Values{"name": {"Guild"}, "id": {"guild"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a create without its CSRF token: got %d, want 403", resp.StatusCode)
	}
	if resp, _ := b.do("POST", "/console/communities", url.Values{"name": {"Guild"}, "id": {"guild"}, "csrf": {"forged"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a create with a forged CSRF token: got %d, want 403", resp.StatusCode)
	}
	if _, err := db.FindCommunity(sys, "guild"); roster.ErrorCode(err) != roster.ECOMMUNITYNOTFOUND {
		t.Fatalf("after refused creates: got %v, want no community", err)
	}
	if resp, _ := b.do("POST", "/console/communities", url.Values{"name": {"Guild"}, "id": {"guild"}, "csrf": {token}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: got %d, want 303", resp.StatusCode)
	}
	if _, body = b.do("GET", "/console/", nil); !strings.Contains(body, "<code>guild</code>") {
		t.Errorf("the list after a create: got\n%s", body)
	}
	if _, body = b.do("GET", "/console/?q=GUI", nil); !strings.Contains(body, "<code>guild</code>") {
		t.Errorf("a search for GUI: got\n%s", body)
	}
	if _, body = b.do("GET", "/console/?q=%3Cb%3E", nil); strings.Contains(body, "<code>guild</code>") || !strings.Contains(body, "No community matches “&lt;b&gt;”") {
		t.Errorf("a search for <b>: got\n%s", body)
	}
	// Bad input is refused on the page, naming what is wrong.
	for _, form := range []url.Values{{"name": {""}}, {"name": {"Bad"}, "id": {"a b"}}, {"name": {strings.Repeat("n", 101)}}} {
		form.Set("csrf", token)
		if resp, body := b.do("POST", "/console/communities", form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="validation_failed"`) {
			t.Errorf("create with %v: got %d, want the validation refusal inline\n%s", form, resp.StatusCode, body)
		}
	}
	if resp, body := b.do("GET", "/console/?q="+strings.Repeat("q", 101), nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `data-code="validation_failed"`) {
		t.Errorf("a search too long: got %d\n%s", resp.StatusCode, body)
	}
	if resp, _ := b.do("GET", "/console/communities/bad%20id", nil); resp.StatusCode >= 500 {
		t.Errorf("the page of a malformed community id: got %d", resp.StatusCode)
	}

	// Its page lists its roles from the top, with their colours.
	red := "#ff0000"
	if _, _, err := db.CreateRole(sys, "guild", roster.Role{Name: "Mods", Colour: &red, Permissions: []string{}}); err != nil {
		t.Fatal(err)
	}
	resp, body = b.do("GET", "/console/communities/guild", nil)
	top, mods, everyone := strings.Index(body, ">admin</a>"), strings.Index(body, ">Mods</a>"), strings.Index(body, ">everyone</a>")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<h1>Guild</h1>") || !(0 <= top && top < mods && mods < everyone) || !strings.Contains(body, `fill="#ff0000"`) {
		t.Errorf("guild's page: got %d, want admin, Mods (red), everyone\n%s", resp.StatusCode, body)
	}
	if resp, body := b.do("GET", "/console/communities/nowhere", nil); resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `data-code="community_not_found"`) {
		t.Errorf("a page of no community: got %d\n%s", resp.StatusCode, body)
	}
	resp, body = b.do("POST", "/console/communities", url.Values{"name": {"Again"}, "id": {"guild"}, "csrf": {token}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="community_exists"`) || !strings.Contains(body, `value="Again"`) {
		t.Errorf("a create refused: got %d, want the refusal inline and the form kept:\n%s", resp.StatusCode, body)
	}

	// A user signs in with a token; what they may not do is refused.
	u := newBrowser(t, srv.URL)
	alice := jwttest.NewSigner(t, jwa.HS256(), "", secret).Sign(t, jwttest.Claims("https://platform.example", "roster", "alice", time.Now()))
	if resp, _ := u.do("POST", "/console/signin", url.Values{"credential": {alice}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in with a user token: got %d, want 303", resp.StatusCode)
	}
	_, body = u.do("GET", "/console/", nil)
	if !strings.Contains(body, "Signed in as alice") {
		t.Errorf("a user's page: got\n%s", body)
	}
	if resp, body := u.do("POST", "/console/communities", url.Values{"name": {"Mine"}, "csrf": {u.csrf(body)}}); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `data-code="missing_permission"`) {
		t.Errorf("a user without CREATE_COMMUNITY creating one: got %d:\n%s", resp.StatusCode, body)
	}

	// A revoked key's session ends at its next check.
	spare, _, err := db.CreateAPIKey(sys, roster.APIKey{Name: "spare admin", Scopes: []string{roster.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	k := newBrowser(t, srv.URL)
	k.do("POST", "/console/signin", url.Values{"credential": {spare.Secret}})
	if resp, _ := k.do("GET", "/console/", nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("signed in with the spare key: got %d, want 200", resp.StatusCode)
	}
	if _, err := db.RevokeAPIKey(sys, spare.ID); err != nil {
		t.Fatal(err)
	}
	clk.advance(11 * time.Second)
	if resp, _ := k.do("GET", "/console/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the session of a revoked key: got %d, want 303 to sign in", resp.StatusCode)
	}

	// A session ends when idle, and at sign-out.
	clk.advance(31 * time.Minute)
	if resp, _ := u.do("GET", "/console/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an idle session: got %d, want 303 to sign in", resp.StatusCode)
	}
	b.do("POST", "/console/signin", url.Values{"credential": {admin}})
	_, body = b.do("GET", "/console/", nil)
	if resp, _ := b.do("POST", "/console/signout", url.Values{"csrf": {b.csrf(body)}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-out: got %d, want 303", resp.StatusCode)
	}
	if resp, _ := b.do("GET", "/console/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: got %d, want 303 to sign in", resp.StatusCode)
	}
}
