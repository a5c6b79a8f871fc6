-- Connectors: source positions, published message ids (exactly-once publishing), the core
-- journal outbox read by the kjernejournal change feed, and the message store sink.

-- Last committed position of each source, per stream inside the source.
CREATE TABLE IF NOT EXISTS connector_positions (
    connector   text        NOT NULL,
    stream      text        NOT NULL,
    "offset"    text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (connector, stream)
);

-- Message ids a source has claimed ('pending': about to be sent) or published (acknowledged by
-- the broker). Written in the same transaction as the position; a 'pending' row left by a crash
-- is resolved at start-up by reading the topic back (see docs/connectors.md).
CREATE TABLE IF NOT EXISTS connector_published (
    connector       text        NOT NULL,
    message_id      text        NOT NULL,
    topic           text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('pending', 'published')),
    kafka_partition integer,
    kafka_offset    bigint,
    claimed_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    PRIMARY KEY (connector, message_id)
);
CREATE INDEX IF NOT EXISTS connector_published_pending
    ON connector_published (connector, claimed_at) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS connector_published_age
    ON connector_published (published_at) WHERE state = 'published';

-- Change events of the national core journal, written by its adapter in the same transaction
-- as the change. tx_id lets the reader skip rows of transactions still in flight, so a row with
-- a lower id that commits late is never passed over.
CREATE TABLE IF NOT EXISTS kjernejournal_outbox (
    id          bigserial   PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    event_type  text        NOT NULL,
    patient_key text,
    payload     bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    tx_id       xid8        NOT NULL DEFAULT pg_current_xact_id()
);

CREATE OR REPLACE FUNCTION kjernejournal_outbox_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kjernejournal_outbox', NEW.id::text);
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS kjernejournal_outbox_notify ON kjernejournal_outbox;
CREATE TRIGGER kjernejournal_outbox_notify
    AFTER INSERT ON kjernejournal_outbox
    FOR EACH ROW EXECUTE FUNCTION kjernejournal_outbox_notify();

-- Every canonical event and delivery, queryable by message id, conversation and pseudonymous
-- patient key (a keyed hash; the national id is never stored in clear outside the payload).
CREATE TABLE IF NOT EXISTS message_store (
    id               bigserial   PRIMARY KEY,
    kind             text        NOT NULL,
    message_id       text        NOT NULL,
    conversation_id  text,
    patient_key      text,
    message_type     text,
    sender_her_id    text,
    recipient_her_id text,
    topic            text        NOT NULL,
    kafka_partition  integer     NOT NULL,
    kafka_offset     bigint      NOT NULL,
    headers          jsonb       NOT NULL DEFAULT '{}'::jsonb,
    payload          bytea       NOT NULL,
    stored_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, kafka_partition, kafka_offset)
);
CREATE INDEX IF NOT EXISTS message_store_message_id ON message_store (message_id);
CREATE INDEX IF NOT EXISTS message_store_conversation
    ON message_store (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS message_store_patient
    ON message_store (patient_key, stored_at) WHERE patient_key IS NOT NULL;
