package roster

import (
	"context"
	"strings"
	"time"
)

// UserToken is what a verified token of the host platform says: the user
// it was issued to, and the one community it is restricted to, if any.
type UserToken struct {
	UserID      string
	CommunityID string
	Issuer      string
	ExpiresAt   time.Time
}

// TokenKeyID is the key id of the actor a user token makes, as audit
// events record it.
const TokenKeyID = "token"

// TokenVerifier verifies the tokens the host platform issues to its users.
type TokenVerifier interface {
	// VerifyToken returns the user a token speaks for, or EUNAUTHENTICATED
	// saying why it does not: a bad signature, an unknown key, the wrong
	// issuer or audience, expired, not yet valid, malformed.
	VerifyToken(ctx context.Context, token string) (UserToken, error)
}

// IsUserToken reports whether a credential has the shape of a user token
// (a JWT: three parts apart by dots) rather than of an API key.
func IsUserToken(credential string) bool { return strings.Count(credential, ".") == 2 }
