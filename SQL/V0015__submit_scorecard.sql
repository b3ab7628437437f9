-- One scorecard submission in one statement: every check the database answers (the competition
-- not changed since the caller read it, the acting judge, the assignment, withdrawal, conflicts,
-- the revision the caller expects) and the write with its audit row. A judge's submission at a
-- deadline is one round trip and one statement, run in its own transaction or the caller's.
--
-- The caller (wysc) has already checked what needs the workflow: the phase is open for scoring,
-- the round, the values against the rubric (p_scores, p_total) and the texts. The caller is an
-- actor wysc knows (p_actor, p_actor_judge: a judge's id, NULL for anyone else), or the bearer
-- token of an HTTP request (p_token_hash, checked here at p_now, so that the request needs no
-- statement of its own to authenticate). p_version is the
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
-- It runs three statements in the common case: one reads and locks (the competition, shared; the
-- stored scorecard, for update), one writes the scorecard and its audit row together, and the
-- organizer's lookup of a judge by email when an organizer acts for one.
--
-- Answers (outcome): added, revised, unchanged (with the revision now); refusals, with nothing
-- written: unauthenticated, other_competition (the token's, in bound_competition), university,
-- judge_required, competition_changed, not_a_judge (the judge a token or actor names is not one
-- of this competition's), no_judge (an organizer named no judge of it), not_own, not_assigned, withdrawn, conflict,
-- check_affiliations, stale (revision: the stored one), stale_first (a first scorecard written
-- meanwhile by someone else).
-- A token's credential: the token, by its hash (a bearer token) or its id (a web session), while it
-- is neither revoked nor expired at p_now (the caller's clock); its use is noted at most once a
-- minute. A row of NULLs when it is refused. Every check of a token runs here.
CREATE FUNCTION token_credential(
    p_hash text, p_id bigint, p_now timestamptz,
    OUT token_id bigint, OUT role text, OUT subject text, OUT label text, OUT competition_id bigint, OUT competition_slug text
)
LANGUAGE plpgsql AS $$
DECLARE
    last_used timestamptz;
BEGIN
    IF p_hash IS NOT NULL THEN
        SELECT t.id, t.role, t.subject, t.label, t.competition_id, c.slug, t.last_used_at
        INTO token_id, role, subject, label, competition_id, competition_slug, last_used
        FROM api_token t LEFT JOIN competition c ON c.id = t.competition_id
        WHERE t.token_hash = p_hash AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > p_now);
    ELSE
        SELECT t.id, t.role, t.subject, t.label, t.competition_id, c.slug, t.last_used_at
        INTO token_id, role, subject, label, competition_id, competition_slug, last_used
        FROM api_token t LEFT JOIN competition c ON c.id = t.competition_id
        WHERE t.id = p_id AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > p_now);
    END IF;
    IF token_id IS NOT NULL AND (last_used IS NULL OR last_used < p_now - interval '1 minute') THEN
        UPDATE api_token t SET last_used_at = now() WHERE t.id = token_id;
    END IF;
END
$$;

CREATE FUNCTION submit_scorecard(
    p_competition bigint, p_version integer, p_round text, p_actor text, p_actor_judge bigint, p_judge_email text,
    p_proposal bigint, p_scores jsonb, p_total float8, p_comment text, p_feedback text, p_submitted boolean,
    p_expected integer[], p_expected_any boolean, p_same_university boolean, p_same_city boolean, p_checked text[],
    p_token_hash text, p_now timestamptz,
    OUT outcome text, OUT revision integer, OUT judge_email text, OUT affiliations text[], OUT bound_competition text
)
LANGUAGE plpgsql AS $$
DECLARE
    ascii_blanks constant text := E' \t\n\r\x0B\x0C';
    v_actor text := p_actor;
    v_actor_judge bigint := p_actor_judge;
    v_judge bigint;
    token record;
    facts record;
    names text[];
    stored record;
    v_action text := CASE WHEN p_submitted THEN 'scorecard.submit' ELSE 'scorecard.draft' END;
    v_after jsonb;
    written integer;
BEGIN
    revision := 0;
    IF p_token_hash IS NOT NULL THEN
        SELECT tc.token_id, tc.role, tc.subject, tc.competition_id, tc.competition_slug INTO token
        FROM token_credential(p_token_hash, NULL, p_now) tc;
        IF token.token_id IS NULL THEN
            outcome := 'unauthenticated';
            RETURN;
        END IF;
        IF token.competition_id IS NOT NULL AND token.competition_id <> p_competition THEN
            outcome := 'other_competition';
            bound_competition := token.competition_slug;
            RETURN;
        END IF;
        IF token.role = 'judge' THEN
            v_actor_judge := token.subject::bigint;
        ELSIF token.role <> 'organizer' THEN
            outcome := 'university';
            RETURN;
        ELSIF p_judge_email IS NULL THEN
            outcome := 'judge_required';
            RETURN;
        END IF;
        v_actor := token.role || ':' || token.subject;
    END IF;
    v_judge := v_actor_judge;
    IF v_judge IS NULL THEN
        SELECT j.id INTO v_judge FROM judge j WHERE j.competition_id = p_competition AND lower(j.email) = lower(p_judge_email);
    END IF;

    SELECT c.version, j.email, j.withdrawn_at IS NOT NULL AS withdrawn, j.university AS judge_university, j.city AS judge_city,
           a.proposal_id IS NOT NULL AS assigned, u.name AS team_university, u.city AS team_city,
           EXISTS (SELECT 1 FROM declared_conflict d WHERE d.judge_id = j.id AND d.team_id = t.id) AS declared,
           s.revision IS NOT NULL AS has_scorecard, s.scores, s.total, s.comment, s.feedback, s.submitted, s.revision AS stored_revision
    INTO facts
    FROM competition c
    LEFT JOIN judge j ON j.id = v_judge AND j.competition_id = c.id
    LEFT JOIN assignment a ON a.competition_id = c.id AND a.round = p_round AND a.judge_id = j.id AND a.proposal_id = p_proposal
    LEFT JOIN proposal p ON p.id = a.proposal_id
    LEFT JOIN team t ON t.id = p.team_id
    LEFT JOIN university u ON u.id = t.university_id
    LEFT JOIN LATERAL (
        SELECT sc.scores, sc.total::float8 AS total, sc.comment, sc.feedback, sc.submitted, sc.revision FROM scorecard sc
        WHERE sc.competition_id = c.id AND sc.round = p_round AND sc.judge_id = j.id AND sc.proposal_id = a.proposal_id
        FOR UPDATE
    ) s ON true
    WHERE c.id = p_competition
    FOR SHARE OF c;

    IF NOT FOUND OR facts.version <> p_version THEN
        outcome := 'competition_changed';
        RETURN;
    END IF;
    IF facts.email IS NULL THEN
        outcome := CASE WHEN v_actor_judge IS NOT NULL THEN 'not_a_judge' ELSE 'no_judge' END;
        RETURN;
    END IF;
    judge_email := facts.email;
    IF v_actor_judge IS NOT NULL AND p_judge_email IS NOT NULL AND lower(p_judge_email) <> lower(facts.email) THEN
        outcome := 'not_own';
        RETURN;
    END IF;
    IF NOT facts.assigned THEN
        outcome := 'not_assigned';
        RETURN;
    END IF;
    IF facts.withdrawn THEN
        outcome := 'withdrawn';
        RETURN;
    END IF;
    IF facts.declared THEN
        outcome := 'conflict';
        RETURN;
    END IF;
    names := ARRAY[facts.judge_university, facts.judge_city, facts.team_university, facts.team_city];
    IF (p_same_university OR p_same_city) AND p_checked IS DISTINCT FROM names THEN
        IF (p_same_university AND (octet_length(facts.judge_university) <> char_length(facts.judge_university)
                OR octet_length(facts.team_university) <> char_length(facts.team_university)))
            OR (p_same_city AND (octet_length(facts.judge_city) <> char_length(facts.judge_city)
                OR octet_length(facts.team_city) <> char_length(facts.team_city))) THEN
            outcome := 'check_affiliations';
            affiliations := names;
            RETURN;
        END IF;
        IF (p_same_university AND btrim(facts.judge_university, ascii_blanks) <> ''
                AND lower(btrim(facts.judge_university, ascii_blanks) COLLATE "C") = lower(btrim(facts.team_university, ascii_blanks) COLLATE "C"))
            OR (p_same_city AND btrim(facts.judge_city, ascii_blanks) <> ''
                AND lower(btrim(facts.judge_city, ascii_blanks) COLLATE "C") = lower(btrim(facts.team_city, ascii_blanks) COLLATE "C")) THEN
            outcome := 'conflict';
            RETURN;
        END IF;
    END IF;

    v_after := jsonb_build_object(
        'scores', p_scores, 'total', to_jsonb(p_total), 'comment', p_comment, 'feedback', p_feedback, 'submitted', p_submitted);
    IF v_actor_judge IS NULL THEN
        v_after := v_after || jsonb_build_object('on_behalf_of', facts.email);
    END IF;
    stored := facts;
    LOOP
        IF stored.has_scorecard THEN
            IF p_expected IS NOT NULL AND NOT (stored.stored_revision = ANY (p_expected) OR p_expected_any) THEN
                outcome := 'stale';
                revision := stored.stored_revision;
                RETURN;
            END IF;
            revision := stored.stored_revision;
            IF stored.scores = p_scores AND stored.comment = p_comment AND stored.feedback = p_feedback AND stored.submitted = p_submitted THEN
                outcome := 'unchanged';
                RETURN;
            END IF;
            WITH revised AS (
                UPDATE scorecard sc SET scores = p_scores, total = p_total, comment = p_comment, feedback = p_feedback, submitted = p_submitted,
                    revision = sc.revision + 1, updated_at = now(), updated_by = v_actor
                WHERE sc.competition_id = p_competition AND sc.round = p_round AND sc.judge_id = v_judge AND sc.proposal_id = p_proposal
                RETURNING sc.revision
            )
            INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
            SELECT v_actor, v_action, 'scorecard:' || p_round || '/#' || p_proposal || '/' || facts.email,
                   jsonb_build_object('scores', stored.scores, 'total', to_jsonb(stored.total), 'comment', stored.comment,
                       'feedback', stored.feedback, 'submitted', stored.submitted, 'revision', stored.stored_revision),
                   v_after || jsonb_build_object('revision', revised.revision), p_competition
            FROM revised;
            outcome := 'revised';
            revision := stored.stored_revision + 1;
            RETURN;
        END IF;
        IF p_expected IS NOT NULL AND NOT (0 = ANY (p_expected)) THEN
            outcome := 'stale';
            RETURN;
        END IF;
        -- No row to lock: a concurrent first submission (two terminals, a retry racing the
        -- original) may insert first; then this one is a revision of that row (the loop again).
        WITH added AS (
            INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, feedback, submitted, updated_by)
            VALUES (p_competition, p_round, v_judge, p_proposal, p_scores, p_total, p_comment, p_feedback, p_submitted, v_actor)
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        INSERT INTO audit_log (actor, action, subject, before, after, competition_id)
        SELECT v_actor, v_action, 'scorecard:' || p_round || '/#' || p_proposal || '/' || facts.email, NULL,
               v_after || jsonb_build_object('revision', 1), p_competition
        FROM added;
        GET DIAGNOSTICS written = ROW_COUNT;
        IF written = 1 THEN
            outcome := 'added';
            revision := 1;
            RETURN;
        END IF;
        IF p_expected IS NOT NULL AND p_expected = ARRAY[0] AND NOT p_expected_any THEN
            outcome := 'stale_first';
            RETURN;
        END IF;
        SELECT true AS has_scorecard, sc.scores, sc.total::float8 AS total, sc.comment, sc.feedback, sc.submitted, sc.revision AS stored_revision
        INTO stored
        FROM scorecard sc
        WHERE sc.competition_id = p_competition AND sc.round = p_round AND sc.judge_id = v_judge AND sc.proposal_id = p_proposal
        FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'the scorecard for proposal #% was written and removed while this one was stored; send it again', p_proposal
                USING ERRCODE = '40001';
        END IF;
    END LOOP;
END
$$;
