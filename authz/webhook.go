package authz

import "github.com/rosterhq/roster"

// WebhookScope returns the scope of an endpoint a key creates: the one
// asked, which a key restricted to a community must be able to reach; the
// restricted key's own community when none is asked.
func WebhookScope(a roster.Actor, community *string) (string, error) {
	if community == nil {
		return a.CommunityID, nil
	}
	return *community, Reach(a, *community)
}

// WebhookFacts are the facts that decide managing an endpoint.
type WebhookFacts struct {
	// Actor is the actor in the endpoint's scope: its community, or the
	// platform scope for an endpoint of every community.
	Actor Subject
	// Scope is the endpoint's, which the actor's key must reach.
	Scope string
	Key   roster.Actor
	// Count is, when creating one, how many endpoints the scope has.
	Count    int
	Creating bool
}

// ManageWebhook decides creating, reading, changing, testing or deleting
// an endpoint. Its deliveries carry the change log, so a user needs
// VIEW_AUDIT_LOG as well as MANAGE_COMMUNITY in its scope; a key restricted
// to a community manages that community's endpoints alone.
func ManageWebhook(f WebhookFacts) error {
	if err := Reach(f.Key, f.Scope); err != nil {
		if f.Scope != roster.Platform && !f.Creating {
			return roster.Errorf(roster.EWEBHOOKNOTFOUND, "webhook not found")
		}
		return err
	}
	for _, p := range []string{roster.PermManageCommunity, roster.PermViewAuditLog} {
		if err := Require(f.Actor, p); err != nil {
			return err
		}
	}
	if f.Creating && f.Count >= roster.MaxWebhooks {
		return roster.Errorf(roster.ELIMITREACHED, "a community, or the platform, holds at most %d webhooks", roster.MaxWebhooks)
	}
	return nil
}
