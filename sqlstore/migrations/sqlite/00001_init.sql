-- +goose Up
-- Times are Unix microseconds (UTC). The platform scope is the empty string.

CREATE TABLE permissions (
    key         TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    builtin     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

INSERT INTO permissions (key, builtin, created_at, description) VALUES
    ('ADMINISTRATOR', 1, 0, 'Every permission, and bypasses channel overwrites'),
    ('MANAGE_COMMUNITY', 1, 0, 'Rename and configure the community'),
    ('MANAGE_ROLES', 1, 0, 'Create, edit, reorder, delete, assign and remove roles below one''s highest role'),
    ('MANAGE_CHANNELS', 1, 0, 'Create and configure channels and their overwrites'),
    ('MANAGE_MEMBERS', 1, 0, 'Add and remove members'),
    ('BAN_MEMBERS', 1, 0, 'Ban members'),
    ('MUTE_MEMBERS', 1, 0, 'Mute members'),
    ('VIEW_AUDIT_LOG', 1, 0, 'Read the audit log'),
    ('VIEW_CHANNEL', 1, 0, 'See channels'),
    ('SEND_MESSAGES', 1, 0, 'Send messages'),
    ('CREATE_POST', 1, 0, 'Create posts'),
    ('MANAGE_POSTS', 1, 0, 'Edit and delete others'' posts'),
    ('ADD_REACTIONS', 1, 0, 'React to messages and posts'),
    ('ATTACH_FILES', 1, 0, 'Attach files'),
    ('MENTION_EVERYONE', 1, 0, 'Mention everyone'),
    ('CREATE_COMMUNITY', 1, 0, 'Create communities (platform scope)');

CREATE TABLE users (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    metadata     TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE communities (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    owner_id   TEXT REFERENCES users (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE members (
    community_id TEXT NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id      TEXT NOT NULL REFERENCES users (id),
    display_name TEXT NOT NULL DEFAULT '',
    joined_at    INTEGER NOT NULL,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    scope       TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    colour      TEXT,
    position    INTEGER NOT NULL,
    is_default  INTEGER NOT NULL DEFAULT 0,
    badge       INTEGER NOT NULL DEFAULT 0,
    builtin     TEXT NOT NULL DEFAULT '',
    metadata    TEXT,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (scope, name_key)
);
CREATE INDEX roles_scope_position ON roles (scope, position);

CREATE TABLE role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    key     TEXT NOT NULL REFERENCES permissions (key),
    PRIMARY KEY (role_id, key)
);
CREATE INDEX role_permissions_key ON role_permissions (key);

CREATE TABLE assignments (
    role_id         TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    user_id         TEXT NOT NULL REFERENCES users (id),
    source          TEXT NOT NULL,
    scope           TEXT NOT NULL,
    granted_by_key  TEXT NOT NULL,
    granted_by_user TEXT NOT NULL DEFAULT '',
    granted_at      INTEGER NOT NULL,
    expires_at      INTEGER,
    PRIMARY KEY (role_id, user_id, source)
);
CREATE INDEX assignments_scope_user ON assignments (scope, user_id);
CREATE INDEX assignments_role_user ON assignments (role_id, user_id);

CREATE TABLE audit_events (
    revision    INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor_key   TEXT NOT NULL,
    actor_user  TEXT NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    scope       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_scope ON audit_events (scope, revision);
CREATE INDEX audit_target ON audit_events (target_id, revision);
CREATE INDEX audit_action ON audit_events (action, revision);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    community_id TEXT,
    act_as       INTEGER NOT NULL DEFAULT 0,
    expires_at   INTEGER,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);

-- +goose Down
DROP TABLE api_keys;
DROP TABLE audit_events;
DROP TABLE assignments;
DROP TABLE role_permissions;
DROP TABLE roles;
DROP TABLE members;
DROP TABLE communities;
DROP TABLE users;
DROP TABLE permissions;
