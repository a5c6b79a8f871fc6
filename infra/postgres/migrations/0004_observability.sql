-- Observability: the dead-letter store behind `samflyt dlq`, and the hash-chained audit log of
-- every replay and every read of message content through samflyt's tools.

-- Dead letters as the record_journey agent read them from the deadletter topic, original bytes
-- kept (they may hold personal data: reading them is audited, see audit_log).
CREATE TABLE dead_letters (
    dead_letter_id   uuid PRIMARY KEY,
    failed_at        timestamptz NOT NULL,
    stage            text        NOT NULL,
    reason           text        NOT NULL,
    reason_code      text,
    detail           text        NOT NULL,
    message_id       text,                 -- as parsed; NULL when the input did not parse
    journey_id       text        NOT NULL, -- the message id its journey is filed under
    msg_type         text,
    sender_her_id    text,
    origin_topic     text        NOT NULL,
    origin_partition integer,
    origin_offset    bigint,
    origin_key       bytea,
    origin_headers   jsonb       NOT NULL DEFAULT '[]'::jsonb,  -- [[name, base64 value], ...]
    original         bytea       NOT NULL,
    trace_id         text,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    replays          integer     NOT NULL DEFAULT 0,
    last_replayed_at timestamptz
);
CREATE INDEX dead_letters_reason_idx ON dead_letters (reason, failed_at);
CREATE INDEX dead_letters_failed_idx ON dead_letters (failed_at);
CREATE INDEX dead_letters_journey_idx ON dead_letters (journey_id);

-- Append-only audit log. Each row's hash covers its fields and the previous row's hash, so a
-- changed row breaks its own hash and a deleted row breaks the chain (and the seq sequence).
CREATE TABLE audit_log (
    seq        bigint      PRIMARY KEY CHECK (seq > 0),
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    message_id text,
    target     text,
    reason     text        NOT NULL,
    detail     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    prev_hash  text        NOT NULL,
    hash       text        NOT NULL
);
CREATE INDEX audit_log_message_idx ON audit_log (message_id) WHERE message_id IS NOT NULL;

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- The quality report reads the journey by step and time.
CREATE INDEX message_journey_step_at_idx ON message_journey (step, at);
