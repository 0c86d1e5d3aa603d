package roster

import (
	"context"
	"encoding/json"
	"time"
)

// MaxMetadataBytes bounds the metadata object of a user or role.
const MaxMetadataBytes = 4096

// User is a user of the host platform, known by the host's own id. Roster
// creates the record the first time a user is referenced.
type User struct {
	ID          string          `json:"id"`
	DisplayName string          `json:"displayName"`
	Metadata    json.RawMessage `json:"metadata"`
	CreatedAt   time.Time       `json:"createdAt"`
	UpdatedAt   time.Time       `json:"updatedAt"`
}

// UserUpdate lists the fields of a user to set; nil fields stay as they are.
type UserUpdate struct {
	DisplayName *string
	Metadata    json.RawMessage
}

// Membership is one community a user belongs to, with the roles held there.
type Membership struct {
	Community Community `json:"community"`
	Member    Member    `json:"member"`
}

// UserService manages user records.
type UserService interface {
	// PutUser creates or updates a user record; Created reports creation.
	PutUser(ctx context.Context, id string, upd UserUpdate) (Upserted[User], Revision, error)

	// FindUser returns EUSERNOTFOUND for a user never referenced.
	FindUser(ctx context.Context, id string) (User, error)

	// ListMemberships returns every community the user belongs to, ordered by
	// community id, with the user's roles there. Returns EUSERNOTFOUND.
	ListMemberships(ctx context.Context, userID string, page Page) ([]Membership, string, error)
}

// Clean trims and checks a user update.
func (u *UserUpdate) Clean() error {
	var f fields
	f.displayName("displayName", u.DisplayName)
	f.metadata("metadata", u.Metadata)
	return f.err()
}
