-- The judge model says how sure each rank is: a stored ranking keeps the probability of being in
-- the round's cut and the 80% interval of the score. The disagreement flag (judges' totals spread
-- over a fifth of the scale) did not point at the proposals ranked wrongly; "uncertain at the cut"
-- (0.1 < P(in the cut) < 0.9) does, and takes its place.
ALTER TABLE round_result RENAME COLUMN disagreement TO uncertain;
ALTER TABLE round_result
    ADD COLUMN top_probability double precision CHECK (top_probability BETWEEN 0 AND 1),
    ADD COLUMN score_low numeric,
    ADD COLUMN score_high numeric,
    ADD COLUMN cut integer CHECK (cut > 0);
