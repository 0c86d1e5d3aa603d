-- +goose Up
-- The primary key (role_id, user_id, source) already serves every lookup
-- by role, and by role and user: this index only cost every grant and
-- every removal one more index entry to write.
DROP INDEX assignments_role_user;

-- +goose Down
CREATE INDEX assignments_role_user ON assignments (role_id, user_id);
