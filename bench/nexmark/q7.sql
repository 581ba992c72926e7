-- q7 — highest bid: the bids that carry the highest price of their 10-second window.
--
-- A tumbling window finds each window's maximum price; the bids are joined back to it on the
-- price and kept when they fall inside the window. Deliberately written with a side input
-- (the window result joined to the full bid stream) to show fan-out; it measures a window
-- aggregation plus a join whose bid side is large.

CREATE TABLE nexmark_q7 (
  auction  BIGINT,
  bidder   BIGINT,
  price    BIGINT,
  dateTime TIMESTAMP(3),
  extra    VARCHAR
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q7
SELECT B.auction, B.bidder, B.price, B.dateTime, B.extra
FROM bid AS B
JOIN (
  SELECT MAX(price) AS maxprice, window_end AS dateTime
  FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end
) AS B1
ON B.price = B1.maxprice
WHERE B.dateTime BETWEEN B1.dateTime - INTERVAL '10' SECOND AND B1.dateTime;
