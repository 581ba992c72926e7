-- q18 — find the last bid: each bidder's latest bid on each auction.
--
-- ROW_NUMBER over (bidder, auction) ordered by time, newest first, keeping the first: Flink
-- plans it as a deduplication that keeps the last row, retracting the one it replaces. It
-- measures keyed state with one row per (bidder, auction) pair.

CREATE TABLE nexmark_q18 (
  auction  BIGINT,
  bidder   BIGINT,
  price    BIGINT,
  channel  VARCHAR,
  url      VARCHAR,
  dateTime TIMESTAMP(3),
  extra    VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q18
SELECT auction, bidder, price, channel, url, dateTime, extra
FROM (
  SELECT *,
         ROW_NUMBER() OVER (PARTITION BY bidder, auction ORDER BY dateTime DESC) AS rank_number
  FROM bid
)
WHERE rank_number <= 1;
