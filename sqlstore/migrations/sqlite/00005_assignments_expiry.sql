-- +goose Up
-- Grants are removed once they expire (ExpireGrants), soonest first.
CREATE INDEX assignments_expiry ON assignments (expires_at) WHERE expires_at IS NOT NULL;

-- +goose Down
DROP INDEX assignments_expiry;
