-- Organizers of a competition who are told what concerns them (conflicts, blocked phases), besides
-- those the workflow names. Added and removed by `wysc organizer`, audited.
CREATE TABLE organizer (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id bigint NOT NULL REFERENCES competition (id),
    name           text NOT NULL CONSTRAINT organizer_name_length CHECK (btrim(name) <> '' AND char_length(name) <= 200),
    email          text NOT NULL CONSTRAINT organizer_email_length CHECK (email LIKE '%_@_%' AND char_length(email) <= 254),
    added_by       text NOT NULL,
    added_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organizer_email_key ON organizer (competition_id, lower(email));

-- The transactional outbox: a change that someone should hear about writes its messages here, in
-- the change's own transaction, already rendered; a sender delivers them later, at least once.
CREATE TABLE notification (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id  bigint NOT NULL REFERENCES competition (id),
    event           text NOT NULL,
    -- Set for what must be said once (a reminder per lead time, a blocked phase per visit): the
    -- unique index below makes "once" a constraint, even with several schedulers.
    once_key        text,
    recipient_name  text NOT NULL,
    recipient_email text NOT NULL,
    sender          text NOT NULL,
    reply_to        text,
    subject         text NOT NULL,
    text_body       text NOT NULL,
    html_body       text,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    -- NULL: due now; set after a failed attempt, to the time of the next one (backoff).
    next_attempt_at timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE UNIQUE INDEX notification_once_key ON notification (competition_id, once_key, lower(recipient_email)) WHERE once_key IS NOT NULL;
CREATE INDEX notification_pending_idx ON notification (id) WHERE status = 'pending';
CREATE INDEX notification_competition_idx ON notification (competition_id, id);
