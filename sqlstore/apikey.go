package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/rs/xid"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/authz"
)

// secretPrefix starts every generated secret, so that leaked keys are easy
// to recognise.
const secretPrefix = "roster_"

// MinSecretLength is the shortest secret ROSTER_ADMIN_KEY may set.
const MinSecretLength = 16

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newSecret returns a new secret of 256 random bits.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return secretPrefix + base64.RawURLEncoding.EncodeToString(b)
}

const keyColumns = `id, name, scopes, community_id, act_as, expires_at, created_at, revoked_at`

func scanKey(s scanner) (roster.APIKey, error) {
	var k roster.APIKey
	var scopes string
	var community sql.NullString
	var expires, revoked sql.NullInt64
	var created int64
	if err := s.Scan(&k.ID, &k.Name, &scopes, &community, &k.ActAs, &expires, &created, &revoked); err != nil {
		return k, err
	}
	k.Scopes = strings.Split(scopes, ",")
	k.CommunityID = strPtr(community)
	k.ExpiresAt, k.RevokedAt = timePtr(expires), timePtr(revoked)
	k.CreatedAt = fromMicros(created)
	return k, nil
}

// CreateAPIKey creates a key and returns it with its secret.
func (db *DB) CreateAPIKey(ctx context.Context, k roster.APIKey) (roster.APIKey, roster.Revision, error) {
	if err := k.Clean(db.now()); err != nil {
		return k, 0, err
	}
	var created roster.APIKey
	// A community's key is created only while the community exists.
	var also []string
	if k.CommunityID != nil {
		also = append(also, *k.CommunityID)
	}
	rev, err := db.updateScope(ctx, roster.Platform, func(tx *Tx, _ string) error {
		if k.CommunityID != nil {
			if _, err := scopeOwner(ctx, tx, *k.CommunityID); err != nil {
				return err
			}
		}
		s, err := tx.subject(roster.Platform, "")
		if err != nil {
			return err
		}
		if err := authz.CreateKey(authz.CreateKeyFacts{Actor: s}); err != nil {
			return err
		}
		created, err = tx.insertKey(k, newSecret())
		return err
	}, also...)
	if err != nil {
		return k, 0, err
	}
	return created, rev, nil
}

func (tx *Tx) insertKey(k roster.APIKey, secret string) (roster.APIKey, error) {
	k.ID, k.CreatedAt, k.RevokedAt = xid.New().String(), tx.now, nil
	_, err := tx.ExecContext(tx.ctx, `INSERT INTO api_keys (id, name, secret_hash, scopes, community_id, act_as, expires_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		k.ID, k.Name, hashSecret(secret), strings.Join(k.Scopes, ","), nullStr(k.CommunityID), k.ActAs, nullMicros(k.ExpiresAt), micros(k.CreatedAt))
	if err != nil {
		return k, fmt.Errorf("sqlstore: create key: %w", err)
	}
	if err := tx.event(roster.Platform, roster.ActionAPIKeyCreated, roster.TargetAPIKey, k.ID, nil, k); err != nil {
		return k, err
	}
	k.Secret = secret
	return k, nil
}

// ListAPIKeys returns keys ordered by id.
func (db *DB) ListAPIKeys(ctx context.Context, p roster.Page) ([]roster.APIKey, string, error) {
	pg, err := parsePage(p)
	if err != nil {
		return nil, "", err
	}
	var keys []roster.APIKey
	err = db.viewScope(ctx, roster.Platform, func(tx sqlTx, _ string) error {
		s, err := subjectOf(ctx, tx, roster.Platform, "", roster.ActorFrom(ctx), db.now())
		if err != nil {
			return err
		}
		if err := authz.ListKeys(authz.ListKeysFacts{Actor: s}); err != nil {
			return err
		}
		keys, err = collect(ctx, tx, "keys", `SELECT `+keyColumns+` FROM api_keys WHERE id > $1 ORDER BY id LIMIT $2`, []any{pg.after, pg.fetch()}, scanKey)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	keys, next := paginate(pg, keys, func(k roster.APIKey) string { return k.ID })
	return keys, next, nil
}

// RevokeAPIKey revokes a key.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) (roster.Revision, error) {
	return db.updateScope(ctx, roster.Platform, func(tx *Tx, _ string) error {
		k, err := scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
		if err != nil {
			return notFound(err, roster.EAPIKEYNOTFOUND, "API key %s not found", id)
		}
		f := authz.RevokeKeyFacts{Key: k}
		if f.Actor, err = tx.subject(roster.Platform, ""); err != nil {
			return err
		}
		if f.RootKeys, err = tx.rootKeys(); err != nil {
			return err
		}
		if err := authz.RevokeKey(f); err != nil {
			return err
		}
		return tx.revoke(k)
	})
}

func (tx *Tx) revoke(k roster.APIKey) error {
	before := k
	k.RevokedAt = &tx.now
	if _, err := tx.ExecContext(tx.ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2`, micros(tx.now), k.ID); err != nil {
		return fmt.Errorf("sqlstore: revoke key: %w", err)
	}
	return tx.event(roster.Platform, roster.ActionAPIKeyRevoked, roster.TargetAPIKey, k.ID, before, k)
}

// revokeKeysOf revokes the live keys restricted to a community.
func (tx *Tx) revokeKeysOf(community string) error {
	keys, err := collect(tx.ctx, tx, "keys", `SELECT `+keyColumns+` FROM api_keys WHERE community_id = $1 AND revoked_at IS NULL`, []any{community}, scanKey)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.revoke(k); err != nil {
			return err
		}
	}
	return nil
}

// rootKeys returns the ids of the root keys: those that can administer
// everything (authz.IsRootKey).
func (tx *Tx) rootKeys() ([]string, error) {
	keys, err := collect(tx.ctx, tx, "keys", `SELECT `+keyColumns+` FROM api_keys WHERE revoked_at IS NULL AND community_id IS NULL`, nil, scanKey)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, k := range keys {
		if authz.IsRootKey(k, tx.now) {
			ids = append(ids, k.ID)
		}
	}
	return ids, nil
}

// Authenticate returns the live key whose secret this is.
func (db *DB) Authenticate(ctx context.Context, secret string) (roster.APIKey, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE secret_hash = $1`, hashSecret(secret)))
	if err != nil {
		return k, notFound(err, roster.EUNAUTHENTICATED, "the API key is not valid")
	}
	return k, authz.KeyLive(k, db.now())
}

// EnsureBootstrapKey makes sure an admin key exists.
func (db *DB) EnsureBootstrapKey(ctx context.Context, secret string) (string, error) {
	if secret != "" && len(secret) < MinSecretLength {
		return "", fmt.Errorf("sqlstore: the admin key must be at least %d characters", MinSecretLength)
	}
	// created is the secret of the key created, "" when one existed.
	var created string
	_, err := db.update(roster.NewContext(ctx, roster.SystemActor), roster.Platform, func(tx *Tx) error {
		created = ""
		secret := secret // a copy: each run starts from the parameter
		if secret != "" {
			k, err := scanKey(tx.QueryRowContext(tx.ctx, `SELECT `+keyColumns+` FROM api_keys WHERE secret_hash = $1`, hashSecret(secret)))
			switch {
			case err == nil && authz.KeyLive(k, tx.now) != nil:
				return fmt.Errorf("sqlstore: the admin key set is API key %s, which is revoked or expired: set a new one", k.ID)
			case err == nil:
				return nil
			case !errors.Is(err, sql.ErrNoRows):
				return fmt.Errorf("sqlstore: keys: %w", err)
			}
		} else if live, err := tx.rootKeys(); err != nil || len(live) > 0 {
			return err
		} else {
			secret = newSecret()
		}
		if _, err := tx.insertKey(roster.APIKey{Name: "bootstrap admin", Scopes: []string{roster.ScopeAdmin}}, secret); err != nil {
			return err
		}
		created = secret
		return nil
	})
	if err != nil {
		return "", err
	}
	return created, nil
}
