-- A member's competition is its team's: one foreign key says both, and a bulk import checks one
-- key per member instead of two.
ALTER TABLE team ADD CONSTRAINT team_id_competition_key UNIQUE (id, competition_id);
ALTER TABLE team_member
    DROP CONSTRAINT team_member_team_id_fkey,
    DROP CONSTRAINT team_member_competition_id_fkey,
    ADD CONSTRAINT team_member_team_fkey FOREIGN KEY (team_id, competition_id) REFERENCES team (id, competition_id);
