-- Scorecards, the proposals of later rounds (the shortlist), stored rankings and publication.

-- One scorecard per judge, proposal and round. Revisions overwrite it; every revision is in the
-- audit log with before and after. Drafts may be incomplete and never count.
CREATE TABLE scorecard (
    competition_id bigint NOT NULL REFERENCES competition (id),
    round          text NOT NULL,
    judge_id       bigint NOT NULL REFERENCES judge (id),
    proposal_id    bigint NOT NULL REFERENCES proposal (id),
    scores         jsonb NOT NULL,
    total          numeric,
    comment        text NOT NULL DEFAULT '',
    submitted      boolean NOT NULL,
    revision       integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     text NOT NULL,
    PRIMARY KEY (competition_id, round, judge_id, proposal_id),
    CHECK (NOT submitted OR total IS NOT NULL)
);
CREATE INDEX scorecard_proposal_idx ON scorecard (competition_id, round, proposal_id);

-- Proposals moved into a later round by the shortlist action, with their rank in the earlier one.
CREATE TABLE round_entry (
    competition_id bigint NOT NULL REFERENCES competition (id),
    round          text NOT NULL,
    proposal_id    bigint NOT NULL REFERENCES proposal (id),
    from_round     text NOT NULL,
    from_rank      integer NOT NULL,
    PRIMARY KEY (competition_id, round, proposal_id)
);

-- The ranking of a round as the compute_ranking action computed it, so that what was announced
-- stays what it was; `wysc results` recomputes it from the scorecards at any time.
CREATE TABLE round_result (
    competition_id bigint NOT NULL REFERENCES competition (id),
    round          text NOT NULL,
    proposal_id    bigint NOT NULL REFERENCES proposal (id),
    rank           integer NOT NULL,
    score          numeric NOT NULL,
    raw_mean       numeric NOT NULL,
    judges         integer NOT NULL,
    disagreement   boolean NOT NULL,
    method         text NOT NULL,
    computed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (competition_id, round, proposal_id)
);

ALTER TABLE competition ADD COLUMN results_published_at timestamptz;
ALTER TABLE competition ADD COLUMN results_published_by text;
