-- q10 — log to a file system: every bid written as CSV into directories per day and minute.
--
-- A stateless projection into the filesystem sink, which buffers, writes and (at the end of
-- the input, or at each checkpoint) commits part files. It measures the cost of formatting
-- and writing rows rather than discarding them. The directory is relative:
-- `weir bench nexmark` runs each query in a fresh temporary working directory and removes
-- it afterwards.

CREATE TABLE nexmark_q10 (
  auction  BIGINT,
  bidder   BIGINT,
  price    BIGINT,
  dateTime TIMESTAMP(3),
  extra    VARCHAR,
  dt       STRING,
  hm       STRING
) PARTITIONED BY (dt, hm) WITH (
  'connector' = 'filesystem',
  'path' = 'q10-output',
  'format' = 'csv'
);

INSERT INTO nexmark_q10
SELECT auction, bidder, price, dateTime, extra,
       DATE_FORMAT(dateTime, 'yyyy-MM-dd'),
       DATE_FORMAT(dateTime, 'HH:mm')
FROM bid;
