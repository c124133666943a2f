-- slipway: expand (a new table: nothing that ran before it used the database)
-- Orders placed through the API and processed by the worker.
CREATE TABLE orders (
    id           uuid        PRIMARY KEY,
    item         text        NOT NULL CHECK (char_length(item) BETWEEN 1 AND 200),
    quantity     integer     NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    status       text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processed')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz NULL
);

-- GET /orders lists the most recent first.
CREATE INDEX orders_created_at_idx ON orders (created_at DESC, id DESC);
