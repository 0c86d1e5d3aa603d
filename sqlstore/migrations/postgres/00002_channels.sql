-- +goose Up
CREATE TABLE channels (
    community_id TEXT COLLATE "C" NOT NULL REFERENCES communities (id) ON DELETE CASCADE,
    id           TEXT COLLATE "C" NOT NULL,
    name         TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (community_id, id)
);

-- An overwrite targets a role (target_type 'role', target_id the role id) or
-- a member ('member', the user id); its keys are in overwrite_permissions.
CREATE TABLE overwrites (
    community_id TEXT COLLATE "C" NOT NULL,
    channel_id   TEXT COLLATE "C" NOT NULL,
    target_type  TEXT COLLATE "C" NOT NULL,
    target_id    TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (community_id, channel_id, target_type, target_id),
    FOREIGN KEY (community_id, channel_id) REFERENCES channels (community_id, id) ON DELETE CASCADE
);
CREATE INDEX overwrites_target ON overwrites (target_id);

CREATE TABLE overwrite_permissions (
    community_id TEXT COLLATE "C" NOT NULL,
    channel_id   TEXT COLLATE "C" NOT NULL,
    target_type  TEXT COLLATE "C" NOT NULL,
    target_id    TEXT COLLATE "C" NOT NULL,
    key          TEXT COLLATE "C" NOT NULL REFERENCES permissions (key),
    effect       TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (community_id, channel_id, target_type, target_id, key),
    FOREIGN KEY (community_id, channel_id, target_type, target_id)
        REFERENCES overwrites (community_id, channel_id, target_type, target_id) ON DELETE CASCADE
);
CREATE INDEX overwrite_permissions_key ON overwrite_permissions (key);

-- +goose Down
DROP TABLE overwrite_permissions;
DROP TABLE overwrites;
DROP TABLE channels;
