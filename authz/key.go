package authz

import (
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster"
)

// Reach returns nil when the actor's key may reach scope: any scope for an
// unrestricted key, only its community for a key restricted to one. Outside
// it, the platform scope is insufficient_scope, and another community does
// not exist for the key (community_not_found). Every front, the store and
// the index call it before anything else of a request is read.
func Reach(a roster.Actor, scope string) error {
	// Small enough to inline on the check path, where it almost always
	// lets the request through.
	if a.CommunityID == "" || scope == a.CommunityID {
		return nil
	}
	return outside(a.CommunityID, scope)
}

// outside is the refusal of a key restricted to community reaching scope.
func outside(community, scope string) error {
	if scope == roster.Platform {
		return roster.Errorf(roster.EINSUFFICIENTSCOPE, "this key is restricted to community %s", community)
	}
	return roster.Errorf(roster.ECOMMUNITYNOTFOUND, "community %s not found", scope)
}

// Reachable returns the one community the actor's key reaches, or "" when
// it reaches every scope: a list of communities shows only what Reach lets
// through.
func Reachable(a roster.Actor) string { return a.CommunityID }

// keyAllows reports whether a key holding scopes may do what needs scope
// want: admin allows everything, write all reads and mutations but key
// management, read reads and checks, check only checks.
func keyAllows(scopes []string, want string) bool {
	need := slices.Index(roster.KeyScopes, want)
	for _, s := range scopes {
		if slices.Index(roster.KeyScopes, s) >= need {
			return true
		}
	}
	return false
}

// KeyLive returns unauthenticated unless the key may be used at now: not
// revoked, not expired.
func KeyLive(k roster.APIKey, now time.Time) error {
	if k.RevokedAt != nil {
		return roster.Errorf(roster.EUNAUTHENTICATED, "the API key is revoked")
	}
	if k.ExpiresAt != nil && !k.ExpiresAt.After(now) {
		return roster.Errorf(roster.EUNAUTHENTICATED, "the API key has expired")
	}
	return nil
}

// IsRootKey reports whether the key can administer everything at now: live,
// with the admin scope, and not restricted to a community. A deployment
// always keeps one.
func IsRootKey(k roster.APIKey, now time.Time) bool {
	return KeyLive(k, now) == nil && k.CommunityID == nil && slices.Contains(k.Scopes, roster.ScopeAdmin)
}

// AdmitFacts are the facts that decide whether an API key may call an
// operation at all, before anything else of the request is read.
type AdmitFacts struct {
	Key roster.APIKey
	Op  Operation
	// Community is the community the request names in its path, if any.
	Community string
	// ActAs is the user the request asks the key to act as, if any.
	ActAs string
}

// Admit decides whether the key may call the operation: its scopes must
// include what the operation needs; a key restricted to a community reaches
// only it (Reach), and no platform operation; only a key made with actAs may
// name an acting user.
func Admit(f AdmitFacts) error {
	if !keyAllows(f.Key.Scopes, f.Op.Scope) {
		return roster.Errorf(roster.EINSUFFICIENTSCOPE, "this key's scopes (%s) do not include %s", strings.Join(f.Key.Scopes, ", "), f.Op.Scope)
	}
	if f.Key.CommunityID != nil {
		a := roster.Actor{CommunityID: *f.Key.CommunityID}
		if f.Op.Platform {
			if err := Reach(a, roster.Platform); err != nil {
				return err
			}
		} else if f.Community != "" {
			if err := Reach(a, f.Community); err != nil {
				return err
			}
		}
	}
	if f.ActAs != "" && !f.Key.ActAs {
		return roster.Errorf(roster.EINSUFFICIENTSCOPE, "this key may not act as a user (it was created without actAs)")
	}
	return nil
}

// CreateKeyFacts are the facts that decide creating an API key.
type CreateKeyFacts struct {
	// Actor is the actor at platform scope.
	Actor Subject
}

// CreateKey decides whether the actor may create a key: a user needs
// ADMINISTRATOR at platform scope.
func CreateKey(f CreateKeyFacts) error { return Require(f.Actor, roster.PermAdministrator) }

// ListKeysFacts are the facts that decide listing the API keys.
type ListKeysFacts struct {
	// Actor is the actor at platform scope.
	Actor Subject
}

// ListKeys decides whether the actor may list the keys: a user needs
// ADMINISTRATOR at platform scope.
func ListKeys(f ListKeysFacts) error { return Require(f.Actor, roster.PermAdministrator) }

// RevokeKeyFacts are the facts that decide revoking an API key.
type RevokeKeyFacts struct {
	// Actor is the actor at platform scope.
	Actor Subject
	Key   roster.APIKey
	// RootKeys are the ids of the root keys now (IsRootKey).
	RootKeys []string
}

// RevokeKey decides whether the actor may revoke the key: a user needs
// ADMINISTRATOR at platform scope; a key is revoked once, and the last root
// key stays (create its successor first).
func RevokeKey(f RevokeKeyFacts) error {
	if err := Require(f.Actor, roster.PermAdministrator); err != nil {
		return err
	}
	if f.Key.RevokedAt != nil {
		return roster.Errorf(roster.EAPIKEYREVOKED, "API key %s is already revoked", f.Key.ID)
	}
	if len(f.RootKeys) == 1 && f.RootKeys[0] == f.Key.ID {
		return roster.Errorf(roster.ELASTADMINKEY, "API key %s is the last live admin key: create another before revoking it", f.Key.ID)
	}
	return nil
}

// TokenKey is the key a user token is admitted as: the write scope (reads,
// writes and checks, each guarded by the user's own roles, never keys or
// webhooks), acting as the token's user, restricted to its community if it
// names one. A request that names another acting user is refused.
func TokenKey(t roster.UserToken, actAs string) (roster.APIKey, error) {
	if actAs != "" && actAs != t.UserID {
		return roster.APIKey{}, roster.Errorf(roster.EINSUFFICIENTSCOPE, "a user token acts as its own user (%s) alone, not as %s", t.UserID, actAs)
	}
	k := roster.APIKey{ID: roster.TokenKeyID, Name: "user token", Scopes: []string{roster.ScopeWrite}, ActAs: true}
	if t.CommunityID != "" {
		k.CommunityID = &t.CommunityID
	}
	return k, nil
}
