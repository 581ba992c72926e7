-- q6 — average selling price by seller: per seller, the mean price of their last ten
-- closed auctions.
--
-- The winning bid of each auction (as in q4 and q9, a Top-1 per auction over the join of
-- bids with their open auction) feeds an OVER window of the current and ten preceding
-- auctions per seller. The Top-1 retracts a winner when a higher bid arrives, so the OVER
-- aggregation must take retractions: Flink cannot run this query, which is why the nexmark
-- project's published figures have no q6.

CREATE TABLE nexmark_q6 (
  seller    BIGINT,
  avg_price BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q6
SELECT Q.seller,
       AVG(Q.price) OVER (PARTITION BY Q.seller ORDER BY Q.dateTime
                          ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
FROM (
  SELECT *,
         ROW_NUMBER() OVER (PARTITION BY id, seller ORDER BY price DESC) AS rownum
  FROM (
    SELECT A.id, A.seller, B.price, B.dateTime
    FROM auction AS A, bid AS B
    WHERE A.id = B.auction
      AND B.dateTime BETWEEN A.dateTime AND A.expires
  )
) AS Q
WHERE Q.rownum <= 1;
