-- E2E seed data, run by the postgres image's entrypoint from /docker-entrypoint-initdb.d/ when the
-- (fresh, tmpfs) data directory is initialised: as POSTGRES_USER, in POSTGRES_DB.
--
-- initdb.d runs BEFORE the deploy's `migrate` step, and the app owns its schema (orders is created
-- by Api's 0001 migration, recorded in schema_migrations with a checksum). Creating `orders` here
-- would make `migrate` fail, so the rows are staged in a schema of their own and copied into
-- `orders` by the `seed` one-shot in compose.test.yml after migrate has run.
CREATE SCHEMA seed;

CREATE TABLE seed.orders (
    id           uuid        PRIMARY KEY,
    item         text        NOT NULL,
    quantity     integer     NOT NULL,
    status       text        NOT NULL,
    created_at   timestamptz NOT NULL,
    processed_at timestamptz NULL
);

-- Already processed, so no Redis job is needed and the worker leaves them alone. Fixed ids and
-- timestamps in the past: tests can GET them by id, and new orders sort before them in GET /orders.
INSERT INTO seed.orders (id, item, quantity, status, created_at, processed_at) VALUES
    ('00000000-0000-7000-8000-000000000001', 'seed-widget', 1, 'processed', '2026-01-01T00:00:00Z', '2026-01-01T00:00:01Z'),
    ('00000000-0000-7000-8000-000000000002', 'seed-gadget', 5, 'processed', '2026-01-01T00:01:00Z', '2026-01-01T00:01:01Z'),
    ('00000000-0000-7000-8000-000000000003', 'seed-gear',  42, 'processed', '2026-01-01T00:02:00Z', '2026-01-01T00:02:01Z');
