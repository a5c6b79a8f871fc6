-- The audit chain is keyed: each row says how its hash was made. Rows already written keep
-- the unkeyed SHA-256 ('sha256'); samflyt writes every new one as an HMAC-SHA256 with a key
-- kept outside the database ('hmac-sha256'), so the table's owner cannot recompute the chain
-- of a row it rewrote. `samflyt audit verify` accepts unkeyed rows only before the first keyed
-- one, and compares the chain with its anchors on the audit.anchor Kafka topic.
ALTER TABLE audit_log ADD COLUMN hash_alg text NOT NULL DEFAULT 'sha256'
    CHECK (hash_alg IN ('sha256', 'hmac-sha256'));
ALTER TABLE audit_log ALTER COLUMN hash_alg DROP DEFAULT;
