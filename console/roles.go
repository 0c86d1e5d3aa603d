package console

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/rosterhq/roster"
)

// roleRow is a role in the hierarchy list.
type roleRow struct {
	roster.Role
	Holders int
	// Locked is why the signed-in person may not edit or move the role;
	// Up and Down why they may not move it a step.
	Locked, Up, Down string
}

// rolesData is a community's roles page.
type rolesData struct {
	Community roster.Community
	// Roles are top first.
	Roles []roleRow
	// Order is the ids of the roles but everyone, bottom to top, as the
	// reorder form sends them.
	Order string
	// CreateLocked is why the person may not create a role; Name is what a
	// refused create form held.
	CreateLocked, Name string
}

// scopeRoles reads a community and its roles (bottom to top), refusing
// what the key may not read.
func (c *Console) scopeRoles(r *http.Request, ss *session, op, id string) (context.Context, roster.Community, []roster.Role, error) {
	ctx, err := c.admitted(r, ss, op, id)
	if err != nil {
		return nil, roster.Community{}, nil, err
	}
	com, err := c.svc.FindCommunity(ctx, id)
	if err != nil {
		return nil, com, nil, err
	}
	roles, _, err := c.svc.ListRoles(ctx, id, roster.Page{Limit: roster.MaxRolesPerScope})
	return ctx, com, roles, err
}

// roles shows a community's roles in their hierarchy, top first, with
// their holder counts and what the person may change.
func (c *Console) roles(w http.ResponseWriter, r *http.Request, ss *session) {
	c.rolesPage(w, r, ss, http.StatusOK, "", nil)
}

func (c *Console) rolesPage(w http.ResponseWriter, r *http.Request, ss *session, status int, name string, refused error) {
	id := r.PathValue("communityId")
	p := c.newPage(ss, "Roles", refused)
	ctx, com, roles, err := c.scopeRoles(r, ss, "listRoles", id)
	var counts map[string]int
	var st standing
	if err == nil {
		counts, err = c.svc.CountRoleHolders(ctx, id)
	}
	if err == nil {
		st, err = c.standingIn(ctx, ss, id, len(roles))
	}
	if err != nil {
		c.failed(w, ss, err)
		return
	}
	d := rolesData{Community: com, CreateLocked: st.createRole(), Name: name}
	var order []string
	up, down := st.steps(roles)
	for i, role := range slices.Backward(roles) {
		row := roleRow{Role: role, Holders: counts[role.ID], Locked: st.editRole(role)}
		if row.Locked == "" && role.Builtin != roster.BuiltinEveryone {
			row.Up, row.Down = up[i-1], down[i-1] // everyone is first
		}
		d.Roles = append(d.Roles, row)
	}
	for _, role := range roles {
		if role.Builtin != roster.BuiltinEveryone {
			order = append(order, role.ID)
		}
	}
	d.Order = strings.Join(order, ",")
	p.Title, p.Community, p.Data = com.Name, &com, d
	c.render(w, status, "roles.html", p)
}

// createRole creates a role at the bottom of the hierarchy and opens it.
func (c *Console) createRole(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("communityId")
	name := strings.TrimSpace(r.PostFormValue("name"))
	ctx, err := c.admitted(r, ss, "createRole", id)
	var role roster.Role
	if err == nil {
		role, _, err = c.svc.CreateRole(ctx, id, roster.Role{Name: name, Permissions: []string{}})
	}
	if err != nil {
		c.rolesPage(w, r, ss, refusedStatus(err), name, err)
		return
	}
	http.Redirect(w, r, roleURL(id, role.ID), http.StatusSeeOther)
}

// reorderRoles sets a new order: the whole of it (order: ids bottom to
// top, as a drag sends it) or one role moved a step (move: "id:up" or
// "id:down", the buttons, which keyboards and pages without script use).
func (c *Console) reorderRoles(w http.ResponseWriter, r *http.Request, ss *session) {
	id := r.PathValue("communityId")
	ctx, err := c.admitted(r, ss, "reorderRoles", id)
	if err == nil {
		var ids []string
		if order := r.PostFormValue("order"); order != "" {
			ids = strings.Split(order, ",")
		} else {
			// A step needs the order it changes.
			var roles []roster.Role
			if roles, _, err = c.svc.ListRoles(ctx, id, roster.Page{Limit: roster.MaxRolesPerScope}); err == nil {
				move, dir, _ := strings.Cut(r.PostFormValue("move"), ":")
				ids, err = moved(roles, move, dir)
			}
		}
		if err == nil {
			_, _, err = c.svc.ReorderRoles(ctx, id, ids)
		}
	}
	if err != nil {
		c.rolesPage(w, r, ss, refusedStatus(err), "", err)
		return
	}
	http.Redirect(w, r, communityURL(id), http.StatusSeeOther)
}

// moved returns the order of roles (bottom to top, everyone left out)
// with one role moved a step up or down.
func moved(roles []roster.Role, move, dir string) ([]string, error) {
	var ids []string
	for _, r := range roles {
		if r.Builtin != roster.BuiltinEveryone {
			ids = append(ids, r.ID)
		}
	}
	i := slices.Index(ids, move)
	j := i + 1
	if dir == "down" {
		j = i - 1
	}
	switch {
	case i < 0:
		return nil, roster.Invalid(roster.FieldError{Location: "move", Message: "is not a role that can move", Value: move})
	case dir != "up" && dir != "down":
		return nil, roster.Invalid(roster.FieldError{Location: "dir", Message: "must be up or down", Value: dir})
	case j < 0 || j >= len(ids):
		return nil, roster.Invalid(roster.FieldError{Location: "move", Message: "the role is already at the " + map[string]string{"up": "top", "down": "bottom"}[dir], Value: move})
	}
	ids[i], ids[j] = ids[j], ids[i]
	return ids, nil
}

func roleURL(community, role string) string {
	return communityURL(community) + "/roles/" + url.PathEscape(role)
}

// refusedStatus is the status of a page showing a refusal: the console's
// table of codes, those not in it 422 (the form is refused as it is).
func refusedStatus(err error) int {
	if s, ok := pageStatuses[roster.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusUnprocessableEntity
}

var pageStatuses = map[string]int{
	roster.EUNAUTHENTICATED: http.StatusUnauthorized, roster.EINSUFFICIENTSCOPE: http.StatusForbidden,
	roster.EMISSINGPERMISSION: http.StatusForbidden, roster.EROLEHIERARCHY: http.StatusForbidden,
	roster.ECANNOTGRANT: http.StatusForbidden, roster.ESOURCENOTALLOWED: http.StatusForbidden,
	roster.ECANNOTREMOVEADMIN: http.StatusForbidden, roster.ENOTOWNER: http.StatusForbidden,
	roster.ECOMMUNITYNOTFOUND: http.StatusNotFound, roster.EROLENOTFOUND: http.StatusNotFound,
	roster.EMEMBERNOTFOUND: http.StatusNotFound, roster.ECHANNELNOTFOUND: http.StatusNotFound,
	roster.EUSERNOTFOUND: http.StatusNotFound, roster.EAPIKEYNOTFOUND: http.StatusNotFound,
	roster.EWEBHOOKNOTFOUND: http.StatusNotFound, roster.EOVERWRITENOTFOUND: http.StatusNotFound,
	roster.EVERSIONMISMATCH: http.StatusConflict, roster.EWRITECONFLICT: http.StatusConflict,
	roster.EROLEINUSE: http.StatusConflict, roster.EROLEPROTECTED: http.StatusConflict,
	roster.EPERMISSIONBUILTIN: http.StatusConflict, roster.EPERMISSIONINUSE: http.StatusConflict,
	roster.ELASTADMIN: http.StatusConflict, roster.ELASTADMINKEY: http.StatusConflict,
	roster.EGRANTEDBYSOURCE: http.StatusConflict, roster.EOWNERCANNOTLEAVE: http.StatusConflict,
	roster.EINTERNAL: http.StatusInternalServerError, roster.EUNAVAILABLE: http.StatusServiceUnavailable,
	roster.ENOTREADY: http.StatusServiceUnavailable, roster.EREVISIONNOTREADY: http.StatusServiceUnavailable,
}
