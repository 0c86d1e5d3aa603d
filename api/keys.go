package api

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// keyCacheTTL bounds how long a key found valid is trusted without asking
// the store again: a key revoked through another replica stops working
// within it. Revocations through this server take effect at once.
const keyCacheTTL = time.Second

// keyCache remembers the API keys recently found valid, by the hash of
// their secret, so that the check routes do not read the database. A check
// reads it without a lock, which two cores taking in turn for every request
// would pass between them.
type keyCache struct {
	keys sync.Map // [32]byte → *cachedKey
	// size counts the keys stored since the cache was last emptied, to
	// bound it.
	size atomic.Int64
	// gen counts the times the cache was emptied: a key cached in an
	// earlier generation, or read from the store before then, is not used.
	gen atomic.Uint64
}

type cachedKey struct {
	key     roster.APIKey
	checked time.Time
	gen     uint64
}

// keyOf returns the API key a request's headers carry: Authorization:
// Bearer <key>, or X-API-Key: <key>. header looks headers up by their
// canonical names.
func (s *Server) keyOf(ctx context.Context, header func(string) string) (roster.APIKey, error) {
	secret, err := credential(header)
	if err != nil {
		return roster.APIKey{}, err
	}
	return s.authenticateKey(ctx, secret)
}

// credential returns the secret a request's headers carry.
func credential(header func(string) string) (string, error) {
	secret := strings.TrimSpace(header("X-Api-Key"))
	if auth := header("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return "", roster.Errorf(roster.EUNAUTHENTICATED, "the Authorization header must be: Bearer <key>")
		}
		secret = strings.TrimSpace(token)
	}
	if secret == "" {
		return "", roster.Errorf(roster.EUNAUTHENTICATED, "this needs an API key: Authorization: Bearer <key>, or X-API-Key: <key>")
	}
	return secret, nil
}

// userToken returns the user token (a JWT: three parts apart by dots) an
// Authorization header carries, when the server takes user tokens.
func (s *Server) userToken(header func(string) string) (string, bool) {
	if s.tokens == nil {
		return "", false
	}
	auth := header("Authorization")
	scheme, token, _ := strings.Cut(auth, " ")
	token = strings.TrimSpace(token)
	return token, strings.EqualFold(scheme, "Bearer") && roster.IsUserToken(token)
}

// authenticateKey returns the key of a secret, from the cache when it was
// checked less than keyCacheTTL ago.
func (s *Server) authenticateKey(ctx context.Context, secret string) (roster.APIKey, error) {
	var b [128]byte // the secret, copied here rather than to the heap
	sum := sha256.Sum256(append(b[:0], secret...))
	now := s.now()
	c := &s.keys
	gen := c.gen.Load()
	if v, ok := c.keys.Load(sum); ok {
		k := v.(*cachedKey)
		if k.gen == gen && now.Sub(k.checked) < keyCacheTTL && authz.KeyLive(k.key, now) == nil {
			return k.key, nil
		}
	}
	key, err := s.store.Authenticate(ctx, secret)
	if err != nil {
		c.keys.Delete(sum)
		return key, err
	}
	if _, again := c.keys.Swap(sum, &cachedKey{key: key, checked: now, gen: gen}); !again && c.size.Add(1) > 10_000 {
		c.keys.Clear()
		c.size.Store(0)
	}
	return key, nil
}

// forgetKeys empties the cache, after a change that may revoke keys.
func (s *Server) forgetKeys() {
	s.keys.gen.Add(1)
	s.keys.keys.Clear()
	s.keys.size.Store(0)
}
