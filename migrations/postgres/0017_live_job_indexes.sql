-- The job queue's indexes hold live jobs only. Done and failed jobs are kept (their keys
-- stop a redelivered webhook from running twice) but no claim looks for them, and with the
-- full indexes every claim and every completion paid for them: a finished job's update
-- wrote new entries into the due and lane indexes, and a claim walked past them.
-- SQLite keeps the full indexes of 0001 and 0002: it serves one process, and its planner
-- uses a partial index only where a query repeats the index's condition word for word.
DROP INDEX jobs_due;
DROP INDEX jobs_by_lane;
CREATE INDEX jobs_queued ON jobs (run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_running ON jobs (locked_until, id) WHERE status = 'running';
CREATE INDEX jobs_unfinished_by_lane ON jobs (lane, id) WHERE status IN ('queued', 'running');
