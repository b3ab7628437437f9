-- pgbench: the transaction `wysc serve` runs for one scorecard submission, statement by statement
-- (authentication, the competition, the judge, the assignment, the conflict check, the current
-- scorecard, the revision and its audit row). bench_pairs holds the same judge/proposal pairs
-- (pgbench reads :name even inside quotes, so a colon in a literal is written chr(58))
-- and token hashes as the HTTP run.
\set n random(1, :pairs)
SELECT judge_id, proposal_id, team_id FROM bench_pairs WHERE n = :n \gset
SELECT t.id, t.token_hash, t.role, t.subject, t.label, c.slug, t.expires_at, t.revoked_at, t.last_used_at
  FROM api_token t LEFT JOIN competition c ON c.id = t.competition_id WHERE t.token_hash = (SELECT token_hash FROM bench_pairs WHERE n = :n);
BEGIN;
SELECT id, slug, title, phase, phase_entered_at, deadline_passed, version, rosters_frozen_at, workflow_file, workflow_source
  FROM competition WHERE slug = 'bench' FOR SHARE;
SELECT id, email FROM judge WHERE id = :judge_id AND competition_id = (SELECT id FROM competition WHERE slug = 'bench');
SELECT j.withdrawn_at IS NOT NULL AS withdrawn,
       EXISTS (SELECT 1 FROM declared_conflict c WHERE c.judge_id = j.id AND c.team_id = t.id)
       OR (j.university <> '' AND lower(j.university) = lower(u.name)) OR (j.city <> '' AND lower(j.city) = lower(u.city)) AS forbidden
  FROM assignment a JOIN judge j ON j.id = a.judge_id JOIN proposal p ON p.id = a.proposal_id
  JOIN team t ON t.id = p.team_id JOIN university u ON u.id = t.university_id
  WHERE a.competition_id = (SELECT id FROM competition WHERE slug = 'bench') AND a.round = 'screening' AND a.judge_id = :judge_id AND a.proposal_id = :proposal_id;
SELECT scores::text AS scores, total::float8 AS total, comment, submitted, revision FROM scorecard
  WHERE competition_id = (SELECT id FROM competition WHERE slug = 'bench') AND round = 'screening' AND judge_id = :judge_id AND proposal_id = :proposal_id FOR UPDATE;
INSERT INTO scorecard (competition_id, round, judge_id, proposal_id, scores, total, comment, submitted, updated_by)
  VALUES ((SELECT id FROM competition WHERE slug = 'bench'), 'screening', :judge_id::bigint, :proposal_id::bigint,
          jsonb_build_object('innovation', :n::int % 9 + 1, 'impact', 9 - :n::int % 9, 'feasibility', :n::int % 9 + 1), 5.5, 'benchmark', true,
          'judge:' || :judge_id::text)
  ON CONFLICT (competition_id, round, judge_id, proposal_id) DO UPDATE
  SET scores = EXCLUDED.scores, total = EXCLUDED.total, revision = scorecard.revision + 1, updated_at = now(), updated_by = EXCLUDED.updated_by;
INSERT INTO audit_log (actor, action, subject, before, after, reason, competition_id)
  VALUES ('judge:' || :judge_id::text, 'scorecard.submit', 'scorecard' || chr(58) || 'screening/#' || :proposal_id::text, '{}'::jsonb, '{"benchmark": true}'::jsonb, NULL,
          (SELECT id FROM competition WHERE slug = 'bench'));
COMMIT;
