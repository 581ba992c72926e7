-- q12 — processing-time windows: how many bids each bidder makes per 10 seconds of wall
-- clock.
--
-- The q11 question over tumbling windows of processing time (PROCTIME()) rather than event
-- time: windows fire on the wall clock, so the result depends on how fast the job runs and
-- is not deterministic. It measures a keyed window aggregation without watermarks.

CREATE TABLE nexmark_q12 (
  bidder    BIGINT,
  bid_count BIGINT,
  starttime TIMESTAMP(3),
  endtime   TIMESTAMP(3)
) WITH ('connector' = 'blackhole');

CREATE VIEW bid_proctime AS
SELECT *, PROCTIME() AS p_time
FROM bid;

INSERT INTO nexmark_q12
SELECT bidder,
       COUNT(*)     AS bid_count,
       window_start AS starttime,
       window_end   AS endtime
FROM TABLE(TUMBLE(TABLE bid_proctime, DESCRIPTOR(p_time), INTERVAL '10' SECOND))
GROUP BY bidder, window_start, window_end;
