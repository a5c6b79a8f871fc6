-- The patient and each relative with proxy rights reached through the citizen portal share the
-- portal's HER-id. Each is a recipient of its own: the journey keeps the citizen's pseudonymous
-- key (never a national id), and a step is once per (message, step, recipient, citizen,
-- attempt) instead of once per portal.
ALTER TABLE message_journey ADD COLUMN recipient_key text;
CREATE UNIQUE INDEX message_journey_once_per_citizen_idx
    ON message_journey (message_id, step, coalesce(recipient_her_id, ''),
                        coalesce(recipient_key, ''), attempt);
DROP INDEX message_journey_once_idx;
