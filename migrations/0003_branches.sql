-- 0002: rewind keeps the messages it takes back, as a branch. A rewound message gets
-- `superseded_by` (the id of the message the conversation was rewound to) and `superseded_at`;
-- loads and counts see only the active branch (superseded_by IS NULL), so resumed context and
-- history leave the rewound messages out, and nothing is ever deleted by a rewind.

ALTER TABLE messages ADD COLUMN superseded_by TEXT;
ALTER TABLE messages ADD COLUMN superseded_at INTEGER;

CREATE INDEX messages_superseded ON messages(conversation_id) WHERE superseded_by IS NOT NULL;
