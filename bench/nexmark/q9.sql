-- q9 — winning bids: each auction with its winning bid.
--
-- The join of bids with their open auction (as in q4) ranked per auction by price, highest
-- first, the earlier bid winning a tie; the first of each ranking is kept. A Top-1 over an
-- insert-only join: it measures the join plus a rank operator that retracts the previous
-- winner whenever a higher bid arrives. The sink row is the whole auction and the whole bid.

CREATE TABLE nexmark_q9 (
  id           BIGINT,
  itemName     VARCHAR,
  description  VARCHAR,
  initialBid   BIGINT,
  reserve      BIGINT,
  dateTime     TIMESTAMP(3),
  expires      TIMESTAMP(3),
  seller       BIGINT,
  category     BIGINT,
  extra        VARCHAR,
  auction      BIGINT,
  bidder       BIGINT,
  price        BIGINT,
  bid_dateTime TIMESTAMP(3),
  bid_extra    VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q9
SELECT id, itemName, description, initialBid, reserve, dateTime, expires, seller, category,
       extra, auction, bidder, price, bid_dateTime, bid_extra
FROM (
  SELECT A.*,
         B.auction,
         B.bidder,
         B.price,
         B.dateTime AS bid_dateTime,
         B.extra    AS bid_extra,
         ROW_NUMBER() OVER (PARTITION BY A.id ORDER BY B.price DESC, B.dateTime ASC) AS rownum
  FROM auction AS A, bid AS B
  WHERE A.id = B.auction
    AND B.dateTime BETWEEN A.dateTime AND A.expires
)
WHERE rownum <= 1;
