-- Competitions run from a stored workflow, their phase history, universities and teams.

-- Universities take part in many editions, so they are not tied to one competition.
CREATE TABLE university (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    city       text NOT NULL CHECK (btrim(city) <> ''),
    country    text NOT NULL CHECK (btrim(country) <> ''),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX university_name_key ON university (lower(name));

CREATE TABLE competition (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug             text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    title            text NOT NULL,
    -- The workflow file as it was when the competition was created: editing the file later
    -- does not change a running competition.
    workflow_file    text NOT NULL,
    workflow_source  text NOT NULL,
    phase            text NOT NULL,
    phase_entered_at timestamptz NOT NULL DEFAULT now(),
    deadline_passed  boolean NOT NULL DEFAULT false,
    -- Bumped by every transition: lets a caller say "advance from the phase I saw".
    version          integer NOT NULL DEFAULT 1,
    rosters_frozen_at timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text NOT NULL
);

CREATE TABLE phase_transition (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id   bigint NOT NULL REFERENCES competition (id),
    from_phase       text NOT NULL,
    to_phase         text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('advance', 'force', 'reopen', 'deadline')),
    reason           text,
    -- For a forced transition: the guards that did not hold when it was taken.
    overridden_guards jsonb,
    actor            text NOT NULL,
    occurred_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX phase_transition_competition_idx ON phase_transition (competition_id, id);

CREATE TABLE team (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id bigint NOT NULL REFERENCES competition (id),
    name           text NOT NULL CHECK (btrim(name) <> ''),
    university_id  bigint NOT NULL REFERENCES university (id),
    registered_at  timestamptz NOT NULL DEFAULT now(),
    registered_by  text NOT NULL
);
CREATE UNIQUE INDEX team_name_key ON team (competition_id, lower(name));
CREATE INDEX team_university_idx ON team (university_id);

CREATE TABLE team_member (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id        bigint NOT NULL REFERENCES team (id),
    -- Repeated from the team so that "one person, one team per competition" is a constraint.
    competition_id bigint NOT NULL REFERENCES competition (id),
    name           text NOT NULL CHECK (btrim(name) <> ''),
    email          text NOT NULL CHECK (email LIKE '%_@_%'),
    birth_date     date,
    role           text NOT NULL CHECK (role IN ('leader', 'member'))
);
CREATE UNIQUE INDEX team_member_email_key ON team_member (competition_id, lower(email));
CREATE INDEX team_member_team_idx ON team_member (team_id);

-- Audit rows of a competition can be listed per competition.
ALTER TABLE audit_log ADD COLUMN competition_id bigint REFERENCES competition (id);
CREATE INDEX audit_log_competition_idx ON audit_log (competition_id, occurred_at);
