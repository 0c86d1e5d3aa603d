package console

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
)

// communitiesData is the communities page's.
type communitiesData struct {
	Communities []roster.Community
	Next        string
	// Search is what the list was searched for.
	Search string
	// Name, ID and Owner are what a refused create form held.
	Name, ID, Owner string
}

func (c *Console) communities(w http.ResponseWriter, r *http.Request, ss *session) {
	c.communitiesPage(w, r, ss, http.StatusOK, communitiesData{}, nil)
}

// communitiesPage renders the list, with the create form as it was and the
// refusal of its last submission, if any.
func (c *Console) communitiesPage(w http.ResponseWriter, r *http.Request, ss *session, status int, d communitiesData, refused error) {
	p := c.newPage(ss, "Communities", refused)
	ctx, err := c.admitted(r, ss, "listCommunities", "")
	if err == nil {
		d.Search = strings.TrimSpace(r.URL.Query().Get("q"))
		d.Communities, d.Next, err = c.svc.ListCommunities(ctx, roster.CommunityFilter{Search: d.Search}, roster.Page{Limit: 50, Cursor: r.URL.Query().Get("cursor")})
	}
	if err != nil && refused == nil {
		p.Error, p.ErrorCode = c.refusal(err)
		status = http.StatusBadRequest
	}
	p.Data = d
	c.render(w, status, "communities.html", p)
}

func (c *Console) createCommunity(w http.ResponseWriter, r *http.Request, ss *session) {
	d := communitiesData{Name: strings.TrimSpace(r.PostFormValue("name")), ID: strings.TrimSpace(r.PostFormValue("id")), Owner: strings.TrimSpace(r.PostFormValue("owner"))}
	com := roster.Community{ID: d.ID, Name: d.Name}
	if d.Owner != "" {
		com.OwnerID = &d.Owner
	}
	ctx, err := c.admitted(r, ss, "createCommunity", "")
	if err == nil {
		_, _, err = c.svc.CreateCommunity(ctx, com)
	}
	if err != nil {
		c.communitiesPage(w, r, ss, http.StatusUnprocessableEntity, d, err)
		return
	}
	http.Redirect(w, r, "/console/", http.StatusSeeOther)
}
