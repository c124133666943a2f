-- slipway: expand
-- Expand step: which worker build processed an order, so a canary's work can be told apart from
-- the stable release's. Nullable, so the previous API and worker keep working unchanged.
ALTER TABLE orders ADD COLUMN processed_by text NULL;
