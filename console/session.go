package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
)

// cookieName is the session cookie's.
const cookieName = "roster_console"

// session is one signed-in person: the actor their credential makes, and
// the token each of their changes must carry (CSRF).
type session struct {
	// key is the API key signed in with, or the one a user token is
	// admitted as: what its scopes allow is decided per action.
	key   roster.APIKey
	actor roster.Actor
	csrf  string
	// credential is the key's secret or the token, kept in this process
	// alone, to check again (recheckEvery) that it is still good: a
	// revoked key or an expired token ends the session.
	credential string
	checked    time.Time
	lastSeen   time.Time

	// notice is what the next page tells of the changes made since the
	// last one: a message, and the outcomes of batches counted (a batch
	// the page's script sends in parts adds up here).
	mu     sync.Mutex
	notice string
	tally  map[string]int
}

// recheck has the session's credential checked again at its next request.
func (s *sessions) recheck(ss *session) {
	s.mu.Lock()
	ss.checked = time.Time{}
	s.mu.Unlock()
}

// tell sets the next page's notice.
func (ss *session) tell(msg string) {
	ss.mu.Lock()
	ss.notice = msg
	ss.mu.Unlock()
}

// count adds outcomes of a batch to the next page's notice.
func (ss *session) count(outcomes map[string]int) {
	ss.mu.Lock()
	if ss.tally == nil {
		ss.tally = map[string]int{}
	}
	for o, n := range outcomes {
		ss.tally[o] += n
	}
	ss.mu.Unlock()
}

// takeNotice returns the notice and clears it: the outcomes in the order
// given, then the message.
func (ss *session) takeNotice(order ...string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var parts []string
	for _, o := range order {
		if n := ss.tally[o]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ReplaceAll(o, "_", " ")))
		}
	}
	if len(parts) > 0 {
		parts[len(parts)-1] += "."
	}
	if ss.notice != "" {
		parts = append(parts, ss.notice)
	}
	ss.notice, ss.tally = "", nil
	return strings.Join(parts, ", ")
}

// recheckEvery is how often a session's credential is checked again.
const recheckEvery = 10 * time.Second

// sessions are the sessions of this process, by their id. A session ends
// when it has been idle for idle, or at sign-out.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*session
	idle time.Duration
	now  roster.Clock
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start begins a session for the actor and sets its cookie.
func (s *sessions) start(w http.ResponseWriter, r *http.Request, credential string, key roster.APIKey, actor roster.Actor) {
	id := randomToken()
	s.mu.Lock()
	now := s.now()
	s.byID[id] = &session{key: key, actor: actor, csrf: randomToken(), credential: credential, checked: now, lastSeen: now}
	// Sessions long idle are dropped as new ones start.
	for k, v := range s.byID {
		if s.now().Sub(v.lastSeen) >= s.idle {
			delete(s.byID, k)
		}
	}
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/console", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: overTLS(r)})
}

// of returns the request's session, or nil when it has none or it has
// expired; touch counts the request as the person's activity. due is true
// when its credential is to be checked again.
func (s *sessions) of(r *http.Request, touch bool) (ss *session, due bool) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss = s.byID[c.Value]
	if ss == nil {
		return nil, false
	}
	if now := s.now(); now.Sub(ss.lastSeen) < s.idle {
		if touch {
			ss.lastSeen = now
		}
		if due = now.Sub(ss.checked) >= recheckEvery; due {
			ss.checked = now
		}
		return ss, due
	}
	delete(s.byID, c.Value)
	return nil, false
}

// end ends the request's session and clears its cookie.
func (s *sessions) end(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(cookieName); err == nil {
		s.mu.Lock()
		delete(s.byID, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/console", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// validCSRF reports whether a change carries its session's token.
func (ss *session) validCSRF(r *http.Request) bool {
	return subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(ss.csrf)) == 1
}

// overTLS reports whether the browser reached the console over TLS, here
// or at a proxy in front that says so: then the cookie is Secure. (A
// client that claims https over plain HTTP only loses its own cookie.)
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}
