-- Every answer kept for an Idempotency-Key prunes the answers older than a day
-- (store::access::keep_answer): by this index, not by a scan of the whole table, which grew with
-- every keyed write (a workshop day at 4 writes a second keeps some 350,000).
CREATE INDEX idempotency_created_at ON idempotency (created_at);
