-- q11 — user sessions: how many bids each bidder made per session of activity.
--
-- Session windows per bidder that close after 10 seconds without a bid. Sessions merge as
-- bids bridge their gaps: it measures a keyed window operator whose windows are not known in
-- advance. The nexmark project writes it with Flink's older group-window functions
-- (GROUP BY bidder, SESSION(dateTime, ...) with SESSION_START and SESSION_END), which Weir
-- does not parse; the SESSION table function below (Flink 1.19+) gives the same rows:
-- window_start is a session's first bid, window_end its last bid plus the gap.

CREATE TABLE nexmark_q11 (
  bidder    BIGINT,
  bid_count BIGINT,
  starttime TIMESTAMP(3),
  endtime   TIMESTAMP(3)
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q11
SELECT bidder,
       COUNT(*)     AS bid_count,
       window_start AS starttime,
       window_end   AS endtime
FROM TABLE(SESSION(TABLE bid PARTITION BY bidder, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
GROUP BY bidder, window_start, window_end;
