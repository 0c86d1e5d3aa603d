package roster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Key scopes, from the narrowest to the widest: each includes those before.
const (
	ScopeCheck = "check"
	ScopeRead  = "read"
	ScopeWrite = "write"
	ScopeAdmin = "admin"
)

// KeyScopes lists the scopes in increasing order of power.
var KeyScopes = []string{ScopeCheck, ScopeRead, ScopeWrite, ScopeAdmin}

// APIKey is a credential of the host platform's backend. Its secret is shown
// once at creation; Roster stores only its hash.
type APIKey struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// CommunityID restricts the key to one community when not nil.
	CommunityID *string `json:"communityId"`
	// ActAs lets the key name an acting user with the Roster-Act-As header.
	ActAs     bool       `json:"actAs"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	// Secret is set only in the answer to CreateAPIKey.
	Secret string `json:"secret,omitempty"`
}

// Actor returns the actor of a request made with the key, acting as user
// (empty for the key itself).
func (k APIKey) Actor(user string) Actor {
	a := Actor{KeyID: k.ID, UserID: user}
	if k.CommunityID != nil {
		a.CommunityID = *k.CommunityID
	}
	return a
}

// APIKeyService manages API keys.
type APIKeyService interface {
	// CreateAPIKey creates a key and returns it with its secret. Returns
	// EVALIDATION and ECOMMUNITYNOTFOUND.
	CreateAPIKey(ctx context.Context, k APIKey) (APIKey, Revision, error)

	// ListAPIKeys returns keys ordered by id, without secrets.
	ListAPIKeys(ctx context.Context, page Page) ([]APIKey, string, error)

	// RevokeAPIKey revokes a key; it stops working at once. Returns
	// EAPIKEYNOTFOUND, EAPIKEYREVOKED if already revoked, and ELASTADMINKEY
	// for the last live admin key that is not restricted to a community.
	RevokeAPIKey(ctx context.Context, id string) (Revision, error)

	// Authenticate returns the live key whose secret this is, or
	// EUNAUTHENTICATED for an unknown, revoked or expired one.
	Authenticate(ctx context.Context, secret string) (APIKey, error)

	// EnsureBootstrapKey makes sure a live admin key exists. With a secret, a
	// key with that secret is created unless it exists (an error if it was
	// revoked or has expired); without one, a key is created when no live,
	// unrestricted admin key exists, and its secret returned (else empty).
	EnsureBootstrapKey(ctx context.Context, secret string) (string, error)
}

// Clean trims and checks a new key's fields, collapsing duplicate scopes.
func (k *APIKey) Clean(now time.Time) error {
	var f fields
	k.Name = strings.TrimSpace(k.Name)
	if k.Name == "" {
		f.add("name", "must not be empty", k.Name)
	}
	f.line("name", k.Name)
	if len(k.Scopes) == 0 {
		f.add("scopes", "must list at least one of check, read, write, admin", nil)
	}
	for i, s := range k.Scopes {
		if !slices.Contains(KeyScopes, s) {
			f.add(fmt.Sprintf("scopes[%d]", i), "must be one of check, read, write, admin", s)
		}
	}
	k.Scopes = CleanKeys(k.Scopes)
	f.future("expiresAt", k.ExpiresAt, now)
	if k.CommunityID != nil {
		f.id("communityId", *k.CommunityID)
	}
	return f.err()
}
