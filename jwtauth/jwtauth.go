// Package jwtauth verifies the tokens a host platform issues to its users
// (JWTs), so that they sign in to Roster as themselves: HS256 with a shared
// secret, or RS256, ES256 and EdDSA with keys from a JWKS file or URL. It
// implements roster.TokenVerifier with github.com/lestrrat-go/jwx/v3.
package jwtauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"

	"github.com/rosterhq/roster"
)

// Options configure a verifier. Issuer and Audience are required, and at
// least one of HS256Secret and JWKS.
type Options struct {
	Issuer   string
	Audience string
	// HS256Secret verifies tokens signed with HS256.
	HS256Secret []byte
	// JWKS is a file or an http(s) URL of a JSON Web Key Set, whose keys
	// verify RS256, ES256 and EdDSA tokens by their kid. A URL's set is
	// fetched again every RefreshEvery, and when a token names a kid it
	// lacks (at most every MinRefresh).
	JWKS string
	// CommunityClaim names the claim that restricts a token to one
	// community; roster_community when empty.
	CommunityClaim string
	// Skew is the clock skew allowed for exp and nbf; 30 s when zero.
	Skew time.Duration
	// Now is the clock; time.Now when nil.
	Now roster.Clock
	// Client fetches a JWKS URL; one with a 10 s timeout when nil.
	Client *http.Client
}

// Refresh bounds of a JWKS URL.
const (
	RefreshEvery = 15 * time.Minute
	MinRefresh   = 10 * time.Second
)

// Verifier verifies user tokens.
type Verifier struct {
	opt Options

	mu      sync.Mutex
	keys    jwk.Set
	fetched time.Time

	// verified remembers the tokens verified lately, by their hash, so that
	// a token sent with every request is verified once a minute, not each
	// time (an RS256 signature costs tens of microseconds).
	verified     sync.Map // [32]byte → verified
	verifiedSize atomic.Int64
}

// verified is a token found valid, and until when that holds.
type verified struct {
	user  roster.UserToken
	until time.Time
}

// Bounds of the verified tokens remembered.
const (
	rememberFor = time.Minute
	maxVerified = 10_000
)

// New returns a verifier, having read the JWKS when one is named.
func New(ctx context.Context, opt Options) (*Verifier, error) {
	switch {
	case opt.Issuer == "" || opt.Audience == "":
		return nil, errors.New("jwtauth: user tokens need --jwt-issuer and --jwt-audience")
	case opt.HS256Secret == nil && opt.JWKS == "":
		return nil, errors.New("jwtauth: user tokens need --jwt-hs256-secret-file or --jwt-jwks")
	case opt.HS256Secret != nil && len(opt.HS256Secret) < 32:
		return nil, errors.New("jwtauth: the HS256 secret must be at least 32 bytes")
	}
	if opt.CommunityClaim == "" {
		opt.CommunityClaim = "roster_community"
	}
	if opt.Skew == 0 {
		opt.Skew = 30 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	v := &Verifier{opt: opt}
	if opt.JWKS != "" {
		if err := v.load(ctx); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (v *Verifier) isURL() bool {
	return strings.HasPrefix(v.opt.JWKS, "https://") || strings.HasPrefix(v.opt.JWKS, "http://")
}

// load reads the key set.
func (v *Verifier) load(ctx context.Context) error {
	var set jwk.Set
	var err error
	if v.isURL() {
		set, err = jwk.Fetch(ctx, v.opt.JWKS, jwk.WithHTTPClient(v.opt.Client))
	} else {
		set, err = jwk.ReadFile(v.opt.JWKS)
	}
	if err != nil {
		return fmt.Errorf("jwtauth: reading the JWKS %s: %w", v.opt.JWKS, err)
	}
	v.mu.Lock()
	v.keys, v.fetched = set, v.opt.Now()
	v.mu.Unlock()
	return nil
}

// keySet returns the key set, fetched again when it is old, or when a kid
// was not found in it and it is not too young.
func (v *Verifier) keySet(ctx context.Context, missing bool) jwk.Set {
	v.mu.Lock()
	set, age := v.keys, v.opt.Now().Sub(v.fetched)
	v.mu.Unlock()
	if v.isURL() && (age > RefreshEvery || missing && age > MinRefresh) {
		if err := v.load(ctx); err == nil {
			v.mu.Lock()
			set = v.keys
			v.mu.Unlock()
		}
	}
	return set
}

// VerifyToken returns the user a token speaks for.
func (v *Verifier) VerifyToken(ctx context.Context, token string) (roster.UserToken, error) {
	sum := sha256.Sum256([]byte(token))
	now := v.opt.Now()
	if got, ok := v.verified.Load(sum); ok && now.Before(got.(verified).until) {
		return got.(verified).user, nil
	}
	u, err := v.verify(ctx, token)
	if err != nil {
		v.verified.Delete(sum)
		return u, err
	}
	// Remembered a minute at most, and never past its expiry.
	until := now.Add(rememberFor)
	if exp := u.ExpiresAt.Add(v.opt.Skew); exp.Before(until) {
		until = exp
	}
	if _, again := v.verified.Swap(sum, verified{u, until}); !again && v.verifiedSize.Add(1) > maxVerified {
		v.verified.Clear()
		v.verifiedSize.Store(0)
	}
	return u, nil
}

// verify checks a token's signature and claims.
func (v *Verifier) verify(ctx context.Context, token string) (roster.UserToken, error) {
	t, err := v.parse(ctx, token, false)
	if err != nil && v.opt.JWKS != "" && errors.Is(err, errUnknownKey) {
		t, err = v.parse(ctx, token, true)
	}
	if err != nil {
		return roster.UserToken{}, err
	}
	u := roster.UserToken{}
	u.UserID, _ = t.Subject()
	u.Issuer, _ = t.Issuer()
	u.ExpiresAt, _ = t.Expiration()
	if err := roster.CheckID("sub", u.UserID); err != nil || u.UserID == "" {
		return u, refused("its sub is not a user id (1-128 of A-Z a-z 0-9 . _ : @ -)")
	}
	if _, ok := t.Expiration(); !ok {
		return u, refused("it has no exp")
	}
	var community string
	if err := t.Get(v.opt.CommunityClaim, &community); err == nil && community != "" {
		if roster.CheckID(v.opt.CommunityClaim, community) != nil {
			return u, refused("its " + v.opt.CommunityClaim + " is not a community id")
		}
		u.CommunityID = community
	}
	return u, nil
}

var errUnknownKey = errors.New("no key of the JWKS has the token's kid")

// parse verifies the token's signature and its claims.
func (v *Verifier) parse(ctx context.Context, token string, refresh bool) (jwt.Token, error) {
	opts := []jwt.ParseOption{
		jwt.WithIssuer(v.opt.Issuer), jwt.WithAudience(v.opt.Audience),
		jwt.WithAcceptableSkew(v.opt.Skew), jwt.WithClock(jwt.ClockFunc(v.opt.Now)),
		jwt.WithValidate(true),
	}
	if v.opt.HS256Secret != nil {
		opts = append(opts, jwt.WithKey(jwa.HS256(), v.opt.HS256Secret))
	}
	var set jwk.Set
	if v.opt.JWKS != "" {
		set = v.keySet(ctx, refresh)
		opts = append(opts, jwt.WithKeySet(set, jws.WithInferAlgorithmFromKey(true)))
	}
	t, err := jwt.ParseString(token, opts...)
	if err == nil {
		return t, nil
	}
	if set != nil && !v.knownKid(token, set) {
		return nil, fmt.Errorf("%w: %w", refused("it is signed with a key Roster does not know"), errUnknownKey)
	}
	return nil, refused(reason(err))
}

// knownKid reports whether the token's header names a kid of the set.
func (v *Verifier) knownKid(token string, set jwk.Set) bool {
	msg, err := jws.Parse([]byte(token))
	if err != nil || len(msg.Signatures()) == 0 {
		return true // malformed: not a matter of keys
	}
	kid, ok := msg.Signatures()[0].ProtectedHeaders().KeyID()
	if !ok {
		return v.opt.HS256Secret != nil
	}
	_, found := set.LookupKeyID(kid)
	return found
}

// reason says, without the token, why it was refused.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.TokenExpiredError()):
		return "it has expired"
	case errors.Is(err, jwt.TokenNotYetValidError()):
		return "it is not valid yet (nbf)"
	case errors.Is(err, jwt.InvalidIssuerError()):
		return "its iss is not this server's issuer"
	case errors.Is(err, jwt.InvalidAudienceError()):
		return "its aud does not name this server's audience"
	case errors.Is(err, jwt.InvalidIssuedAtError()):
		return "its iat is in the future"
	}
	return "its signature does not verify, or it is malformed"
}

func refused(why string) *roster.Error {
	return roster.Errorf(roster.EUNAUTHENTICATED, "the user token is refused: %s", why)
}
