-- One scorecard submission in one statement: every check the database answers (the competition
-- not changed since the caller read it, the acting judge, the assignment, withdrawal, conflicts,
-- the revision the caller expects) and the write with its audit row. A judge's submission at a
-- deadline is one round trip and one statement, run in its own transaction or the caller's.
--
-- The caller (wysc) has already checked what needs the workflow: the phase is open for scoring,
-- the round, the values against the rubric (p_scores, p_total) and the texts. p_version is the
-- competition's version it read them from; a phase change since makes the answer
-- 'competition_changed' and nothing is written.
--
-- The automatic conflict rules (same university, same city) compare names as wysc's
-- ConflictRules does: trimmed, case-insensitive. For ASCII names that is exactly lower(btrim())
-- under the "C" collation. A name with other characters (where case folding depends on Unicode
-- tables) is decided by wysc: the answer is 'check_affiliations' with the four names, nothing is
-- written, and wysc calls again with those names in p_checked once it found no conflict; they
-- must still be the stored ones.
--
-- Answers (outcome): added, revised, unchanged (with the revision now); refusals, with nothing
-- written: competition_changed, no_judge, not_own, not_assigned, withdrawn, conflict,
-- check_affiliations, stale (revision: the stored one), stale_first (a first scorecard written
-- meanwhile by someone else).
CREATE FUNCTION submit_scorecard(
    p_competition bigint, p_version integer, p_round text, p_actor text, p_actor_judge bigint, p_judge_email text,
    p_proposal bigint, p_scores jsonb, p_total float8, p_comment text, p_feedback text, p_submitted boolean,
    p_expected integer[], p_expected_any boolean, p_same_university boolean, p_same_city boolean, p_checked text[]
) RETURNS TABLE (outcome text, revision integer, judge_email text, affiliations text[])
LANGUAGE plpgsql AS $$
#variable_conflict error
DECLARE
    ascii_blanks constant text := E' \t\n\r\x0B\x0C';
    v_judge bigint;
    v_email text;
    facts record;
    names text[];
    stored record;
    only_if_new boolean := p_expected IS NOT NULL AND p_expected = ARRAY[0] AND NOT p_expected_any;
    v_after jsonb;
BEGIN
    PERFORM 1 FROM competition c WHERE c.id = p_competition AND c.version = p_version FOR SHARE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'competition_changed', 0, NULL::text, NULL::text[];
        RETURN;
    END IF;

    IF p_actor_judge IS NOT NULL THEN
        SELECT j.id, j.email INTO v_judge, v_email FROM judge j WHERE j.id = p_actor_judge AND j.competition_id = p_competition;
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'no_judge', 0, NULL::text, NULL::text[];
            RETURN;
        END IF;
        IF p_judge_email IS NOT NULL AND lower(p_judge_email) <> lower(v_email) THEN
            RETURN QUERY SELECT 'not_own', 0, v_email, NULL::text[];
            RETURN;
        END IF;
    ELSE
        SELECT j.id, j.email INTO v_judge, v_email FROM judge j WHERE j.competition_id = p_competition AND lower(j.email) = lower(p_judge_email);
        IF NOT FOUND THEN
            RETURN QUERY SELECT 'no_judge', 0, NULL::text, NULL::text[];
            RETURN;
        END IF;
    END IF;

    SELECT j.withdrawn_at IS NOT NULL AS withdrawn, j.university AS judge_university, j.city AS judge_city,
           u.name AS team_university, u.city AS team_city,
           EXISTS (SELECT 1 FROM declared_conflict d WHERE d.judge_id = j.id AND d.team_id = t.id) AS declared
    INTO facts
    FROM assignment a JOIN judge j ON j.id = a.judge_id JOIN proposal p ON p.id = a.proposal_id
    JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
    WHERE a.competition_id = p_competition AND a.round = p_round AND a.judge_id = v_judge AND a.proposal_id = p_proposal;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_assigned', 0, v_email, NULL::text[];
        RETURN;
    END IF;
    IF facts.withdrawn THEN
        RETURN QUERY SELECT 'withdrawn', 0, v_email, NULL::text[];
        RETURN;
    END IF;
    IF facts.declared THEN
        RETURN QUERY SELECT 'conflict', 0, v_email, NULL::text[];
        RETURN;
    END IF;
    names := ARRAY[facts.judge_university, facts.judge_city, facts.team_university, facts.team_city];
    IF (p_same_university OR p_same_city) AND p_checked IS DISTINCT FROM names THEN
        IF (p_same_university AND (octet_length(facts.judge_university) <> char_length(facts.judge_university)
                OR octet_length(facts.team_university) <> char_length(facts.team_university)))
            OR (p_same_city AND (octet_length(facts.judge_city) <> char_length(facts.judge_city)
                OR octet_length(facts.team_city) <> char_length(facts.team_city))) THEN
            RETURN QUERY SELECT 'check_affiliations', 0, v_email, names;
            RETURN;
        END IF;
        IF (p_same_university AND btrim(facts.judge_university, ascii_blanks) <> ''
                AND lower(btrim(facts.judge_university, ascii_blanks) COLLATE "C") = lower(btrim(facts.team_university, ascii_blanks) COLLATE "C"))
            OR (p_same_city AND btrim(facts.judge_city, ascii_blanks) <> ''
                AND lower(btrim(facts.judge_city, ascii_blanks) COLLATE "C") = lower(btrim(facts.team_city, ascii_blanks) COLLATE "C")) THEN
            RETURN QUERY SELECT 'conflict', 0, v_email, NULL::text[];
            RETURN;
        END IF;
    END IF;

    v_after := jsonb_build_object(
        'scores', p_scores, 'total', to_jsonb(p_total), 'comment', p_comment, 'feedback', p_feedback, 'submitted', p_submitted);
    IF p_actor_judge IS NULL THEN
        v_after := v_after || jsonb_build_object('on_behalf_of', v_email);
    END IF;

    LOOP
        SELECT s.scores, s.total::float8 AS total, s.comment, s.feedback, s.submitted, s.revision INTO stored
        FROM scorecard s
        WHERE s.competition_id = p_competition AND s.round = p_round AND s.judge_id = v_judge AND s.proposal_id = p_proposal
        FOR UPDATE;
        IF FOUND THEN
            IF p_expected IS NOT NULL AND NOT (stored.revision = ANY (p_expected) OR p_expected_any) THEN
                RETURN QUERY SELECT 'stale', stored.revision, v_email, NULL::text[];
                RETURN;
            END IF;
            IF stored.scores = p_scores AND stored.comment = p_comment AND stored.feedback = p_feedback AND stored.submitted = p_submitted THEN
                RETURN QUERY SELECT 'unchanged', stored.revision, v_email, NULL::text[];
                RETURN;
            END IF;
            UPDATE scorecard s SET scores = p_scores, total = p_total, comment = p_comment, feedback = p_feedback, submitted = p_submitted,
                revision = s.revision + 1, updated_at = now(), updated_by = p_actor
            WHERE s.competition_id = p_competition AND s.round = p_round AND s.judge_id = v_judge AND s.proposal_id = p_proposal;
            INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
            VALUES (p_actor, CASE WHEN p_submitted THEN 'scorecard.submit' ELSE 'scorecard.draft' END,
                    'scorecard:' || p_round || '/#' || p_proposal || '/' || v_email,
                    jsonb_build_object('scores', stored.scores, 'total', to_jsonb(stored.total), 'comment', stored.comment,
                        'feedback', stored.feedback, 'submitted', stored.submitted, 'revision', stored.revision),
                    v_after || jsonb_build_object('revision', stored.revision + 1), p_competition);
            RETURN QUERY SELECT 'revised', stored.revision + 1, v_email, NULL::text[];
            RETURN;
        END IF;
        IF p_expected IS NOT NULL AND NOT (0 = ANY (p_expected)) THEN
            RETURN QUERY SELECT 'stale', 0, v_email, NULL::text[];
            RETURN;
        END IF;
        -- No row to lock: a concurrent first submission (two terminals, a retry racing the
        -- original) may insert first; then this one is a revision of that row (the loop again).
        INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, feedback, submitted, updated_by)
        VALUES (p_competition, p_round, v_judge, p_proposal, p_scores, p_total, p_comment, p_feedback, p_submitted, p_actor)
        ON CONFLICT DO NOTHING;
        IF FOUND THEN
            INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
            VALUES (p_actor, CASE WHEN p_submitted THEN 'scorecard.submit' ELSE 'scorecard.draft' END,
                    'scorecard:' || p_round || '/#' || p_proposal || '/' || v_email, NULL,
                    v_after || jsonb_build_object('revision', 1), p_competition);
            RETURN QUERY SELECT 'added', 1, v_email, NULL::text[];
            RETURN;
        END IF;
        IF only_if_new THEN
            RETURN QUERY SELECT 'stale_first', 0, v_email, NULL::text[];
            RETURN;
        END IF;
    END LOOP;
END
$$;
