package authz

import "github.com/rosterhq/roster"

// PutChannelFacts are the facts that decide creating or renaming a channel.
type PutChannelFacts struct {
	Actor Subject
	// Exists is true when the channel exists; Channels counts the
	// community's channels.
	Exists   bool
	Channels int
}

// PutChannel decides whether the actor may create or rename a channel: a
// user needs MANAGE_CHANNELS, and a community holds at most
// MaxChannelsPerCommunity channels.
func PutChannel(f PutChannelFacts) error {
	if err := Require(f.Actor, roster.PermManageChannels); err != nil {
		return err
	}
	if !f.Exists && f.Channels >= roster.MaxChannelsPerCommunity {
		return roster.Errorf(roster.ELIMITREACHED, "a community holds at most %d channels", roster.MaxChannelsPerCommunity)
	}
	return nil
}

// DeleteChannelFacts are the facts that decide deleting a channel.
type DeleteChannelFacts struct {
	Actor Subject
}

// DeleteChannel decides whether the actor may delete a channel: a user
// needs MANAGE_CHANNELS.
func DeleteChannel(f DeleteChannelFacts) error { return Require(f.Actor, roster.PermManageChannels) }

// SetOverwriteFacts are the facts that decide setting a channel's
// overwrite for a role or a member.
type SetOverwriteFacts struct {
	Actor Subject
	// Role is the role the overwrite targets, or nil for a member.
	Role *RoleFacts
	// Allow and Deny are the overwrite asked for; Old holds the one it
	// replaces, if Exists.
	Allow, Deny []string
	Old         Overwrite
	Exists      bool
	// Overwrites counts the channel's overwrites.
	Overwrites int
}

// SetOverwrite decides whether the actor may set an overwrite: a user needs
// MANAGE_CHANNELS, may only target a role strictly below their highest
// role, and may only name permissions they hold, in the overwrite as it is
// and as it will be; a channel holds at most MaxOverwritesPerChannel
// overwrites.
func SetOverwrite(f SetOverwriteFacts) error {
	if err := overwriteGuard(f.Actor, f.Role, f.Allow, f.Deny, f.Old.Allow, f.Old.Deny); err != nil {
		return err
	}
	if !f.Exists && f.Overwrites >= roster.MaxOverwritesPerChannel {
		return roster.Errorf(roster.ELIMITREACHED, "a channel holds at most %d overwrites", roster.MaxOverwritesPerChannel)
	}
	return nil
}

// DeleteOverwriteFacts are the facts that decide removing an overwrite.
type DeleteOverwriteFacts struct {
	Actor Subject
	// Role is the role the overwrite targets, or nil for a member.
	Role *RoleFacts
	// Old is the overwrite removed.
	Old Overwrite
}

// DeleteOverwrite decides whether the actor may remove an overwrite, under
// the guards of setting it.
func DeleteOverwrite(f DeleteOverwriteFacts) error {
	return overwriteGuard(f.Actor, f.Role, f.Old.Allow, f.Old.Deny)
}

func overwriteGuard(s Subject, role *RoleFacts, perms ...[]string) error {
	if err := Require(s, roster.PermManageChannels); err != nil {
		return err
	}
	if role != nil {
		if err := below(s, role.Position, role.what()); err != nil {
			return err
		}
	}
	for _, keys := range perms {
		if err := mayGrant(s, keys); err != nil {
			return err
		}
	}
	return nil
}
