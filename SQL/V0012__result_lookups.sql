-- A team's status looks up its proposal's ranks and shortlist entries by proposal.
CREATE INDEX round_result_proposal_idx ON round_result (proposal_id);
CREATE INDEX round_entry_proposal_idx ON round_entry (proposal_id);
