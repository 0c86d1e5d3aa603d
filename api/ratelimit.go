package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/rosterhq/roster"
)

// Limits are the requests a key may make each second, sustained, by the
// scope of the operation (roster.ScopeCheck, ScopeRead, ScopeWrite,
// ScopeAdmin): checks, reads and writes each have their own bucket. A key
// may burst a second's worth at once. A scope absent, or 0, is not
// limited. A user token's limit is its user's; a key acting as users
// shares one. The buckets are this server's: with n replicas behind a
// balancer, a key may get up to n times the rate.
type Limits map[string]float64

// limiter holds the token buckets of the keys.
type limiter struct {
	limits Limits
	mu     sync.Mutex
	// buckets are by key, user (for user tokens) and scope.
	buckets map[bucket]*rate.Limiter
	swept   time.Time
}

type bucket struct{ key, user, scope string }

// sweepAt is how many buckets the limiter holds before it forgets those
// that are full again (as good as new), at most once a minute.
const sweepAt = 10_000

func newLimiter(l Limits) *limiter {
	for _, r := range l {
		if r > 0 && !math.IsInf(r, 0) {
			return &limiter{limits: l, buckets: map[bucket]*rate.Limiter{}}
		}
	}
	return nil
}

// allowance is what a request was allowed: its scope's rate, the tokens
// left, how long until there is one when there is none, and whether it
// was refused.
type allowance struct {
	scope   string
	rate    float64
	left    float64
	wait    time.Duration
	refused bool
}

// take takes a token of the actor's bucket for the scope, and reports the
// allowance; ok is false when the bucket is empty. A scope without a limit
// is always allowed, with no allowance to tell.
func (l *limiter) take(a roster.Actor, scope string, now time.Time) (allowance, bool) {
	perSec := l.limits[scope]
	if !(perSec > 0) || math.IsInf(perSec, 0) { // none, or NaN
		return allowance{}, true
	}
	k := bucket{key: a.KeyID, scope: scope}
	if a.KeyID == roster.TokenKeyID {
		k.user = a.UserID
	}
	burst := max(1, int(math.Ceil(perSec)))
	l.mu.Lock()
	b := l.buckets[k]
	if b == nil {
		if len(l.buckets) >= sweepAt && now.Sub(l.swept) > time.Minute {
			l.sweep(now)
		}
		b = rate.NewLimiter(rate.Limit(perSec), burst)
		l.buckets[k] = b
	}
	l.mu.Unlock()
	// The bucket locks itself: the map's lock is for finding it alone.
	ok := b.AllowN(now, 1)
	left := b.TokensAt(now)
	al := allowance{scope: scope, rate: perSec, left: max(left, 0), refused: !ok}
	if left < 1 {
		al.wait = time.Duration((1 - left) / perSec * float64(time.Second))
	}
	return al, ok
}

// sweep forgets the buckets that are full. The caller holds mu.
func (l *limiter) sweep(now time.Time) {
	l.swept = now
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(b.Burst()) {
			delete(l.buckets, k)
		}
	}
}

// headers sets the answer's RateLimit-Policy and RateLimit headers (IETF
// draft-ietf-httpapi-ratelimit-headers), and Retry-After when refused.
func (al allowance) headers(h http.Header) {
	if al.rate <= 0 {
		return
	}
	// A second's worth, or, under one a second, one per window.
	quota, window := int(math.Ceil(al.rate)), 1
	if al.rate < 1 {
		quota, window = 1, int(math.Ceil(1/al.rate))
	}
	h.Set("RateLimit-Policy", `"`+al.scope+`";q=`+strconv.Itoa(quota)+`;w=`+strconv.Itoa(window))
	reset := 0
	if al.wait > 0 {
		reset = max(1, int(math.Ceil(al.wait.Seconds())))
	}
	if al.refused {
		h.Set("Retry-After", strconv.Itoa(reset))
	}
	h.Set("RateLimit", `"`+al.scope+`";r=`+strconv.Itoa(int(al.left))+`;t=`+strconv.Itoa(reset))
}

// refusal is the error of a request over its limit.
func (al allowance) refusal() error {
	return roster.Errorf(roster.ERATELIMITED, "this key makes more than %g %s requests a second: retry after %s", al.rate, al.scope, al.wait.Round(time.Millisecond))
}
