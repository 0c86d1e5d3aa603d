-- +goose Up
-- Times are Unix microseconds (UTC). The platform scope is the empty string.
-- Text keys sort bytewise (COLLATE "C"), as on SQLite, so that listings and
-- their cursors follow the same order on both engines.

CREATE TABLE permissions (
    key         TEXT COLLATE "C" PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    builtin     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);

INSERT INTO permissions (key, builtin, created_at, description) VALUES
    ('ADMINISTRATOR', TRUE, 0, 'Every permission, and bypasses channel overwrites'),
    ('MANAGE_COMMUNITY', TRUE, 0, 'Rename and configure the community'),
    ('MANAGE_ROLES', TRUE, 0, 'Create, edit, reorder, delete, assign and remove roles below one''s highest role'),
    ('MANAGE_CHANNELS', TRUE, 0, 'Create and configure channels and their overwrites'),
    ('MANAGE_MEMBERS', TRUE, 0, 'Add and remove members'),
    ('BAN_MEMBERS', TRUE, 0, 'Ban members'),
    ('MUTE_MEMBERS', TRUE, 0, 'Mute members'),
    ('VIEW_AUDIT_LOG', TRUE, 0, 'Read the audit log'),
    ('VIEW_CHANNEL', TRUE, 0, 'See channels'),
    ('SEND_MESSAGES', TRUE, 0, 'Send messages'),
    ('CREATE_POST', TRUE, 0, 'Create posts'),
    ('MANAGE_POSTS', TRUE, 0, 'Edit and delete others'' posts'),
    ('ADD_REACTIONS', TRUE, 0, 'React to messages and posts'),
    ('ATTACH_FILES', TRUE, 0, 'Attach files'),
    ('MENTION_EVERYONE', TRUE, 0, 'Mention everyone'),
    ('CREATE_COMMUNITY', TRUE, 0, 'Create communities (platform scope)');

CREATE TABLE users (
    id           TEXT COLLATE "C" PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    metadata     TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE communities (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    owner_id   TEXT COLLATE "C" REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE members (
    community_id TEXT COLLATE "C" NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    user_id      TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    display_name TEXT NOT NULL DEFAULT '',
    joined_at    BIGINT NOT NULL,
    PRIMARY KEY (community_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

CREATE TABLE roles (
    id          TEXT COLLATE "C" PRIMARY KEY,
    scope       TEXT COLLATE "C" NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT COLLATE "C" NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    colour      TEXT,
    position    BIGINT NOT NULL,
    is_default  BOOLEAN NOT NULL DEFAULT FALSE,
    badge       BOOLEAN NOT NULL DEFAULT FALSE,
    builtin     TEXT NOT NULL DEFAULT '',
    metadata    TEXT,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (scope, name_key)
);
CREATE INDEX roles_scope_position ON roles (scope, position);

CREATE TABLE role_permissions (
    role_id TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    key     TEXT COLLATE "C" NOT NULL REFERENCES permissions (key),
    PRIMARY KEY (role_id, key)
);
CREATE INDEX role_permissions_key ON role_permissions (key);

-- Unlike on SQLite, assignments have no foreign keys: every write that adds
-- one reads the role and the holder's membership (whose row references
-- users) in the same SERIALIZABLE transaction, a role's or a member's
-- assignments are deleted, with their events, before it is, and users are
-- never deleted. The triggers checking each row would take a third of the
-- time of a big batch-add.
CREATE TABLE assignments (
    role_id         TEXT COLLATE "C" NOT NULL,
    user_id         TEXT COLLATE "C" NOT NULL,
    source          TEXT COLLATE "C" NOT NULL,
    scope           TEXT COLLATE "C" NOT NULL,
    granted_by_key  TEXT NOT NULL,
    granted_by_user TEXT NOT NULL DEFAULT '',
    granted_at      BIGINT NOT NULL,
    expires_at      BIGINT,
    PRIMARY KEY (role_id, user_id, source)
);
CREATE INDEX assignments_scope_user ON assignments (scope, user_id);
CREATE INDEX assignments_role_user ON assignments (role_id, user_id);

CREATE TABLE audit_events (
    revision    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor_key   TEXT COLLATE "C" NOT NULL,
    actor_user  TEXT COLLATE "C" NOT NULL DEFAULT '',
    request_id  TEXT NOT NULL DEFAULT '',
    scope       TEXT COLLATE "C" NOT NULL,
    action      TEXT COLLATE "C" NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT COLLATE "C" NOT NULL,
    before      TEXT,
    after       TEXT
);
CREATE INDEX audit_scope ON audit_events (scope, revision);
CREATE INDEX audit_target ON audit_events (target_id, revision);
CREATE INDEX audit_action ON audit_events (action, revision);

CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    community_id TEXT COLLATE "C",
    act_as       BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at   BIGINT,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
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
