-- Lecture attendance and quizzes, workshop participation, and who may go on.
-- Lectures and workshops themselves are declared in the competition's stored workflow.

CREATE TABLE lecture_attendance (
    competition_id bigint NOT NULL REFERENCES competition (id),
    member_id      bigint NOT NULL REFERENCES team_member (id),
    lecture        text NOT NULL,
    -- As the meeting tool exported it: a yes/no, minutes present, or both (minutes decide).
    present        boolean,
    minutes        integer CHECK (minutes >= 0),
    quiz_score     numeric CHECK (quiz_score >= 0),
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    recorded_by    text NOT NULL,
    PRIMARY KEY (member_id, lecture),
    CHECK (present IS NOT NULL OR minutes IS NOT NULL)
);
CREATE INDEX lecture_attendance_competition_idx ON lecture_attendance (competition_id, lecture);

CREATE TABLE workshop_checkin (
    competition_id bigint NOT NULL REFERENCES competition (id),
    team_id        bigint NOT NULL REFERENCES team (id),
    workshop       text NOT NULL,
    mentor_note    text,
    recorded_at    timestamptz NOT NULL DEFAULT now(),
    recorded_by    text NOT NULL,
    PRIMARY KEY (team_id, workshop)
);
CREATE INDEX workshop_checkin_competition_idx ON workshop_checkin (competition_id, workshop);

-- The verdict of the workflow's eligibility rules, written by the compute_eligibility action.
CREATE TABLE team_eligibility (
    team_id        bigint PRIMARY KEY REFERENCES team (id),
    competition_id bigint NOT NULL REFERENCES competition (id),
    eligible       boolean NOT NULL,
    reasons        jsonb NOT NULL DEFAULT '[]',
    computed_at    timestamptz NOT NULL DEFAULT now()
);

-- An organizer's decision for one team, which wins over the rules' verdict.
CREATE TABLE eligibility_override (
    team_id        bigint PRIMARY KEY REFERENCES team (id),
    competition_id bigint NOT NULL REFERENCES competition (id),
    eligible       boolean NOT NULL,
    reason         text NOT NULL CHECK (btrim(reason) <> ''),
    decided_by     text NOT NULL,
    decided_at     timestamptz NOT NULL DEFAULT now()
);
