-- Personal API tokens for `wysc serve`, and idempotency keys that make retried requests safe.

-- Only the SHA-256 of a token is stored; the token itself is shown once, when it is created.
CREATE TABLE api_token (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash     text NOT NULL UNIQUE,
    role           text NOT NULL CHECK (role IN ('organizer', 'judge', 'university')),
    -- organizer: a name; judge: the judge's id; university: the university's id.
    subject        text NOT NULL,
    label          text NOT NULL,
    competition_id bigint REFERENCES competition (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text NOT NULL,
    expires_at     timestamptz,
    revoked_at     timestamptz,
    last_used_at   timestamptz
);

-- A request sent again with the same Idempotency-Key by the same caller gets the first answer.
CREATE TABLE idempotency_key (
    actor        text NOT NULL,
    key          text NOT NULL,
    request_hash text NOT NULL,
    status       integer,
    body         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
