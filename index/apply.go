package index

import (
	"encoding/json"
	"fmt"

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
	var err error
	var fn change
	switch e.Action {
	case roster.ActionPermissionCreated, roster.ActionPermissionDeleted:
		var p roster.Permission
		if err = json.Unmarshal(doc, &p); err == nil {
			if e.Action == roster.ActionPermissionCreated {
				fn = func(st *state) { st.Permission(p.Key) }
			} else {
				fn = func(st *state) { st.dropPermission(p.Key) }
			}
		}
	case roster.ActionCommunityCreated, roster.ActionCommunityUpdated, roster.ActionOwnerTransferred:
		var c roster.Community
		if err = json.Unmarshal(doc, &c); err == nil {
			fn = func(st *state) { st.Community(c) }
		}
	case roster.ActionCommunityDeleted:
		fn = func(st *state) { st.dropCommunity(e.TargetID) }
	case roster.ActionMemberJoined:
		fn = func(st *state) { st.Member(scope, e.TargetID) }
	case roster.ActionMemberLeft:
		fn = func(st *state) { st.dropMember(scope, e.TargetID) }
	case roster.ActionRoleCreated, roster.ActionRoleUpdated, roster.ActionRoleDeleted:
		var r roster.Role
		if err = json.Unmarshal(doc, &r); err == nil {
			if e.Action == roster.ActionRoleDeleted {
				fn = func(st *state) { st.dropRole(r) }
			} else {
				fn = func(st *state) { st.Role(r) }
			}
		}
	case roster.ActionRolesReordered:
		var ids []string
		if err = json.Unmarshal(doc, &ids); err == nil {
			fn = func(st *state) { st.reorder(e.CommunityID, ids) }
		}
	case roster.ActionMemberRoleAdded, roster.ActionMemberRoleRemoved:
		var a roster.Assignment
		if err = json.Unmarshal(doc, &a); err == nil {
			if e.Action == roster.ActionMemberRoleAdded {
				fn = func(st *state) { st.Grant(scope, a) }
			} else {
				fn = func(st *state) { st.ungrant(scope, a) }
			}
		}
	case roster.ActionChannelCreated:
		fn = func(st *state) { st.Channel(roster.Channel{CommunityID: scope, ID: e.TargetID}) }
	case roster.ActionChannelDeleted:
		fn = func(st *state) { st.dropChannel(scope, e.TargetID) }
	case roster.ActionOverwriteSet, roster.ActionOverwriteDeleted:
		var o roster.Overwrite
		if err = json.Unmarshal(doc, &o); err == nil {
			if e.Action == roster.ActionOverwriteSet {
				fn = func(st *state) { st.setOverwrite(scope, o) }
			} else {
				fn = func(st *state) { st.dropOverwrite(scope, o) }
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("index: event %d (%s): %w", e.Revision, e.Action, err)
	}
	return fn, nil
}
