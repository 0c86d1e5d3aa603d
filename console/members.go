package console

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// membersPerPage is the length of a page of members.
const membersPerPage = 50

// membersData is the members page's.
type membersData struct {
	Community roster.Community
	Members   []roster.Member
	// Roles are the community's roles but everyone, top first, for the
	// filter and the batch form; Colours their colours by id.
	Roles   []roster.Role
	Colours map[string]string
	// Search, Role and Cursor are the list's query; Next the next page's
	// cursor.
	Search, Role, Cursor, Next string
}

func communityURL(community string) string {
	return "/console/communities/" + url.PathEscape(community)
}

// members lists a community's members, searched, filtered by role and a
// page at a time, with the batch form.
func (c *Console) members(w http.ResponseWriter, r *http.Request, ss *session) {
	c.membersPage(w, r, ss, http.StatusOK, nil)
}

func (c *Console) membersPage(w http.ResponseWriter, r *http.Request, ss *session, status int, refused error) {
	id := r.PathValue("communityId")
	q := r.URL.Query()
	d := membersData{Search: strings.TrimSpace(q.Get("q")), Role: q.Get("role"), Cursor: q.Get("cursor"), Colours: map[string]string{}}
	p := c.newPage(ss, "Members", refused)
	ctx, com, roles, err := c.scopeRoles(r, ss, "listMembers", id)
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	d.Members, d.Next, err = c.svc.ListMembers(ctx, id, roster.MemberFilter{RoleID: d.Role, Search: d.Search}, roster.Page{Limit: membersPerPage, Cursor: d.Cursor})
	if err != nil && refused == nil { // a bad search, role or cursor
		p.Error, p.ErrorCode = c.refusal(err)
		status = refusedStatus(err)
	}
	for _, role := range slices.Backward(roles) {
		if role.Colour != nil {
			d.Colours[role.ID] = *role.Colour
		}
		if role.Builtin != roster.BuiltinEveryone {
			d.Roles = append(d.Roles, role)
		}
	}
	d.Community = com
	p.Title, p.Community, p.Data = "Members of "+com.Name, &com, d
	c.render(w, status, "members.html", p)
}

// addMembers adds members from a list: a user id per line, followed by
// the member's display name if it has one, or user ids separated by
// commas. Those without a name join in one batch; each named one is added
// with its name.
func (c *Console) addMembers(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("communityId")
	var ids []string
	named := map[string]string{}
	for line := range strings.Lines(r.PostFormValue("users")) {
		if strings.Contains(line, ",") {
			for _, u := range strings.Split(line, ",") {
				if u = strings.TrimSpace(u); u != "" {
					ids = append(ids, u)
				}
			}
			continue
		}
		user, name, _ := strings.Cut(strings.TrimSpace(line), " ")
		if name = strings.TrimSpace(name); name != "" {
			named[user] = name
		} else if user != "" {
			ids = append(ids, user)
		}
	}
	ctx, err := c.admitted(r, ss, "batchAddMembers", id)
	if err == nil && len(ids)+len(named) > roster.MaxMemberBatch {
		err = roster.Invalid(roster.FieldError{Location: "users", Message: fmt.Sprintf("must list at most %d members", roster.MaxMemberBatch), Value: len(ids) + len(named)})
	}
	if err == nil && len(ids)+len(named) == 0 {
		err = roster.Invalid(roster.FieldError{Location: "users", Message: "must list at least one user id", Value: ""})
	}
	joined := map[string]int{}
	if err == nil && len(ids) > 0 {
		var res []roster.JoinResult
		res, _, err = c.svc.AddMembers(ctx, id, ids)
		for _, j := range res {
			joined[j.Result]++
		}
	}
	for user, name := range named {
		if err != nil {
			break
		}
		var m roster.Upserted[roster.Member]
		if m, _, err = c.svc.AddMember(ctx, id, user, &name); err == nil {
			joined[map[bool]string{true: roster.Joined, false: roster.AlreadyMember}[m.Created]]++
		}
	}
	ss.count(joined)
	if err != nil {
		c.membersPage(w, r, ss, refusedStatus(err), err)
		return
	}
	http.Redirect(w, r, communityURL(id)+"/members", http.StatusSeeOther)
}

// batchPartHeader marks the parts of a batch console.js sends.
const batchPartHeader = "Roster-Batch-Part"

// batchRoles adds or removes one role for the members selected, at most
// roster.MaxBatch in one change (the page's script sends them in parts,
// showing its progress).
func (c *Console) batchRoles(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("communityId")
	f := r.PostForm
	ch := roster.Change{Scope: id, UserIDs: f["user"], RoleIDs: []string{f.Get("role")}}
	op, decide := "batchAddRoles", c.svc.AddRoles
	if f.Get("action") == "remove" {
		op, decide = "batchRemoveRoles", c.svc.RemoveRoles
	}
	ctx, err := c.admitted(r, ss, op, id)
	var res []roster.PairResult
	if err == nil {
		res, _, err = decide(ctx, ch)
	}
	if err != nil {
		c.membersPage(w, r, ss, refusedStatus(err), err)
		return
	}
	counts := map[string]int{}
	for _, pr := range res {
		counts[pr.Result]++
	}
	ss.count(counts)
	if r.Header.Get(batchPartHeader) != "" {
		w.WriteHeader(http.StatusNoContent) // a part: the page reloads after the last
		return
	}
	http.Redirect(w, r, communityURL(id)+"/members", http.StatusSeeOther)
}

// outcomes are the outcomes a notice counts, in its order.
var outcomes = []string{roster.Joined, roster.AlreadyMember, roster.Added, roster.AlreadyHeld, roster.Removed, roster.Retained, roster.Kept, roster.NotHeld}

// heldRow is a role a member holds, as their page shows it.
type heldRow struct {
	roster.HeldRole
	Colour string
	// Locked is why the signed-in person may not remove it here.
	Locked string
}

// memberData is a member's page.
type memberData struct {
	Community roster.Community
	Member    roster.Member
	Held      []heldRow
	// Assignable are the roles the person may give them; Expiry what a
	// refused add form held.
	Assignable []roster.Role
	Expiry     string
}

// member shows a member's roles, with their grants, and the forms to add
// and remove them.
func (c *Console) member(w http.ResponseWriter, r *http.Request, ss *session) {
	c.memberPage(w, r, ss, http.StatusOK, nil)
}

func (c *Console) memberPage(w http.ResponseWriter, r *http.Request, ss *session, status int, refused error) {
	cid, uid := r.PathValue("communityId"), r.PathValue("userId")
	p := c.newPage(ss, "Member", refused)
	ctx, com, roles, err := c.scopeRoles(r, ss, "getMember", cid)
	var m roster.Member
	var st standing
	if err == nil {
		m, err = c.svc.FindMember(ctx, cid, uid)
	}
	if err == nil {
		st, err = c.standingIn(ctx, ss, cid, len(roles))
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	byID := map[string]roster.Role{}
	for _, role := range roles {
		byID[role.ID] = role
	}
	d := memberData{Community: com, Member: m, Expiry: r.PostFormValue("expires")}
	for _, h := range slices.Backward(m.Roles) {
		row := heldRow{HeldRole: h}
		role := byID[h.RoleID]
		if role.Colour != nil {
			row.Colour = *role.Colour
		}
		var sources []roster.Source
		for _, g := range h.Grants {
			sources = append(sources, g.Source)
		}
		row.Locked = st.change(uid, role, sources, true)
		d.Held = append(d.Held, row)
	}
	for _, role := range slices.Backward(roles) {
		held := slices.ContainsFunc(m.Roles, func(h roster.HeldRole) bool { return h.RoleID == role.ID })
		if !held && role.Builtin != roster.BuiltinEveryone && st.change(uid, role, nil, false) == "" {
			d.Assignable = append(d.Assignable, role)
		}
	}
	name := m.DisplayName
	if name == "" {
		name = m.UserID
	}
	p.Title, p.Community, p.Data = name, &com, d
	c.render(w, status, "member.html", p)
}

// addRole gives the member a role by hand, until an expiry if one is set
// (a local date and time, read in the offset the form sends).
func (c *Console) addRole(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, uid := r.PathValue("communityId"), r.PathValue("userId")
	g := roster.RoleGrant{Scope: cid, UserID: uid, RoleID: r.PostFormValue("role")}
	ctx, err := c.admitted(r, ss, "addUserRole", cid)
	if err == nil {
		g.ExpiresAt, err = localTime("expires", r.PostFormValue("expires"), r.PostFormValue("tz"))
	}
	if err == nil {
		_, _, err = c.svc.AddRole(ctx, g)
	}
	if err != nil {
		c.memberPage(w, r, ss, refusedStatus(err), err)
		return
	}
	http.Redirect(w, r, communityURL(cid)+"/members/"+url.PathEscape(uid), http.StatusSeeOther)
}

// removeRole takes a role given by hand from the member.
func (c *Console) removeRole(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, uid := r.PathValue("communityId"), r.PathValue("userId")
	ctx, err := c.admitted(r, ss, "removeUserRole", cid)
	if err == nil {
		_, _, err = c.svc.RemoveRole(ctx, roster.RoleGrant{Scope: cid, UserID: uid, RoleID: r.PathValue("roleId")})
	}
	if err != nil {
		c.memberPage(w, r, ss, refusedStatus(err), err)
		return
	}
	http.Redirect(w, r, communityURL(cid)+"/members/"+url.PathEscape(uid), http.StatusSeeOther)
}

// removeMember removes the member from the community.
func (c *Console) removeMember(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, uid := r.PathValue("communityId"), r.PathValue("userId")
	ctx, err := c.admitted(r, ss, "removeMember", cid)
	if err == nil {
		_, err = c.svc.RemoveMember(ctx, cid, uid)
	}
	if err != nil {
		c.memberPage(w, r, ss, refusedStatus(err), err)
		return
	}
	ss.tell(uid + " was removed from the community.")
	http.Redirect(w, r, communityURL(cid)+"/members", http.StatusSeeOther)
}

// localTime reads a form's date and time field: empty for none, else a
// datetime-local value in the browser's offset from UTC (tz, minutes as
// JavaScript's getTimezoneOffset gives them; UTC without it).
func localTime(field, local, tz string) (*time.Time, error) {
	if local == "" {
		return nil, nil
	}
	t, err := time.Parse("2006-01-02T15:04", local)
	if err != nil {
		return nil, roster.Invalid(roster.FieldError{Location: field, Message: "must be a date and time, like 2027-01-31T18:00", Value: local})
	}
	var offset int
	if tz != "" {
		if _, err := fmt.Sscanf(tz, "%d", &offset); err != nil || offset < -14*60 || offset > 14*60 {
			return nil, roster.Invalid(roster.FieldError{Location: "tz", Message: "must be minutes from UTC", Value: tz})
		}
	}
	t = t.Add(time.Duration(offset) * time.Minute)
	return &t, nil
}
