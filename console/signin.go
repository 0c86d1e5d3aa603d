package console

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

func (c *Console) signinPage(w http.ResponseWriter, r *http.Request) {
	c.render(w, http.StatusOK, "signin.html", page{Title: "Sign in", Data: c.opt.Tokens != nil})
}

// signin starts a session for an API key, or for a user token when the
// server takes them.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	credential := strings.TrimSpace(r.PostFormValue("credential"))
	key, actor, err := c.authenticate(r, credential)
	if err == nil {
		// The console reads: a key that may only check cannot sign in.
		_, err = c.admitted(r, &session{key: key, actor: actor}, "listCommunities", "")
	}
	if err != nil {
		msg, code := c.refusal(err)
		c.render(w, http.StatusUnauthorized, "signin.html", page{Title: "Sign in", Error: msg, ErrorCode: code, Data: c.opt.Tokens != nil})
		return
	}
	c.sessions.start(w, r, credential, key, actor)
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}

// authenticate returns the key and the actor a credential makes.
func (c *Console) authenticate(r *http.Request, credential string) (roster.APIKey, roster.Actor, error) {
	if credential == "" {
		return roster.APIKey{}, roster.Actor{}, roster.Errorf(roster.EUNAUTHENTICATED, "enter an API key or a user token")
	}
	if c.opt.Tokens != nil && roster.IsUserToken(credential) {
		t, err := c.opt.Tokens.VerifyToken(r.Context(), credential)
		if err != nil {
			return roster.APIKey{}, roster.Actor{}, err
		}
		key, err := authz.TokenKey(t, "")
		return key, key.Actor(t.UserID), err
	}
	key, err := c.svc.Authenticate(r.Context(), credential)
	return key, key.Actor(""), err
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request, _ *session) {
	c.sessions.end(w, r)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}
