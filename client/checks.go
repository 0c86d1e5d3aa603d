package client

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/rosterhq/roster"
)

var (
	_ roster.CheckService = (*Client)(nil)
	_ roster.ChangeFeed   = (*Client)(nil)
)

// checkItem is a check as the API takes it.
type checkItem struct {
	CommunityID string `json:"communityId,omitempty"`
	ChannelID   string `json:"channelId,omitempty"`
	UserID      string `json:"userId"`
	Permission  string `json:"permission"`
}

func item(ch roster.Check) checkItem {
	return checkItem{ch.CommunityID, ch.ChannelID, ch.UserID, ch.Permission}
}

// Allowed answers one check, from state at least as recent as minRevision
// (a revision a write returned, for read-your-writes; 0 for any).
func (c *Client) Allowed(ctx context.Context, ch roster.Check, minRevision roster.Revision) (bool, roster.Revision, error) {
	var out struct {
		Allowed  bool            `json:"allowed"`
		Revision roster.Revision `json:"revision"`
	}
	_, err := c.do(ctx, call{method: "POST", path: "/v1/check", body: struct {
		checkItem
		MinRevision roster.Revision `json:"minRevision,omitempty"`
	}{item(ch), minRevision}, out: &out})
	return out.Allowed, out.Revision, err
}

// Check answers up to roster.MaxCheckBatch checks in one request, in order.
func (c *Client) Check(ctx context.Context, checks []roster.Check, minRevision roster.Revision) ([]bool, roster.Revision, error) {
	items := make([]checkItem, len(checks))
	for i, ch := range checks {
		items[i] = item(ch)
	}
	var out struct {
		Results []struct {
			Allowed bool `json:"allowed"`
		} `json:"results"`
		Revision roster.Revision `json:"revision"`
	}
	_, err := c.do(ctx, call{method: "POST", path: "/v1/check/batch", body: struct {
		Checks      []checkItem     `json:"checks"`
		MinRevision roster.Revision `json:"minRevision,omitempty"`
	}{items, minRevision}, out: &out})
	if err != nil {
		return nil, 0, err
	}
	allowed := make([]bool, len(out.Results))
	for i, r := range out.Results {
		allowed[i] = r.Allowed
	}
	return allowed, out.Revision, nil
}

// EffectivePermissions reads a user's effective permissions in a scope, or
// in a channel of a community, with the reasons for each.
func (c *Client) EffectivePermissions(ctx context.Context, s, channelID, userID string) (roster.Effective, roster.Revision, error) {
	q := url.Values{"explain": {"true"}}
	if channelID != "" {
		q.Set("channelId", channelID)
	}
	var out struct {
		roster.Effective
		Revision roster.Revision `json:"revision"`
	}
	_, err := c.do(ctx, call{method: "GET", path: holder(s, userID) + "/permissions", query: q, out: &out})
	return out.Effective, out.Revision, err
}

// health is the answer of /healthz and /readyz.
type health struct {
	Status   string          `json:"status"`
	Revision roster.Revision `json:"revision"`
}

// Ready reports whether the server is ready: its database answers.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, call{method: "GET", path: "/readyz", out: &health{}})
	return err
}

// CurrentRevision returns the revision of the newest change the server
// knows.
func (c *Client) CurrentRevision(ctx context.Context) (roster.Revision, error) {
	var out health
	_, err := c.do(ctx, call{method: "GET", path: "/readyz", out: &out})
	return out.Revision, err
}

// filterQuery is the query of an event filter.
func filterQuery(f roster.EventFilter) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"communityId": f.CommunityID, "actor": f.Actor, "action": f.Action, "target": f.Target} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.PlatformOnly {
		q.Set("platform", "true")
	}
	return q
}

// ListEvents reads a page of the audit log.
func (c *Client) ListEvents(ctx context.Context, f roster.EventFilter, page roster.Page) ([]roster.Event, string, error) {
	q := filterQuery(f)
	if !f.Since.IsZero() {
		q.Set("since", f.Since.Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		q.Set("until", f.Until.Format(time.RFC3339Nano))
	}
	if f.Newest {
		q.Set("order", "desc")
	}
	return getList[roster.Event](ctx, c, "/v1/audit", q, page)
}

// Follow reads the change feed: at most limit events of the filter after
// the revision, waiting up to wait for one when none has come.
func (c *Client) Follow(ctx context.Context, f roster.EventFilter, after roster.Revision, limit int, wait time.Duration) (roster.ChangePage, error) {
	q := filterQuery(f)
	q.Set("after", strconv.FormatInt(int64(after), 10))
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	var out struct {
		Items     []roster.Event  `json:"items"`
		NextAfter roster.Revision `json:"nextAfter"`
	}
	_, err := c.do(ctx, call{method: "GET", path: "/v1/changes", query: q, out: &out})
	return roster.ChangePage{Events: out.Items, Next: out.NextAfter}, err
}
