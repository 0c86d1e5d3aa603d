package console

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
)

// viewRow is one permission of a "view as" answer.
type viewRow struct {
	Key, Description string
	Held             bool
	// Because are the reasons it is held; DeniedBy the overwrites that
	// took it away.
	Because, DeniedBy []roster.Reason
}

// viewAsData is the "view as" page's.
type viewAsData struct {
	Community roster.Community
	Channels  []roster.Channel
	// User and Channel are what was asked; Effective the answer.
	User, Channel string
	Effective     *roster.Effective
	Rows          []viewRow
}

// viewAs shows a member's effective permissions, in the community or one
// of its channels, with the reasons for each (explain).
func (c *Console) viewAs(w http.ResponseWriter, r *http.Request, ss *session) {
	cid := r.PathValue("communityId")
	q := r.URL.Query()
	d := viewAsData{User: strings.TrimSpace(q.Get("user")), Channel: q.Get("channel")}
	p := c.newPage(ss, "View as", nil)
	ctx, err := c.admitted(r, ss, "getEffectivePermissions", cid)
	var com roster.Community
	if err == nil {
		com, err = c.svc.FindCommunity(ctx, cid)
	}
	var cat []roster.Permission
	if err == nil {
		d.Channels, _, err = c.svc.ListChannels(ctx, cid, roster.Page{Limit: roster.MaxChannelsPerCommunity})
	}
	if err == nil {
		cat, err = c.catalog(r, ss)
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	status := http.StatusOK
	if d.User != "" {
		eff, _, err := c.svc.EffectivePermissions(ctx, cid, d.Channel, d.User)
		if err != nil {
			p.Error, p.ErrorCode = c.refusal(err)
			status = refusedStatus(err)
		} else {
			d.Effective = &eff
			held := map[string]bool{}
			for _, k := range eff.Permissions {
				held[k] = true
			}
			for _, perm := range cat {
				d.Rows = append(d.Rows, viewRow{Key: perm.Key, Description: perm.Description, Held: held[perm.Key], Because: eff.Explain[perm.Key], DeniedBy: eff.Denied[perm.Key]})
			}
		}
	}
	d.Community = com
	p.Title, p.Community, p.Data = "View "+com.Name+" as a member", &com, d
	c.render(w, status, "viewas.html", p)
}
