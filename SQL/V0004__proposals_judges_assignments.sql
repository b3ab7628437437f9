-- Proposals (every version kept), judges, declared conflicts of interest and judge assignments.

-- A team's current proposal; earlier versions are in proposal_version.
CREATE TABLE proposal (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id bigint NOT NULL REFERENCES competition (id),
    team_id        bigint NOT NULL UNIQUE REFERENCES team (id),
    version        integer NOT NULL DEFAULT 1,
    title          text NOT NULL CHECK (btrim(title) <> ''),
    abstract       text NOT NULL CHECK (btrim(abstract) <> ''),
    link           text,
    tags           text[] NOT NULL DEFAULT '{}',
    submitted_at   timestamptz NOT NULL DEFAULT now(),
    submitted_by   text NOT NULL
);
CREATE INDEX proposal_competition_idx ON proposal (competition_id);

CREATE TABLE proposal_version (
    proposal_id  bigint NOT NULL REFERENCES proposal (id),
    version      integer NOT NULL,
    title        text NOT NULL,
    abstract     text NOT NULL,
    link         text,
    tags         text[] NOT NULL,
    submitted_at timestamptz NOT NULL,
    submitted_by text NOT NULL,
    PRIMARY KEY (proposal_id, version)
);

-- Judges serve one competition; their university and city drive the automatic conflict rules.
CREATE TABLE judge (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    competition_id   bigint NOT NULL REFERENCES competition (id),
    name             text NOT NULL CHECK (btrim(name) <> ''),
    email            text NOT NULL CHECK (email LIKE '%_@_%'),
    university       text NOT NULL DEFAULT '',
    city             text NOT NULL DEFAULT '',
    country          text NOT NULL DEFAULT '',
    expertise        text[] NOT NULL DEFAULT '{}',
    -- At most this many proposals per round; NULL: the round's max_load, or the smallest feasible.
    max_load         integer CHECK (max_load >= 0),
    withdrawn_at     timestamptz,
    withdrawn_reason text,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX judge_email_key ON judge (competition_id, lower(email));

-- Conflicts declared by a judge or an organizer; automatic ones (same university, same city)
-- are derived from the workflow's rules and never stored.
CREATE TABLE declared_conflict (
    judge_id       bigint NOT NULL REFERENCES judge (id),
    team_id        bigint NOT NULL REFERENCES team (id),
    competition_id bigint NOT NULL REFERENCES competition (id),
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    declared_by    text NOT NULL,
    declared_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (judge_id, team_id)
);

CREATE TABLE assignment (
    competition_id bigint NOT NULL REFERENCES competition (id),
    round          text NOT NULL,
    judge_id       bigint NOT NULL REFERENCES judge (id),
    proposal_id    bigint NOT NULL REFERENCES proposal (id),
    affinity       integer NOT NULL,
    assigned_at    timestamptz NOT NULL DEFAULT now(),
    assigned_by    text NOT NULL,
    PRIMARY KEY (competition_id, round, judge_id, proposal_id)
);
CREATE INDEX assignment_proposal_idx ON assignment (competition_id, round, proposal_id);
