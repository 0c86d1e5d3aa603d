-- +goose Up
-- A scope's role names are unique on roster.NameKey(name) (NFKC, case
-- folded, without default-ignorable characters) where they were on the
-- lower-cased name. Neither engine computes NameKey in SQL, so this table
-- records that the keys of the roles written before are still to be
-- recomputed: sqlstore does it in Go once the migrations are applied, in
-- one transaction that also sets form to 1 (sqlstore/namekey.go).
CREATE TABLE role_name_keys (
    form INTEGER NOT NULL
);
INSERT INTO role_name_keys (form) VALUES (0);

-- +goose Down
-- The keys stay NameKeys, which the code before compares new names' lower
-- cased forms with: a role whose name is not plain lower-case ASCII may
-- then be given a lookalike.
DROP TABLE role_name_keys;
