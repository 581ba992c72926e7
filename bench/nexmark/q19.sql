-- q19 — auction top 10: the ten highest bids of every auction, with their rank.
--
-- A Top-N (N = 10) per auction by price, highest first, emitting the rank number: every bid
-- that enters an auction's top ten shifts the ranks below it, so it measures a rank operator
-- with many updates per input row.

CREATE TABLE nexmark_q19 (
  auction     BIGINT,
  bidder      BIGINT,
  price       BIGINT,
  channel     VARCHAR,
  url         VARCHAR,
  dateTime    TIMESTAMP(3),
  extra       VARCHAR,
  rank_number BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q19
SELECT *
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC) AS rank_number
  FROM bid
)
WHERE rank_number <= 10;
