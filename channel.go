package roster

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Channel limits.
const (
	MaxChannelsPerCommunity = 500
	MaxOverwritesPerChannel = 500
)

// Channel is a place inside a community, such as a chat channel or a forum
// board, where permission overwrites can change what members may do.
type Channel struct {
	CommunityID string `json:"communityId"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	// Overwrites are the channel's overwrites, roles first (bottom to top),
	// then members by id.
	Overwrites []Overwrite `json:"overwrites"`
	CreatedAt  time.Time   `json:"createdAt"`
	UpdatedAt  time.Time   `json:"updatedAt"`
}

// Overwrite targets.
const (
	OverwriteRole   = "role"
	OverwriteMember = "member"
)

// Overwrite changes, in one channel, the permissions a role or a member has:
// Deny takes permissions away and Allow gives them (SPEC §2.4).
type Overwrite struct {
	ChannelID string `json:"channelId"`
	// Type is OverwriteRole or OverwriteMember; ID is the role's id or the
	// member's user id.
	Type  string   `json:"type" enum:"role,member"`
	ID    string   `json:"id"`
	Allow []string `json:"allow"`
	Deny  []string `json:"deny"`
}

// ChannelService manages channels and their overwrites. Every change needs
// MANAGE_CHANNELS from a user actor (EMISSINGPERMISSION).
type ChannelService interface {
	// PutChannel creates the channel, or renames it; Created reports
	// creation. Returns EVALIDATION, ECOMMUNITYNOTFOUND, ELIMITREACHED.
	PutChannel(ctx context.Context, c Channel) (Upserted[Channel], Revision, error)

	// FindChannel returns ECOMMUNITYNOTFOUND or ECHANNELNOTFOUND.
	FindChannel(ctx context.Context, communityID, id string) (Channel, error)

	// ListChannels returns a community's channels ordered by id.
	ListChannels(ctx context.Context, communityID string, page Page) ([]Channel, string, error)

	// DeleteChannel removes a channel and its overwrites.
	DeleteChannel(ctx context.Context, communityID, id string) (Revision, error)

	// SetOverwrite creates or replaces the overwrite of a role (id or
	// built-in alias) or a member in a channel. A user actor may only target
	// roles below their highest role (EROLEHIERARCHY) and only name
	// permissions they hold (ECANNOTGRANT). Returns ECHANNELNOTFOUND,
	// EROLENOTFOUND, EMEMBERNOTFOUND, EVALIDATION.
	SetOverwrite(ctx context.Context, communityID string, o Overwrite) (Overwrite, Revision, error)

	// DeleteOverwrite removes an overwrite, under the same guards as setting
	// it. Returns EOVERWRITENOTFOUND when there is none.
	DeleteOverwrite(ctx context.Context, communityID string, o Overwrite) (Revision, error)
}

// Clean trims and checks a channel.
func (c *Channel) Clean() error {
	var f fields
	f.id("channelId", c.ID)
	f.displayName("name", &c.Name)
	return f.err()
}

// Clean checks an overwrite's permissions and returns them sorted without
// repeats. ADMINISTRATOR cannot be overwritten, and no key may be both
// allowed and denied.
func (o *Overwrite) Clean() error {
	var f fields
	f.id("channelId", o.ChannelID)
	loc := "roleId"
	if o.Type == OverwriteMember {
		loc = "userId"
	}
	f.id(loc, o.ID)
	for _, side := range []struct {
		loc  string
		keys []string
	}{{"allow", o.Allow}, {"deny", o.Deny}} {
		for i, k := range side.keys {
			switch {
			case !ValidPermissionKey(k):
				f.add(fmt.Sprintf("%s[%d]", side.loc, i), "must be an UPPER_SNAKE_CASE permission key", k)
			case k == PermAdministrator:
				f.add(fmt.Sprintf("%s[%d]", side.loc, i), "ADMINISTRATOR cannot be overwritten in a channel", k)
			}
		}
	}
	o.Allow, o.Deny = CleanKeys(o.Allow), CleanKeys(o.Deny)
	for _, k := range o.Allow {
		if slices.Contains(o.Deny, k) {
			f.add("deny", "must not name a permission that allow names", k)
		}
	}
	if o.Allow == nil {
		o.Allow = []string{}
	}
	if o.Deny == nil {
		o.Deny = []string{}
	}
	return f.err()
}
