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

// requireKeyAdmin lets a user actor manage keys only as a platform
// administrator.
func (tx *Tx) requireKeyAdmin() error {
	s, err := tx.subject(roster.Platform, "")
	if err != nil {
		return err
	}
	return authz.Require(s, roster.PermAdministrator)
}

// CreateAPIKey creates a key and returns it with its secret.
func (db *DB) CreateAPIKey(ctx context.Context, k roster.APIKey) (roster.APIKey, roster.Revision, error) {
	if err := k.Clean(db.now()); err != nil {
		return k, 0, err
	}
	var created roster.APIKey
	rev, err := db.update(ctx, func(tx *Tx) error {
		if k.CommunityID != nil {
			if _, err := scopeOwner(ctx, tx, *k.CommunityID); err != nil {
				return err
			}
		}
		if err := tx.requireKeyAdmin(); err != nil {
			return err
		}
		var err error
		created, err = tx.insertKey(k, newSecret())
		return err
	})
	if err != nil {
		return k, 0, err
	}
	return created, rev, nil
}

func (tx *Tx) insertKey(k roster.APIKey, secret string) (roster.APIKey, error) {
	k.ID, k.CreatedAt, k.RevokedAt = xid.New().String(), tx.now, nil
	_, err := tx.ExecContext(tx.ctx, `INSERT INTO api_keys (id, name, secret_hash, scopes, community_id, act_as, expires_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
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
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	s, err := subjectOf(ctx, tx, roster.Platform, "", roster.ActorFrom(ctx), db.now())
	if err != nil {
		return nil, "", err
	}
	if err := authz.Require(s, roster.PermAdministrator); err != nil {
		return nil, "", err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id > ? ORDER BY id LIMIT ?`, pg.after, pg.fetch())
	if err != nil {
		return nil, "", fmt.Errorf("sqlstore: keys: %w", err)
	}
	defer rows.Close()
	keys := []roster.APIKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, "", fmt.Errorf("sqlstore: keys: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlstore: keys: %w", err)
	}
	keys, next := paginate(pg, keys, func(k roster.APIKey) string { return k.ID })
	return keys, next, nil
}

// RevokeAPIKey revokes a key.
func (db *DB) RevokeAPIKey(ctx context.Context, id string) (roster.Revision, error) {
	return db.update(ctx, func(tx *Tx) error {
		k, err := scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
		if err != nil {
			return notFound(err, roster.EAPIKEYNOTFOUND, "API key %s not found", id)
		}
		if err := tx.requireKeyAdmin(); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return roster.Errorf(roster.EAPIKEYREVOKED, "API key %s is already revoked", id)
		}
		if live, err := tx.rootKeys(); err != nil {
			return err
		} else if len(live) == 1 && live[0] == k.ID {
			return roster.Errorf(roster.ELASTADMINKEY, "API key %s is the last live admin key: create another before revoking it", id)
		}
		return tx.revoke(k)
	})
}

func (tx *Tx) revoke(k roster.APIKey) error {
	before := k
	k.RevokedAt = &tx.now
	if _, err := tx.ExecContext(tx.ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, micros(tx.now), k.ID); err != nil {
		return fmt.Errorf("sqlstore: revoke key: %w", err)
	}
	return tx.event(roster.Platform, roster.ActionAPIKeyRevoked, roster.TargetAPIKey, k.ID, before, k)
}

// revokeKeysOf revokes the live keys restricted to a community.
func (tx *Tx) revokeKeysOf(community string) error {
	rows, err := tx.QueryContext(tx.ctx, `SELECT `+keyColumns+` FROM api_keys WHERE community_id = ? AND revoked_at IS NULL`, community)
	if err != nil {
		return fmt.Errorf("sqlstore: keys: %w", err)
	}
	var keys []roster.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("sqlstore: keys: %w", err)
		}
		keys = append(keys, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlstore: keys: %w", err)
	}
	for _, k := range keys {
		if err := tx.revoke(k); err != nil {
			return err
		}
	}
	return nil
}

// rootKeys returns the ids of the live admin keys not restricted to a
// community: those that can administer everything.
func (tx *Tx) rootKeys() ([]string, error) {
	return queryStrings(tx.ctx, tx, `SELECT id FROM api_keys WHERE revoked_at IS NULL AND community_id IS NULL
		AND (expires_at IS NULL OR expires_at > ?) AND ',' || scopes || ',' LIKE '%,admin,%'`, micros(tx.now))
}

// Authenticate returns the live key whose secret this is.
func (db *DB) Authenticate(ctx context.Context, secret string) (roster.APIKey, error) {
	k, err := scanKey(db.read.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE secret_hash = ?`, hashSecret(secret)))
	if err != nil {
		return k, notFound(err, roster.EUNAUTHENTICATED, "the API key is not valid")
	}
	if k.RevokedAt != nil {
		return k, roster.Errorf(roster.EUNAUTHENTICATED, "the API key is revoked")
	}
	if k.ExpiresAt != nil && !k.ExpiresAt.After(db.now()) {
		return k, roster.Errorf(roster.EUNAUTHENTICATED, "the API key has expired")
	}
	return k, nil
}

// EnsureBootstrapKey makes sure an admin key exists.
func (db *DB) EnsureBootstrapKey(ctx context.Context, secret string) (string, error) {
	if secret != "" && len(secret) < MinSecretLength {
		return "", fmt.Errorf("sqlstore: the admin key must be at least %d characters", MinSecretLength)
	}
	// created is the secret of the key created, "" when one existed.
	var created string
	_, err := db.update(roster.NewContext(ctx, roster.SystemActor), func(tx *Tx) error {
		created = ""
		secret := secret // a copy: each run starts from the parameter
		if secret != "" {
			k, err := scanKey(tx.QueryRowContext(tx.ctx, `SELECT `+keyColumns+` FROM api_keys WHERE secret_hash = ?`, hashSecret(secret)))
			switch {
			case err == nil && (k.RevokedAt != nil || k.ExpiresAt != nil && !k.ExpiresAt.After(tx.now)):
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
