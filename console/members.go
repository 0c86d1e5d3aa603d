package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/rosterhq/roster"
)

// membersPerPage is the length of a page of members.
const membersPerPage = 50

// membersData is the members page's.
type membersData struct {
	Community roster.Community
	Members   []roster.Member
	// Roles are the community's roles but everyone, top first, for the
	// filter; Assignable those the person may give and take, for the batch
	// form; Colours their colours by id.
	Roles, Assignable []roster.Role
	Colours           map[string]string
	// AddLocked is why the person may not add members.
	AddLocked string
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
	st, err := c.standingIn(ctx, ss, id, len(roles))
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	for _, role := range slices.Backward(roles) {
		if role.Colour != nil {
			d.Colours[role.ID] = *role.Colour
		}
		if role.Builtin == roster.BuiltinEveryone {
			continue
		}
		d.Roles = append(d.Roles, role)
		if st.change("", role, nil, false, com, nil) == "" {
			d.Assignable = append(d.Assignable, role)
		}
	}
	d.Community, d.AddLocked = com, st.addMembers()
	p.Title, p.Community, p.Data = "Members of "+com.Name, &com, d
	c.render(w, status, "members.html", p)
}

// addMembers adds the users listed (one per line, or separated by commas
// or spaces) as members, in one batch: all or none.
func (c *Console) addMembers(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("communityId")
	users := strings.FieldsFunc(r.PostFormValue("users"), func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	ctx, err := c.admitted(r, ss, "batchAddMembers", id)
	if err == nil && len(users) == 0 {
		err = roster.Invalid(roster.FieldError{Location: "users", Message: "must list at least one user id", Value: ""})
	}
	var res []roster.JoinResult
	if err == nil {
		res, _, err = c.svc.AddMembers(ctx, id, users)
	}
	if err != nil {
		c.membersPage(w, r, ss, refusedStatus(err), err)
		return
	}
	joined := map[string]int{}
	for _, j := range res {
		joined[j.Result]++
	}
	ss.count(joined)
	http.Redirect(w, r, communityURL(id)+"/members", http.StatusSeeOther)
}

// renameMember sets a member's display name in the community.
func (c *Console) renameMember(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, uid := r.PathValue("communityId"), r.PathValue("userId")
	name := strings.TrimSpace(r.PostFormValue("displayName"))
	ctx, err := c.admitted(r, ss, "addMember", cid)
	if err == nil {
		if _, err = c.svc.FindMember(ctx, cid, uid); err == nil {
			_, _, err = c.svc.AddMember(ctx, cid, uid, &name)
		}
	}
	if err != nil {
		c.memberPage(w, r, ss, refusedStatus(err), err)
		return
	}
	ss.tell("Saved.")
	http.Redirect(w, r, communityURL(cid)+"/members/"+url.PathEscape(uid), http.StatusSeeOther)
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
	switch f.Get("action") {
	case "add":
	case "remove":
		op, decide = "batchRemoveRoles", c.svc.RemoveRoles
	default:
		c.membersPage(w, r, ss, http.StatusUnprocessableEntity, roster.Invalid(roster.FieldError{Location: "action", Message: "must be add or remove", Value: f.Get("action")}))
		return
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
	// RemoveLocked is why the person may not remove them.
	RemoveLocked string
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
	var admin roster.Role
	for _, role := range roles {
		byID[role.ID] = role
		if role.Builtin == roster.BuiltinAdmin {
			admin = role
		}
	}
	// Without an owner, the admin role keeps a holder: who holds it
	// decides what may be removed.
	var admins []string
	var adminCount int
	if com.OwnerID == nil {
		holders, _, err := c.svc.ListRoleHolders(ctx, cid, admin.ID, roster.Page{Limit: 2})
		if err != nil {
			c.failed(w, ss, err)
			return
		}
		for _, h := range holders {
			admins = append(admins, h.UserID)
		}
		adminCount = len(admins)
	}
	d := memberData{Community: com, Member: m, Expiry: r.PostFormValue("expires"), RemoveLocked: st.removeMember(m, com, admin.ID, adminCount)}
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
		row.Locked = st.change(uid, role, sources, true, com, admins)
		d.Held = append(d.Held, row)
	}
	for _, role := range slices.Backward(roles) {
		held := slices.ContainsFunc(m.Roles, func(h roster.HeldRole) bool { return h.RoleID == role.ID })
		if !held && role.Builtin != roster.BuiltinEveryone && st.change(uid, role, nil, false, com, nil) == "" {
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
		if offset, err = strconv.Atoi(tz); err != nil || offset < -14*60 || offset > 14*60 {
			return nil, roster.Invalid(roster.FieldError{Location: "tz", Message: "must be minutes from UTC", Value: tz})
		}
	}
	t = t.Add(time.Duration(offset) * time.Minute)
	return &t, nil
}
