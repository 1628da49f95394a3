-- The revision a request with an Idempotency-Key produced. The key's row is written in the
-- same transaction as the change, so a retry after a crash between the commit and the answer
-- finds it and writes nothing again. (status 0 and an empty body: the answer was not kept.)
ALTER TABLE idempotency ADD COLUMN rev INTEGER;
