-- The transaction log: each message's journey through samflyt, one row per step.
-- Indexed by message id, conversation and pseudonymous patient key; never a national id.
CREATE TABLE message_journey (
    id              bigserial PRIMARY KEY,
    message_id      text        NOT NULL,
    step            text        NOT NULL CHECK (step IN (
                        'received', 'validated', 'rejected', 'routed', 'refused',
                        'delivered', 'receipt', 'deadlettered', 'replayed', 'overdue', 'answered')),
    at              timestamptz NOT NULL DEFAULT now(),
    stage           text        NOT NULL,
    msg_type        text,
    sender_her_id   text,
    recipient_her_id text,
    reason          text,
    conversation_id text,
    patient_key     text,
    trace_id        text,
    attempt         integer     NOT NULL DEFAULT 1,
    detail          jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX message_journey_message_idx ON message_journey (message_id, at);
CREATE INDEX message_journey_conversation_idx ON message_journey (conversation_id) WHERE conversation_id IS NOT NULL;
CREATE INDEX message_journey_patient_idx ON message_journey (patient_key) WHERE patient_key IS NOT NULL;
CREATE INDEX message_journey_at_idx ON message_journey (at);
-- one row per (message, step, recipient, attempt): a redelivered record cannot double a step
CREATE UNIQUE INDEX message_journey_once_idx
    ON message_journey (message_id, step, coalesce(recipient_her_id, ''), attempt);
