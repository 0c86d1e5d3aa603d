-- +goose Up
-- Webhook endpoints, with the state of their delivery: the revision every
-- event they take has been delivered through, and the lease of the replica
-- that delivers them. secret and old_secret are sealed (secrets.go).
CREATE TABLE webhooks (
    id                TEXT COLLATE "C" PRIMARY KEY,
    scope             TEXT COLLATE "C" NOT NULL,
    url               TEXT NOT NULL,
    events            TEXT NOT NULL,
    description       TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    disabled_reason   TEXT NOT NULL DEFAULT '',
    secret            TEXT NOT NULL,
    old_secret        TEXT,
    old_secret_until  BIGINT,
    delivered_through BIGINT NOT NULL,
    failing_since     BIGINT,
    lease_owner       TEXT NOT NULL DEFAULT '',
    lease_until       BIGINT NOT NULL DEFAULT 0,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);

-- Each attempt to deliver an event to an endpoint; ids sort by time.
CREATE TABLE webhook_attempts (
    id         TEXT COLLATE "C" PRIMARY KEY,
    webhook_id TEXT COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery_id TEXT NOT NULL,
    revision   BIGINT NOT NULL,
    action     TEXT NOT NULL,
    attempt    INTEGER NOT NULL,
    at         BIGINT NOT NULL,
    status     INTEGER NOT NULL,
    latency_ms BIGINT NOT NULL,
    outcome    TEXT NOT NULL,
    error      TEXT NOT NULL,
    response   TEXT NOT NULL,
    next_at    BIGINT
);
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts (webhook_id, id);

-- +goose Down
DROP TABLE webhook_attempts;
DROP TABLE webhooks;
