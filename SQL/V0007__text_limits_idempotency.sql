-- Bounds on every text a person can send (the numbers are TextField's, in WyscApplication/TextLimits.swift;
-- a test checks that they agree). NOT VALID: rows written before this migration are not re-checked,
-- every new or changed row is.

ALTER TABLE university ADD CONSTRAINT university_name_length CHECK (char_length(name) <= 200) NOT VALID;
ALTER TABLE university ADD CONSTRAINT university_city_length CHECK (char_length(city) <= 200) NOT VALID;
ALTER TABLE university ADD CONSTRAINT university_country_length CHECK (char_length(country) <= 200) NOT VALID;
ALTER TABLE competition ADD CONSTRAINT competition_title_length CHECK (char_length(title) <= 300) NOT VALID;
ALTER TABLE phase_transition ADD CONSTRAINT phase_transition_reason_length CHECK (char_length(reason) <= 2000) NOT VALID;
ALTER TABLE team ADD CONSTRAINT team_name_length CHECK (char_length(name) <= 200) NOT VALID;
ALTER TABLE team_member ADD CONSTRAINT team_member_name_length CHECK (char_length(name) <= 200) NOT VALID;
ALTER TABLE team_member ADD CONSTRAINT team_member_email_length CHECK (char_length(email) <= 254) NOT VALID;
ALTER TABLE workshop_checkin ADD CONSTRAINT workshop_checkin_mentor_note_length CHECK (char_length(mentor_note) <= 2000) NOT VALID;
ALTER TABLE eligibility_override ADD CONSTRAINT eligibility_override_reason_length CHECK (char_length(reason) <= 2000) NOT VALID;
ALTER TABLE proposal ADD CONSTRAINT proposal_title_length CHECK (char_length(title) <= 300) NOT VALID;
ALTER TABLE proposal ADD CONSTRAINT proposal_abstract_length CHECK (char_length(abstract) <= 20000) NOT VALID;
ALTER TABLE proposal ADD CONSTRAINT proposal_link_length CHECK (char_length(link) <= 2000) NOT VALID;
ALTER TABLE proposal ADD CONSTRAINT proposal_tags_count CHECK (cardinality(tags) <= 10) NOT VALID;
ALTER TABLE proposal_version ADD CONSTRAINT proposal_version_title_length CHECK (char_length(title) <= 300) NOT VALID;
ALTER TABLE proposal_version ADD CONSTRAINT proposal_version_abstract_length CHECK (char_length(abstract) <= 20000) NOT VALID;
ALTER TABLE proposal_version ADD CONSTRAINT proposal_version_link_length CHECK (char_length(link) <= 2000) NOT VALID;
ALTER TABLE judge ADD CONSTRAINT judge_name_length CHECK (char_length(name) <= 200) NOT VALID;
ALTER TABLE judge ADD CONSTRAINT judge_email_length CHECK (char_length(email) <= 254) NOT VALID;
ALTER TABLE judge ADD CONSTRAINT judge_university_length CHECK (char_length(university) <= 200) NOT VALID;
ALTER TABLE judge ADD CONSTRAINT judge_city_length CHECK (char_length(city) <= 200) NOT VALID;
ALTER TABLE judge ADD CONSTRAINT judge_country_length CHECK (char_length(country) <= 200) NOT VALID;
ALTER TABLE judge ADD CONSTRAINT judge_withdrawn_reason_length CHECK (char_length(withdrawn_reason) <= 2000) NOT VALID;
ALTER TABLE judge ADD CONSTRAINT judge_expertise_count CHECK (cardinality(expertise) <= 10) NOT VALID;
ALTER TABLE declared_conflict ADD CONSTRAINT declared_conflict_reason_length CHECK (char_length(reason) <= 2000) NOT VALID;
ALTER TABLE scorecard ADD CONSTRAINT scorecard_comment_length CHECK (char_length(comment) <= 10000) NOT VALID;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_reason_length CHECK (char_length(reason) <= 2000) NOT VALID;

-- An idempotency key is now written in the same transaction as the change it answers for, so a
-- key without an answer can only be one a server left behind before this migration: forget them.
DELETE FROM idempotency_key WHERE status IS NULL;
ALTER TABLE idempotency_key ALTER COLUMN status SET NOT NULL, ALTER COLUMN body SET NOT NULL;
-- Keys expire (Idempotency.retention); the sweep finds them by age.
CREATE INDEX idempotency_key_created_at ON idempotency_key (created_at);
