package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/rosterhq/roster"
)

// keysData is the API keys page's.
type keysData struct {
	Keys []roster.APIKey
	Next string
	// Created is the key just created, whose secret is shown this once.
	Created *roster.APIKey
	// Form is what a refused create form held.
	Form url.Values
}

// keys lists the API keys, with the form to create one.
func (c *Console) keys(w http.ResponseWriter, r *http.Request, ss *session) {
	c.keysPage(w, r, ss, http.StatusOK, keysData{}, nil)
}

func (c *Console) keysPage(w http.ResponseWriter, r *http.Request, ss *session, status int, d keysData, refused error) {
	p := c.newPage(ss, "API keys", refused)
	ctx, err := c.admitted(r, ss, "listAPIKeys", "")
	if err == nil {
		d.Keys, d.Next, err = c.svc.ListAPIKeys(ctx, roster.Page{Limit: roster.DefaultPageLimit, Cursor: r.URL.Query().Get("cursor")})
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	p.Data = d
	c.render(w, status, "keys.html", p)
}

// createKey creates a key and shows its secret, once: the page answers
// the form rather than redirecting, and is never cached.
func (c *Console) createKey(w http.ResponseWriter, r *http.Request, ss *session) {
	f := r.PostForm
	k := roster.APIKey{Name: f.Get("name"), Scopes: f["scope"], ActAs: f.Get("actAs") != ""}
	if cid := strings.TrimSpace(f.Get("communityId")); cid != "" {
		k.CommunityID = &cid
	}
	ctx, err := c.admitted(r, ss, "createAPIKey", "")
	if err == nil {
		k.ExpiresAt, err = localTime("expiresAt", f.Get("expires"), f.Get("tz"))
	}
	if err == nil {
		k, _, err = c.svc.CreateAPIKey(ctx, k)
	}
	if err != nil {
		c.keysPage(w, r, ss, refusedStatus(err), keysData{Form: f}, err)
		return
	}
	c.keysPage(w, r, ss, http.StatusCreated, keysData{Created: &k}, nil)
}

// revokeKey revokes a key.
func (c *Console) revokeKey(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("keyId")
	ctx, err := c.admitted(r, ss, "revokeAPIKey", "")
	if err == nil {
		_, err = c.svc.RevokeAPIKey(ctx, id)
	}
	if err != nil {
		c.keysPage(w, r, ss, refusedStatus(err), keysData{}, err)
		return
	}
	ss.tell("Key " + id + " was revoked.")
	http.Redirect(w, r, "/console/keys", http.StatusSeeOther)
}

// webhooksData is the webhooks page's.
type webhooksData struct {
	Webhooks []roster.Webhook
	Next     string
	// Created is the webhook just created (or whose secret was rotated),
	// its secret shown this once.
	Created *roster.Webhook
	Form    url.Values
}

// webhooks lists the webhooks, with the form to create one.
func (c *Console) webhooks(w http.ResponseWriter, r *http.Request, ss *session) {
	c.webhooksPage(w, r, ss, http.StatusOK, webhooksData{}, nil)
}

func (c *Console) webhooksPage(w http.ResponseWriter, r *http.Request, ss *session, status int, d webhooksData, refused error) {
	p := c.newPage(ss, "Webhooks", refused)
	ctx, err := c.admitted(r, ss, "listWebhooks", "")
	if err == nil {
		d.Webhooks, d.Next, err = c.svc.ListWebhooks(ctx, roster.Page{Limit: roster.MaxWebhooks, Cursor: r.URL.Query().Get("cursor")})
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	p.Data = d
	c.render(w, status, "webhooks.html", p)
}

// createWebhook creates a webhook and shows its signing secret, once.
func (c *Console) createWebhook(w http.ResponseWriter, r *http.Request, ss *session) {
	f := r.PostForm
	hook := roster.Webhook{Enabled: true, URL: strings.TrimSpace(f.Get("url")), Description: f.Get("description"), Events: strings.Fields(strings.ReplaceAll(f.Get("events"), ",", " "))}
	cid := strings.TrimSpace(f.Get("communityId"))
	if cid != "" {
		hook.CommunityID = &cid
	}
	if hook.Events == nil {
		hook.Events = []string{}
	}
	ctx, err := c.admitted(r, ss, "createWebhook", cid)
	if err == nil {
		hook, _, err = c.svc.CreateWebhook(ctx, hook)
	}
	if err != nil {
		c.webhooksPage(w, r, ss, refusedStatus(err), webhooksData{Form: f}, err)
		return
	}
	c.webhooksPage(w, r, ss, http.StatusCreated, webhooksData{Created: &hook}, nil)
}

// changeWebhook enables, disables, rotates the secret of or deletes a
// webhook, as the form's action says.
func (c *Console) changeWebhook(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("webhookId")
	action := r.PostFormValue("action")
	op := map[string]string{"enable": "updateWebhook", "disable": "updateWebhook", "rotate": "rotateWebhookSecret", "delete": "deleteWebhook"}[action]
	if op == "" {
		c.webhooksPage(w, r, ss, http.StatusUnprocessableEntity, webhooksData{}, roster.Invalid(roster.FieldError{Location: "action", Message: "must be enable, disable, rotate or delete", Value: action}))
		return
	}
	ctx, err := c.admitted(r, ss, op, "")
	var hook roster.Webhook
	if err == nil {
		switch action {
		case "enable", "disable":
			_, _, err = c.svc.UpdateWebhook(ctx, id, roster.WebhookUpdate{Enabled: ptr(action == "enable")})
		case "rotate":
			hook, _, err = c.svc.RotateWebhookSecret(ctx, id)
		case "delete":
			_, err = c.svc.DeleteWebhook(ctx, id)
		}
	}
	switch {
	case err != nil:
		c.webhooksPage(w, r, ss, refusedStatus(err), webhooksData{}, err)
	case action == "rotate":
		c.webhooksPage(w, r, ss, http.StatusOK, webhooksData{Created: &hook}, nil)
	default:
		ss.tell("Webhook " + id + ": " + action + "d.")
		http.Redirect(w, r, "/console/webhooks", http.StatusSeeOther)
	}
}
