package console

import (
	"net/http"
	"strings"

	"github.com/rosterhq/roster"
)

// permissionsData is the catalog page's.
type permissionsData struct {
	Permissions []roster.Permission
	// Key and Description are what a refused form held.
	Key, Description string
}

// permissions lists the permission catalog, with the form to register a
// key of the platform's own.
func (c *Console) permissions(w http.ResponseWriter, r *http.Request, ss *session) {
	c.permissionsPage(w, r, ss, http.StatusOK, permissionsData{}, nil)
}

func (c *Console) permissionsPage(w http.ResponseWriter, r *http.Request, ss *session, status int, d permissionsData, refused error) {
	p := c.newPage(ss, "Permissions", refused)
	var err error
	if d.Permissions, err = c.catalog(r, ss); err != nil {
		c.failed(w, ss, err)
		return
	}
	p.Data = d
	c.render(w, status, "permissions.html", p)
}

// createPermission registers a key.
func (c *Console) createPermission(w http.ResponseWriter, r *http.Request, ss *session) {
	d := permissionsData{Key: strings.TrimSpace(r.PostFormValue("key")), Description: strings.TrimSpace(r.PostFormValue("description"))}
	ctx, err := c.admitted(r, ss, "createPermission", "")
	if err == nil {
		_, _, err = c.svc.CreatePermission(ctx, roster.Permission{Key: d.Key, Description: d.Description})
	}
	if err != nil {
		c.permissionsPage(w, r, ss, refusedStatus(err), d, err)
		return
	}
	ss.tell(d.Key + " was registered.")
	http.Redirect(w, r, "/console/permissions", http.StatusSeeOther)
}

// deletePermission unregisters a key no role or overwrite names.
func (c *Console) deletePermission(w http.ResponseWriter, r *http.Request, ss *session) {
	key := r.PathValue("key")
	ctx, err := c.admitted(r, ss, "deletePermission", "")
	if err == nil {
		_, err = c.svc.DeletePermission(ctx, key)
	}
	if err != nil {
		c.permissionsPage(w, r, ss, refusedStatus(err), permissionsData{}, err)
		return
	}
	ss.tell(key + " was unregistered.")
	http.Redirect(w, r, "/console/permissions", http.StatusSeeOther)
}
