package api

import (
	"context"
	"crypto/sha256"
	"strings"
	"sync"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// keyCacheTTL bounds how long a key found valid is trusted without asking
// the store again: a key revoked through another replica stops working
// within it. Revocations through this server take effect at once.
const keyCacheTTL = time.Second

// keyCache remembers the API keys recently found valid, by the hash of
// their secret, so that the check routes do not read the database.
type keyCache struct {
	mu   sync.RWMutex
	keys map[[32]byte]cachedKey
	// gen counts the times the cache was emptied: a key read from the
	// store before then is not cached after.
	gen uint64
}

type cachedKey struct {
	key     roster.APIKey
	checked time.Time
}

// keyOf returns the API key a request's headers carry: Authorization:
// Bearer <key>, or X-API-Key: <key>. header looks headers up by their
// canonical names.
func (s *Server) keyOf(ctx context.Context, header func(string) string) (roster.APIKey, error) {
	secret := strings.TrimSpace(header("X-Api-Key"))
	if auth := header("Authorization"); auth != "" {
		scheme, token, _ := strings.Cut(auth, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return roster.APIKey{}, roster.Errorf(roster.EUNAUTHENTICATED, "the Authorization header must be: Bearer <key>")
		}
		secret = strings.TrimSpace(token)
	}
	if secret == "" {
		return roster.APIKey{}, roster.Errorf(roster.EUNAUTHENTICATED, "this needs an API key: Authorization: Bearer <key>, or X-API-Key: <key>")
	}
	return s.authenticateKey(ctx, secret)
}

// authenticateKey returns the key of a secret, from the cache when it was
// checked less than keyCacheTTL ago.
func (s *Server) authenticateKey(ctx context.Context, secret string) (roster.APIKey, error) {
	var b [128]byte // the secret, copied here rather than to the heap
	sum := sha256.Sum256(append(b[:0], secret...))
	now := s.now()
	c := &s.keys
	c.mu.RLock()
	k, ok := c.keys[sum]
	gen := c.gen
	c.mu.RUnlock()
	if ok && now.Sub(k.checked) < keyCacheTTL && authz.KeyLive(k.key, now) == nil {
		return k.key, nil
	}
	key, err := s.store.Authenticate(ctx, secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		delete(c.keys, sum)
		return key, err
	}
	if gen != c.gen {
		return key, nil
	}
	if c.keys == nil || len(c.keys) > 10_000 {
		c.keys = map[[32]byte]cachedKey{}
	}
	c.keys[sum] = cachedKey{key: key, checked: now}
	return key, nil
}

// forgetKeys empties the cache, after a change that may revoke keys.
func (s *Server) forgetKeys() {
	s.keys.mu.Lock()
	s.keys.keys = nil
	s.keys.gen++
	s.keys.mu.Unlock()
}
