package index

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/rosterhq/roster"
)

// change is one event decoded into the change it makes to the state.
type change func(st *state)

// decode reads an event of the change log into its change. Events that do
// not touch what checks read decode to nil.
func decode(e roster.Event) (change, error) {
	scope := scopeID(e.CommunityID)
	doc := e.After
	if string(doc) == "null" || len(doc) == 0 {
		doc = e.Before
	}
	var fn change
	var err error
	switch e.Action {
	case roster.ActionPermissionCreated:
		fn, err = with(doc, func(p roster.Permission) change { return func(st *state) { st.Permission(p.Key) } })
	case roster.ActionPermissionDeleted:
		fn, err = with(doc, func(p roster.Permission) change { return func(st *state) { st.dropPermission(p.Key) } })
	case roster.ActionCommunityCreated, roster.ActionCommunityUpdated, roster.ActionOwnerTransferred:
		fn, err = with(doc, func(c roster.Community) change { return func(st *state) { st.Community(c) } })
	case roster.ActionCommunityDeleted:
		fn = func(st *state) { st.dropCommunity(e.TargetID) }
	case roster.ActionMemberJoined:
		fn = func(st *state) { st.Member(scope, e.TargetID) }
	case roster.ActionMemberLeft:
		fn = func(st *state) { st.dropMember(scope, e.TargetID) }
	case roster.ActionRoleCreated, roster.ActionRoleUpdated:
		fn, err = with(doc, func(r roster.Role) change { return func(st *state) { st.Role(r) } })
	case roster.ActionRoleDeleted:
		fn, err = with(doc, func(r roster.Role) change { return func(st *state) { st.dropRole(r) } })
	case roster.ActionRolesReordered:
		fn, err = with(doc, func(ids []string) change { return func(st *state) { st.reorder(e.CommunityID, ids) } })
	case roster.ActionMemberRoleAdded:
		fn, err = with(doc, func(g grantDoc) change { return func(st *state) { st.Grant(scope, g.assignment()) } })
	case roster.ActionMemberRoleRemoved, roster.ActionMemberRoleExpired:
		fn, err = with(doc, func(g grantDoc) change { return func(st *state) { st.ungrant(scope, g.assignment()) } })
	case roster.ActionChannelCreated:
		fn = func(st *state) { st.Channel(roster.Channel{CommunityID: scope, ID: e.TargetID}) }
	case roster.ActionChannelDeleted:
		fn = func(st *state) { st.dropChannel(scope, e.TargetID) }
	case roster.ActionOverwriteSet:
		fn, err = with(doc, func(o roster.Overwrite) change { return func(st *state) { st.setOverwrite(scope, o) } })
	case roster.ActionOverwriteDeleted:
		fn, err = with(doc, func(o roster.Overwrite) change { return func(st *state) { st.dropOverwrite(scope, o) } })
	}
	if err != nil {
		return nil, fmt.Errorf("index: event %d (%s): %w", e.Revision, e.Action, err)
	}
	return fn, nil
}

// grantDoc is what the index reads of an assignment's event; the rest of
// the document (who granted it, when, the role's name) is skipped, as the
// events of a batch are many.
type grantDoc struct {
	UserID    string        `json:"userId"`
	RoleID    string        `json:"roleId"`
	Source    roster.Source `json:"source"`
	ExpiresAt *time.Time    `json:"expiresAt"`
}

func (g grantDoc) assignment() roster.Assignment {
	return roster.Assignment{UserID: g.UserID, RoleID: g.RoleID, Grant: roster.Grant{Source: g.Source, ExpiresAt: g.ExpiresAt}}
}

// with decodes an event's document into a T and makes its change.
func with[T any](doc json.RawMessage, changeOf func(T) change) (change, error) {
	var v T
	if err := json.Unmarshal(doc, &v); err != nil {
		return nil, err
	}
	return changeOf(v), nil
}
