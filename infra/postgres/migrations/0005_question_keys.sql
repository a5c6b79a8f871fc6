-- A Dialogmelding answer without a ConversationRef quotes its question's document id
-- (DokIdForesp). The journey keeps the question's key and the key an answer quotes in the
-- detail of their 'validated' rows; the recorder links them into the question's 'answered'
-- step by these indexes, whichever of the two it recorded first.
CREATE INDEX message_journey_question_key_idx ON message_journey ((detail->>'question_key'))
    WHERE step = 'validated' AND detail ? 'question_key';
CREATE INDEX message_journey_answers_question_idx ON message_journey ((detail->>'answers_question'))
    WHERE step = 'validated' AND detail ? 'answers_question';
