-- Proposal files. A file's bytes are stored once per content, keyed by their SHA-256, in chunks of
-- at most 1 MiB: a download streams chunk by chunk and a Range request reads only the chunks it needs.

CREATE TABLE document (
    sha256     bytea PRIMARY KEY CHECK (length(sha256) = 32),
    -- Read from the content when it was stored, never from a file name.
    media_type text NOT NULL,
    size       bigint NOT NULL CHECK (size >= 0),
    chunk_size integer NOT NULL CHECK (chunk_size > 0),
    stored_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE document_chunk (
    sha256   bytea NOT NULL REFERENCES document (sha256),
    position integer NOT NULL CHECK (position >= 0),
    bytes    bytea NOT NULL,
    PRIMARY KEY (sha256, position)
);
-- PDFs and images are compressed already: do not try again.
ALTER TABLE document_chunk ALTER COLUMN bytes SET STORAGE EXTERNAL;

-- The files of each version of a proposal, numbered from 1 in the order they were given.
CREATE TABLE proposal_file (
    proposal_id bigint NOT NULL,
    version     integer NOT NULL,
    number      integer NOT NULL CHECK (number >= 1),
    -- As the team named it; never shown to judges of a blind round.
    name        text NOT NULL CHECK (btrim(name) <> ''),
    sha256      bytea NOT NULL REFERENCES document (sha256),
    PRIMARY KEY (proposal_id, version, number),
    FOREIGN KEY (proposal_id, version) REFERENCES proposal_version (proposal_id, version)
);
ALTER TABLE proposal_file ADD CONSTRAINT proposal_file_name_length CHECK (char_length(name) <= 255);
CREATE INDEX proposal_file_sha256_idx ON proposal_file (sha256);

-- Which judge downloaded which file of a proposal (their queue shows what they have opened).
CREATE TABLE proposal_file_read (
    judge_id       bigint NOT NULL REFERENCES judge (id),
    proposal_id    bigint NOT NULL REFERENCES proposal (id),
    sha256         bytea NOT NULL REFERENCES document (sha256),
    first_read_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (judge_id, proposal_id, sha256)
);
