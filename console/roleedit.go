package console

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/rosterhq/roster"
)

// permToggle is one permission of the role editor.
type permToggle struct {
	Key, Description string
	On               bool
	// Locked is why the signed-in person may not turn it on (or off).
	Locked string
}

// permGroup is one category of permissions.
type permGroup struct {
	Name  string
	Perms []permToggle
}

// roleData is the role editor's.
type roleData struct {
	Community roster.Community
	Role      roster.Role
	Holders   int
	Groups    []permGroup
	// Locked, RenameLocked and DeleteLocked are why the person may not
	// edit the role, rename it or delete it.
	Locked, RenameLocked, DeleteLocked string
}

// catalog reads the whole permission catalog (at most MaxPermissions keys).
func (c *Console) catalog(r *http.Request, ss *session) ([]roster.Permission, error) {
	ctx, err := c.admitted(r, ss, "listPermissions", "")
	if err != nil {
		return nil, err
	}
	var all []roster.Permission
	for cursor := ""; ; {
		page, next, err := c.svc.ListPermissions(ctx, roster.Page{Limit: roster.MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if cursor = next; cursor == "" {
			return all, nil
		}
	}
}

// role shows the role editor.
func (c *Console) role(w http.ResponseWriter, r *http.Request, ss *session) {
	c.rolePage(w, r, ss, http.StatusOK, nil, nil)
}

// rolePage renders the editor of the role, as the form was when a change
// was refused (edited), with the refusal.
func (c *Console) rolePage(w http.ResponseWriter, r *http.Request, ss *session, status int, edited *roster.Role, refused error) {
	cid, rid := r.PathValue("communityId"), r.PathValue("roleId")
	p := c.newPage(ss, "Role", refused)
	ctx, com, roles, err := c.scopeRoles(r, ss, "getRole", cid)
	var cat []roster.Permission
	var counts map[string]int
	var st standing
	if err == nil {
		cat, err = c.catalog(r, ss)
	}
	i := slices.IndexFunc(roles, func(x roster.Role) bool { return x.ID == rid || x.Builtin != "" && x.Builtin == rid })
	if err == nil && i < 0 {
		err = roster.Errorf(roster.EROLENOTFOUND, "role %s not found in %s", rid, cid)
	}
	if err == nil {
		counts, err = c.svc.CountRoleHolders(ctx, cid, roles[i].ID)
	}
	if err == nil {
		st, err = c.standingIn(ctx, ss, cid, len(roles))
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	role := roles[i]
	d := roleData{Community: com, Holders: counts[role.ID],
		Locked: st.editRole(role), RenameLocked: st.rename(role), DeleteLocked: st.deleteRole(role)}
	shown := role
	if edited != nil {
		shown = *edited
	}
	groups := map[string][]permToggle{}
	for _, perm := range cat {
		t := permToggle{Key: perm.Key, Description: perm.Description, On: slices.Contains(shown.Permissions, perm.Key), Locked: d.Locked}
		if t.Locked == "" {
			t.Locked = st.toggle(role, perm.Key)
		}
		cat := roster.PermissionCategory(perm.Key)
		groups[cat] = append(groups[cat], t)
	}
	for _, name := range roster.PermissionCategories {
		if len(groups[name]) > 0 {
			d.Groups = append(d.Groups, permGroup{Name: name, Perms: groups[name]})
		}
	}
	d.Role = shown
	d.Role.Version = role.Version
	p.Title, p.Community, p.Data = shown.Name, &com, d
	c.render(w, status, "role.html", p)
}

// updateRole saves the role editor's form: every field, at the version
// the form was made from.
func (c *Console) updateRole(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, rid := r.PathValue("communityId"), r.PathValue("roleId")
	f := r.PostForm // parsed by signedIn
	version, err := formVersion(f.Get("version"))
	if err != nil {
		c.rolePage(w, r, ss, http.StatusUnprocessableEntity, nil, err)
		return
	}
	perms := []string{}
	for _, p := range f["perm"] {
		if !slices.Contains(perms, p) {
			perms = append(perms, p)
		}
	}
	colour := ""
	if f.Get("hascolour") != "" {
		colour = f.Get("colour")
	}
	upd := roster.RoleUpdate{Description: ptr(f.Get("description")), Colour: &colour, Permissions: &perms,
		Badge: ptr(f.Get("badge") != ""), IsDefault: ptr(f.Get("isDefault") != ""), IfVersion: version}
	ctx, err := c.admitted(r, ss, "updateRole", cid)
	if err == nil {
		var before roster.Role
		if before, err = c.svc.FindRole(ctx, cid, rid); err == nil {
			if name := strings.TrimSpace(f.Get("name")); name != before.Name && f.Has("name") {
				upd.Name = &name
			}
			_, _, err = c.svc.UpdateRole(ctx, cid, rid, upd)
		}
	}
	if err != nil {
		edited := roster.Role{Name: f.Get("name"), Description: *upd.Description, Permissions: perms, Badge: *upd.Badge, IsDefault: *upd.IsDefault}
		if colour != "" {
			edited.Colour = &colour
		}
		c.rolePage(w, r, ss, refusedStatus(err), &edited, err)
		return
	}
	ss.tell("Saved.")
	http.Redirect(w, r, roleURL(cid, rid), http.StatusSeeOther)
}

// deleteRole deletes the role, off its holders when the form says so.
func (c *Console) deleteRole(w http.ResponseWriter, r *http.Request, ss *session) {
	cid, rid := r.PathValue("communityId"), r.PathValue("roleId")
	version, err := formVersion(r.PostFormValue("version"))
	var ctx context.Context
	if err == nil {
		ctx, err = c.admitted(r, ss, "deleteRole", cid)
	}
	if err == nil {
		_, err = c.svc.DeleteRole(ctx, cid, rid, roster.RoleDelete{Force: r.PostFormValue("force") != "", IfVersion: version})
	}
	if err != nil {
		c.rolePage(w, r, ss, refusedStatus(err), nil, err)
		return
	}
	http.Redirect(w, r, communityURL(cid), http.StatusSeeOther)
}

func ptr[T any](v T) *T { return &v }

// formVersion reads the version a form was made from: every change of a
// role says which one it changes.
func formVersion(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, roster.Invalid(roster.FieldError{Location: "version", Message: "must be the role's version the form was made from (reload the page)", Value: v})
	}
	return n, nil
}
