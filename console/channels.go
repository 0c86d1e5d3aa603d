package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// channelsPerPage is the length of a page of channels.
const channelsPerPage = 100

// channelsData is the channels page's.
type channelsData struct {
	Community roster.Community
	Channels  []roster.Channel
	Next      string
	// Locked is why the person may not create channels; ID and Name are
	// what a refused form held.
	Locked, ID, Name string
}

func channelURL(community, channel string) string {
	return communityURL(community) + "/channels/" + url.PathEscape(channel)
}

// channels lists a community's channels, with the form to create one.
func (c *Console) channels(w http.ResponseWriter, r *http.Request, ss *session) {
	c.channelsPage(w, r, ss, http.StatusOK, channelsData{}, nil)
}

func (c *Console) channelsPage(w http.ResponseWriter, r *http.Request, ss *session, status int, d channelsData, refused error) {
	id := r.PathValue("communityId")
	p := c.newPage(ss, "Channels", refused)
	ctx, com, roles, err := c.scopeRoles(r, ss, "listChannels", id)
	var st standing
	if err == nil {
		d.Channels, d.Next, err = c.svc.ListChannels(ctx, id, roster.Page{Limit: channelsPerPage, Cursor: r.URL.Query().Get("cursor")})
	}
	if err == nil {
		st, err = c.standingIn(ctx, ss, id, len(roles))
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	d.Community, d.Locked = com, reason(authz.PutChannel(authz.PutChannelFacts{Actor: st.subject}))
	p.Title, p.Community, p.Data = "Channels of "+com.Name, &com, d
	c.render(w, status, "channels.html", p)
}

// putChannel creates a channel (or renames one).
func (c *Console) putChannel(w http.ResponseWriter, r *http.Request, ss *session) {
	cid := r.PathValue("communityId")
	ch := roster.Channel{CommunityID: cid, ID: strings.TrimSpace(r.PostFormValue("id")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	ctx, err := c.admitted(r, ss, "putChannel", cid)
	if err == nil {
		_, _, err = c.svc.PutChannel(ctx, ch)
	}
	if err != nil {
		c.channelsPage(w, r, ss, refusedStatus(err), channelsData{ID: ch.ID, Name: ch.Name}, err)
		return
	}
	http.Redirect(w, r, channelURL(cid, ch.ID), http.StatusSeeOther)
}

// overwriteRow is one overwrite of a channel, named.
type overwriteRow struct {
	roster.Overwrite
	Name string
}

// effectCell is one permission of the overwrite editor.
type effectCell struct {
	Key, Description string
	// Effect is allow, deny or "" (inherit).
	Effect string
	// Locked is why the person may not allow or deny it.
	Locked string
}

// channelData is a channel's page: its overwrites, and the editor of the
// one chosen (Type and ID), new or not.
type channelData struct {
	Community  roster.Community
	Channel    roster.Channel
	Overwrites []overwriteRow
	// Roles are the roles an overwrite can target, top first.
	Roles []roster.Role
	// Type, ID and Name are the target being edited; Exists that it has an
	// overwrite now; Locked why the person may not change it.
	Type, ID, Name string
	Exists         bool
	Locked         string
	Cells          []effectCell
}

// channel shows a channel's overwrites and the editor of one of them.
func (c *Console) channel(w http.ResponseWriter, r *http.Request, ss *session) {
	q := r.URL.Query()
	c.channelPage(w, r, ss, http.StatusOK, q.Get("type"), q.Get("id"), nil, nil)
}

// channelPage renders the channel, editing the target's overwrite as
// edited holds it when a change was refused.
func (c *Console) channelPage(w http.ResponseWriter, r *http.Request, ss *session, status int, typ, target string, edited *roster.Overwrite, refused error) {
	cid, chID := r.PathValue("communityId"), r.PathValue("channelId")
	p := c.newPage(ss, "Channel", refused)
	ctx, com, roles, err := c.scopeRoles(r, ss, "getChannel", cid)
	var ch roster.Channel
	var cat []roster.Permission
	var st standing
	if err == nil {
		ch, err = c.svc.FindChannel(ctx, cid, chID)
	}
	if err == nil {
		cat, err = c.catalog(r, ss)
	}
	if err == nil {
		st, err = c.standingIn(ctx, ss, cid, len(roles))
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	d := channelData{Community: com, Channel: ch}
	names := map[string]roster.Role{}
	for _, role := range slices.Backward(roles) {
		names[role.ID] = role
		d.Roles = append(d.Roles, role)
	}
	for _, o := range ch.Overwrites {
		row := overwriteRow{Overwrite: o, Name: o.ID}
		if o.Type == roster.OverwriteRole {
			row.Name = names[o.ID].Name
		}
		d.Overwrites = append(d.Overwrites, row)
	}
	if typ == roster.OverwriteRole || typ == roster.OverwriteMember {
		d.Type, d.ID, d.Name = typ, target, target
		var role *authz.RoleFacts
		if typ == roster.OverwriteRole {
			rr, ok := names[target]
			if i := slices.IndexFunc(roles, func(x roster.Role) bool { return x.Builtin != "" && x.Builtin == target }); i >= 0 {
				rr, ok = roles[i], true
			}
			if !ok {
				c.failed(w, ss, roster.Errorf(roster.EROLENOTFOUND, "role %s not found in %s", target, cid))
				return
			}
			d.ID, d.Name = rr.ID, rr.Name
			f := authz.RoleOf(rr)
			role = &f
		}
		old := roster.Overwrite{Type: typ, ID: d.ID}
		if i := slices.IndexFunc(ch.Overwrites, func(o roster.Overwrite) bool { return o.Type == typ && o.ID == d.ID }); i >= 0 {
			old, d.Exists = ch.Overwrites[i], true
		}
		shown := old
		if edited != nil {
			shown = *edited
		}
		facts := authz.SetOverwriteFacts{Actor: st.subject, Role: role, Old: authz.Overwrite{Allow: old.Allow, Deny: old.Deny}, Exists: true}
		d.Locked = reason(authz.SetOverwrite(facts))
		for _, perm := range cat {
			cell := effectCell{Key: perm.Key, Description: perm.Description, Locked: d.Locked}
			switch {
			case slices.Contains(shown.Allow, perm.Key):
				cell.Effect = roster.EffectAllow
			case slices.Contains(shown.Deny, perm.Key):
				cell.Effect = roster.EffectDeny
			}
			if cell.Locked == "" {
				facts.Allow = []string{perm.Key}
				cell.Locked = reason(authz.SetOverwrite(facts))
			}
			d.Cells = append(d.Cells, cell)
		}
	}
	p.Title, p.Community, p.Data = "#"+ch.Name, &com, d
	c.render(w, status, "channel.html", p)
}

// setOverwrite saves the editor: allow, inherit or deny per permission; an
// overwrite left all inherit is removed.
func (c *Console) setOverwrite(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, chID := r.PathValue("communityId"), r.PathValue("channelId")
	f := r.PostForm
	o := roster.Overwrite{ChannelID: chID, Type: f.Get("type"), ID: f.Get("id"), Allow: []string{}, Deny: []string{}}
	for key, v := range f {
		perm, ok := strings.CutPrefix(key, "p.")
		switch {
		case !ok:
		case v[0] == roster.EffectAllow:
			o.Allow = append(o.Allow, perm)
		case v[0] == roster.EffectDeny:
			o.Deny = append(o.Deny, perm)
		}
	}
	slices.Sort(o.Allow)
	slices.Sort(o.Deny)
	op := map[string]string{roster.OverwriteRole: "RoleOverwrite", roster.OverwriteMember: "MemberOverwrite"}[o.Type]
	if op == "" {
		c.channelPage(w, r, ss, http.StatusUnprocessableEntity, "", "", nil,
			roster.Invalid(roster.FieldError{Location: "type", Message: "must be role or member", Value: o.Type}))
		return
	}
	clear := len(o.Allow)+len(o.Deny) == 0
	verb := "set"
	if clear {
		verb = "delete"
	}
	ctx, err := c.admitted(r, ss, verb+op, cid)
	if err == nil {
		if clear {
			if _, err = c.svc.DeleteOverwrite(ctx, cid, o); roster.ErrorCode(err) == roster.EOVERWRITENOTFOUND {
				err = nil
			}
		} else {
			_, _, err = c.svc.SetOverwrite(ctx, cid, o)
		}
	}
	if err != nil {
		c.channelPage(w, r, ss, refusedStatus(err), o.Type, o.ID, &o, err)
		return
	}
	ss.tell("Saved.")
	http.Redirect(w, r, channelURL(cid, chID)+"?type="+url.QueryEscape(o.Type)+"&id="+url.QueryEscape(o.ID), http.StatusSeeOther)
}

// deleteChannel removes a channel and its overwrites.
func (c *Console) deleteChannel(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, chID := r.PathValue("communityId"), r.PathValue("channelId")
	ctx, err := c.admitted(r, ss, "deleteChannel", cid)
	if err == nil {
		_, err = c.svc.DeleteChannel(ctx, cid, chID)
	}
	if err != nil {
		c.channelPage(w, r, ss, refusedStatus(err), "", "", nil, err)
		return
	}
	ss.tell("Channel " + chID + " was deleted.")
	http.Redirect(w, r, communityURL(cid)+"/channels", http.StatusSeeOther)
}
