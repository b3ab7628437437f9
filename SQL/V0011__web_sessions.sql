-- Web sign-in: a session per browser, opened with a personal token. Only the SHA-256 of the cookie
-- value is stored. A session lives while its token does: revoking the token ends it at once.
CREATE TABLE web_session (
    id_hash    text PRIMARY KEY,
    token_id   bigint NOT NULL REFERENCES api_token (id),
    -- Every form that changes something carries it; a request without it is refused.
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ended_at   timestamptz
);
CREATE INDEX web_session_token_idx ON web_session (token_id);

-- One-time sign-in links (`wysc token create --link`): the code works once, for a few minutes.
CREATE TABLE sign_in_link (
    code_hash  text PRIMARY KEY,
    token_id   bigint NOT NULL REFERENCES api_token (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
