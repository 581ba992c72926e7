-- q8 — monitor new users: the people who joined and opened an auction in the same
-- 10-second window.
--
-- Two tumbling-window aggregations (people by id and name, auctions by seller) joined on the
-- id and the window. Both sides are insert-only window results: it measures window
-- aggregation on the two small streams and a join that a window join could run without
-- keeping state past the window.

CREATE TABLE nexmark_q8 (
  id    BIGINT,
  name  VARCHAR,
  stime TIMESTAMP(3)
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q8
SELECT P.id, P.name, P.starttime
FROM (
  SELECT id, name, window_start AS starttime, window_end AS endtime
  FROM TABLE(TUMBLE(TABLE person, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
  GROUP BY id, name, window_start, window_end
) AS P
JOIN (
  SELECT seller, window_start AS starttime, window_end AS endtime
  FROM TABLE(TUMBLE(TABLE auction, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
  GROUP BY seller, window_start, window_end
) AS A
ON P.id = A.seller AND P.starttime = A.starttime AND P.endtime = A.endtime;
