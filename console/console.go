// Package console is Roster's web console for community managers: pages
// rendered on the server from embedded templates, signed in with an API key
// or the host platform's user token. It is a front: each action calls the
// same service method the API does, admitted by the same decision
// (authz.Admit of the same operation), and shows a refusal's message.
package console

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Options configure the console.
type Options struct {
	// Tokens verifies user tokens; without it only API keys sign in.
	Tokens roster.TokenVerifier
	// Feed serves the audit page's new events as they come; without it
	// the page asks again every few seconds.
	Feed roster.ChangeFeed
	// Idle ends a session unused this long; 30 minutes when zero.
	Idle time.Duration
	// Now is the clock; time.Now when nil.
	Now roster.Clock
	// Log is where failures are told; slog.Default when nil.
	Log *slog.Logger
}

// Console serves the console under /console.
type Console struct {
	svc      roster.Service
	opt      Options
	sessions *sessions
	pages    *template.Template
	mux      *http.ServeMux
	// guarded is mux behind the cross-origin protection.
	guarded http.Handler
}

// maxForm bounds a form's body: a thousand user ids of the longest.
const maxForm = 256 << 10

// funcs are the templates' own functions.
var funcs = template.FuncMap{
	"list":     func(v ...string) []string { return v },
	"category": roster.PermissionCategory,
	// page makes the change page the audit rows render.
	"page": func(events []roster.Event, next roster.Revision) roster.ChangePage {
		return roster.ChangePage{Events: events, Next: next}
	},
}

// csp is the console's Content-Security-Policy: its own scripts, styles
// and images alone, no inline script, never framed.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// New returns the console over the service.
func New(svc roster.Service, opt Options) *Console {
	if opt.Idle == 0 {
		opt.Idle = 30 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	c := &Console{svc: svc, opt: opt, sessions: &sessions{byID: map[string]*session{}, idle: opt.Idle, now: opt.Now},
		pages: template.Must(template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")), mux: http.NewServeMux()}
	static, _ := fs.Sub(staticFiles, "static")
	c.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /console/signin", c.signinPage)
	c.mux.HandleFunc("POST /console/signin", c.signin)
	c.mux.HandleFunc("POST /console/signout", c.signedIn(c.signout))
	c.mux.HandleFunc("GET /console/{$}", c.signedIn(c.communities))
	c.mux.HandleFunc("POST /console/communities", c.signedIn(c.createCommunity))
	c.mux.HandleFunc("GET /console/communities/{communityId}", c.signedIn(c.roles))
	c.mux.HandleFunc("POST /console/communities/{communityId}/roles", c.signedIn(c.createRole))
	c.mux.HandleFunc("POST /console/communities/{communityId}/roles/order", c.signedIn(c.reorderRoles))
	c.mux.HandleFunc("GET /console/communities/{communityId}/roles/{roleId}", c.signedIn(c.role))
	c.mux.HandleFunc("POST /console/communities/{communityId}/roles/{roleId}", c.signedIn(c.updateRole))
	c.mux.HandleFunc("POST /console/communities/{communityId}/roles/{roleId}/delete", c.signedIn(c.deleteRole))
	c.mux.HandleFunc("GET /console/communities/{communityId}/channels", c.signedIn(c.channels))
	c.mux.HandleFunc("POST /console/communities/{communityId}/channels", c.signedIn(c.putChannel))
	c.mux.HandleFunc("GET /console/communities/{communityId}/channels/{channelId}", c.signedIn(c.channel))
	c.mux.HandleFunc("POST /console/communities/{communityId}/channels/{channelId}/overwrites", c.signedIn(c.setOverwrite))
	c.mux.HandleFunc("POST /console/communities/{communityId}/channels/{channelId}/delete", c.signedIn(c.deleteChannel))
	c.mux.HandleFunc("GET /console/communities/{communityId}/view-as", c.signedIn(c.viewAs))
	c.mux.HandleFunc("GET /console/permissions", c.signedIn(c.permissions))
	c.mux.HandleFunc("POST /console/permissions", c.signedIn(c.createPermission))
	c.mux.HandleFunc("POST /console/permissions/{key}/delete", c.signedIn(c.deletePermission))
	c.mux.HandleFunc("GET /console/keys", c.signedIn(c.keys))
	c.mux.HandleFunc("POST /console/keys", c.signedIn(c.createKey))
	c.mux.HandleFunc("POST /console/keys/{keyId}/revoke", c.signedIn(c.revokeKey))
	c.mux.HandleFunc("GET /console/webhooks", c.signedIn(c.webhooks))
	c.mux.HandleFunc("POST /console/webhooks", c.signedIn(c.createWebhook))
	c.mux.HandleFunc("POST /console/webhooks/{webhookId}", c.signedIn(c.changeWebhook))
	c.mux.HandleFunc("GET /console/communities/{communityId}/audit", c.signedIn(c.audit))
	c.mux.HandleFunc("GET /console/communities/{communityId}/audit/live", c.watching(c.auditLive))
	c.mux.HandleFunc("GET /console/communities/{communityId}/members", c.signedIn(c.members))
	c.mux.HandleFunc("POST /console/communities/{communityId}/members/add", c.signedIn(c.addMembers))
	c.mux.HandleFunc("POST /console/communities/{communityId}/members/batch", c.signedIn(c.batchRoles))
	c.mux.HandleFunc("GET /console/communities/{communityId}/members/{userId}", c.signedIn(c.member))
	c.mux.HandleFunc("POST /console/communities/{communityId}/members/{userId}/roles", c.signedIn(c.addRole))
	c.mux.HandleFunc("POST /console/communities/{communityId}/members/{userId}/roles/{roleId}/remove", c.signedIn(c.removeRole))
	c.mux.HandleFunc("POST /console/communities/{communityId}/members/{userId}/remove", c.signedIn(c.removeMember))
	c.mux.HandleFunc("POST /console/communities/{communityId}/members/{userId}/name", c.signedIn(c.renameMember))
	c.guarded = c.crossOrigin().Handler(c.mux)
	return c
}

// crossOrigin refuses a state-changing request another site's page sent
// (Sec-Fetch-Site, or Origin against Host), with the console's own page.
func (c *Console) crossOrigin() *http.CrossOriginProtection {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.render(w, http.StatusForbidden, "error.html", page{Title: "Refused",
			Error: "This form was sent from another site. Open the console and try again there.", ErrorCode: "cross_origin"})
	}))
	return p
}

// ServeHTTP serves a console request, with the console's security headers;
// a form posted from another site (sign-in too) is refused.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if r.URL.Path == "/console" {
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	c.guarded.ServeHTTP(w, r)
}

// page is what every page's template gets.
type page struct {
	Title string
	// Actor is who is signed in; CSRF the token of their forms.
	Actor roster.Actor
	CSRF  string
	// Keys and Webhooks are true when the session's key may administer
	// them: the admin scope, for all communities (keys) or one (webhooks).
	Keys, Webhooks bool
	// Community is the community the page is of, for its navigation.
	Community *roster.Community
	// Error is a refusal to show, with its code; Notice what the last
	// changes did.
	Error, ErrorCode, Notice string
	Data                     any
}

// newPage is a page of the session, showing a refusal when there is one.
func (c *Console) newPage(ss *session, title string, refused error) page {
	p := page{Title: title, Actor: ss.actor, CSRF: ss.csrf, Notice: ss.takeNotice(outcomes...)}
	// The links of the pages the key is admitted to, as the API decides.
	may := func(op string) bool {
		return authz.Admit(authz.AdmitFacts{Key: ss.key, Op: authz.Operations[op], ActAs: ss.actor.UserID}) == nil
	}
	p.Keys, p.Webhooks = may("listAPIKeys"), may("listWebhooks")
	if refused != nil {
		p.Error, p.ErrorCode = c.refusal(refused)
	}
	return p
}

// failed renders a page that could not be read: the refusal alone.
func (c *Console) failed(w http.ResponseWriter, ss *session, err error) {
	p := c.newPage(ss, "Refused", err)
	if refusedStatus(err) == http.StatusNotFound {
		p.Title = "Not found"
	}
	c.render(w, refusedStatus(err), "error.html", p)
}

// render writes a page, or a part of one, of the template.
func (c *Console) render(w http.ResponseWriter, status int, name string, p any) {
	var b strings.Builder
	if err := c.pages.ExecuteTemplate(&b, name, p); err != nil {
		c.opt.Log.Error("console: rendering a page", "page", name, "err", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

// signedIn serves handlers that need a session: without one the browser
// goes to sign in; a change without its session's CSRF token is refused.
func (c *Console) signedIn(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return c.inSession(h, true)
}

// watching serves what a page asks by itself (the audit log's new rows):
// as signedIn, but it does not keep an idle session alive.
func (c *Console) watching(h func(http.ResponseWriter, *http.Request, *session)) http.HandlerFunc {
	return c.inSession(h, false)
}

func (c *Console) inSession(h func(http.ResponseWriter, *http.Request, *session), touch bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ss, due := c.sessions.of(r, touch)
		if ss != nil && due {
			switch _, _, err := c.authenticate(r, ss.credential); roster.ErrorCode(err) {
			case "":
			case roster.EUNAUTHENTICATED, roster.EINSUFFICIENTSCOPE, roster.EAPIKEYREVOKED:
				c.sessions.end(w, r) // the key was revoked, or the token expired
				ss = nil
			default: // the database is away: check again at the next request
				c.sessions.recheck(ss)
				c.opt.Log.Warn("console: a session's credential could not be checked", "err", err)
			}
		}
		if ss == nil {
			http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			var tooLarge *http.MaxBytesError
			if err := r.ParseForm(); errors.As(err, &tooLarge) {
				c.render(w, http.StatusRequestEntityTooLarge, "error.html", page{Title: "Refused", Actor: ss.actor,
					Error: fmt.Sprintf("This form holds more than %d KB: send it in parts.", maxForm>>10), ErrorCode: roster.EBODYTOOLARGE})
				return
			}
			if !ss.validCSRF(r) {
				c.render(w, http.StatusForbidden, "error.html", page{Title: "Refused", Actor: ss.actor,
					Error: "This form has expired or did not come from this console. Go back, reload the page and try again.", ErrorCode: "csrf"})
				return
			}
		}
		h(w, r, ss)
	}
}

// admitted returns the context of an action of the session, if its key
// may do the operation in the community (as the API decides).
func (c *Console) admitted(r *http.Request, ss *session, op, community string) (context.Context, error) {
	if err := authz.Admit(authz.AdmitFacts{Key: ss.key, Op: authz.Operations[op], Community: community, ActAs: ss.actor.UserID}); err != nil {
		return nil, err
	}
	return roster.NewContext(r.Context(), ss.actor), nil
}

// refusal returns what a page shows of an error: a roster.Error's message
// and code, and nothing of any other (which is logged).
func (c *Console) refusal(err error) (string, string) {
	var e *roster.Error
	if errors.As(err, &e) {
		msg := e.Message
		if len(e.Fields) > 1 {
			var each []string
			for i, f := range e.Fields {
				if i == 5 {
					each = append(each, fmt.Sprintf("and %d more", len(e.Fields)-i))
					break
				}
				each = append(each, f.Location+": "+f.Message)
			}
			msg += ": " + strings.Join(each, "; ")
		}
		return msg, e.Code
	}
	c.opt.Log.Error("console: an action failed", "err", err)
	return "Something went wrong on the server; try again.", roster.EINTERNAL
}
