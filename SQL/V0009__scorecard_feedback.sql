-- A scorecard has two texts: `comment`, private to the organizers, and `feedback`, which the team's
-- university reads (anonymized) once the results are published, in rounds with feedback_to_teams.
ALTER TABLE scorecard ADD COLUMN feedback text NOT NULL DEFAULT '';
ALTER TABLE scorecard ADD CONSTRAINT scorecard_feedback_length CHECK (char_length(feedback) <= 10000);
