// Package roster holds Roster's domain: the types of a roles & permissions
// service for community platforms, their validation, the service interfaces
// every store implements, and the one error type. It imports no driver and no
// HTTP: the rules live in package authz, storage in sqlstore, the API in api.
package roster

import (
	"context"
	"fmt"
	"time"
)

// Version is the build's version, set with -ldflags at release time.
var Version = "dev"

// Platform is the scope id of the platform scope. Community ids are never
// empty, so the empty string cannot name a community.
const Platform = ""

// ScopeRef returns how a scope appears in JSON: nil for the platform, else a
// pointer to the community id.
func ScopeRef(scope string) *string {
	if scope == Platform {
		return nil
	}
	return &scope
}

// MaxIDLength is the longest user or community id.
const MaxIDLength = 128

// Revision is the position of an event in the change log. Revisions strictly
// increase; every state a client can observe is identified by one.
type Revision int64

// Actor is who makes a request: an API key acting as itself, or a user on
// whose behalf the key acts.
type Actor struct {
	KeyID string `json:"keyId"`
	// UserID is the acting user; empty when the key acts as itself.
	UserID string `json:"userId,omitempty"`
	// CommunityID restricts the key to one community when not empty.
	CommunityID string `json:"-"`
	// RequestID ties the audit events of a request to its log line.
	RequestID string `json:"-"`
}

// IsUser reports whether the actor is a user (whose roles the guards check)
// rather than a key acting as itself.
func (a Actor) IsUser() bool { return a.UserID != "" }

// SystemActor is the actor of changes Roster makes itself, such as creating
// the platform's built-in roles or the bootstrap key.
var SystemActor = Actor{KeyID: "system"}

type actorKey struct{}

// actorContext carries an actor: one allocation per request, where
// context.WithValue would box the actor in a second.
type actorContext struct {
	context.Context
	actor Actor
}

// Value returns a pointer to the actor for actorKey, and the parent's
// values for any other key.
func (c *actorContext) Value(key any) any {
	if key == (actorKey{}) {
		return &c.actor
	}
	return c.Context.Value(key)
}

// NewContext returns a copy of ctx carrying the actor.
func NewContext(ctx context.Context, a Actor) context.Context {
	return &actorContext{Context: ctx, actor: a}
}

// ActorFrom returns the actor carried by ctx, or the system actor when none
// is: only Roster itself calls services without an actor.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(*Actor); ok {
		return *a
	}
	return SystemActor
}

// Page asks for one page of a list: at most Limit items after Cursor.
type Page struct {
	Limit  int
	Cursor string
}

// Page limits.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Check returns a validation error unless the limit is 0 (for the default)
// or 1 to MaxPageLimit.
func (p Page) Check() error {
	if p.Limit < 0 || p.Limit > MaxPageLimit {
		return Invalid(FieldError{Location: "limit", Message: fmt.Sprintf("must be between 1 and %d", MaxPageLimit), Value: p.Limit})
	}
	return nil
}

// Upserted is the outcome of a write that creates or updates: the value
// afterwards, and whether the write created it.
type Upserted[T any] struct {
	Value   T
	Created bool
}

// Clock returns the current time; stores take one so tests can fix time.
type Clock func() time.Time
