package client

import (
	"context"
	"net/http"

	"github.com/rosterhq/roster"
)

var _ roster.ChannelService = (*Client)(nil)

// PutChannel creates a channel, or renames it.
func (c *Client) PutChannel(ctx context.Context, ch roster.Channel) (roster.Upserted[roster.Channel], roster.Revision, error) {
	var out roster.Channel
	a, err := c.do(ctx, call{method: "PUT", path: path("/v1/communities", ch.CommunityID, "channels", ch.ID), body: struct {
		Name string `json:"name,omitempty"`
	}{ch.Name}, out: &out})
	return roster.Upserted[roster.Channel]{Value: out, Created: a.status == http.StatusCreated}, a.revision, err
}

// FindChannel reads a channel with its overwrites.
func (c *Client) FindChannel(ctx context.Context, communityID, id string) (roster.Channel, error) {
	var out roster.Channel
	_, err := c.do(ctx, call{method: "GET", path: path("/v1/communities", communityID, "channels", id), out: &out})
	return out, err
}

// ListChannels reads a page of a community's channels.
func (c *Client) ListChannels(ctx context.Context, communityID string, page roster.Page) ([]roster.Channel, string, error) {
	return getList[roster.Channel](ctx, c, path("/v1/communities", communityID, "channels"), nil, page)
}

// DeleteChannel deletes a channel and its overwrites.
func (c *Client) DeleteChannel(ctx context.Context, communityID, id string) (roster.Revision, error) {
	a, err := c.do(ctx, call{method: "DELETE", path: path("/v1/communities", communityID, "channels", id)})
	return a.revision, err
}

// overwritePath is the route of an overwrite.
func overwritePath(communityID string, o roster.Overwrite) string {
	kind := "roles"
	if o.Type == roster.OverwriteMember {
		kind = "members"
	}
	return path("/v1/communities", communityID, "channels", o.ChannelID, "overwrites", kind, o.ID)
}

// SetOverwrite sets the overwrite of a role or a member in a channel.
func (c *Client) SetOverwrite(ctx context.Context, communityID string, o roster.Overwrite) (roster.Overwrite, roster.Revision, error) {
	var out roster.Overwrite
	a, err := c.do(ctx, call{method: "PUT", path: overwritePath(communityID, o), body: struct {
		Allow []string `json:"allow,omitempty"`
		Deny  []string `json:"deny,omitempty"`
	}{o.Allow, o.Deny}, out: &out})
	return out, a.revision, err
}

// DeleteOverwrite removes an overwrite.
func (c *Client) DeleteOverwrite(ctx context.Context, communityID string, o roster.Overwrite) (roster.Revision, error) {
	a, err := c.do(ctx, call{method: "DELETE", path: overwritePath(communityID, o)})
	return a.revision, err
}
