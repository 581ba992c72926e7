-- q5 — hot items: the auctions with the most bids in each sliding window.
--
-- Windows of 10 seconds that slide by 2 seconds (the original used an hour sliding by a
-- minute). Bids are counted per auction and window; a second window aggregation over the same
-- counts finds each window's maximum, and the join keeps the auctions that reach it. Every
-- bid lands in five windows: it measures hopping-window aggregation and a join of two
-- insert-only window results.

CREATE TABLE nexmark_q5 (
  auction BIGINT,
  num     BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q5
SELECT AuctionBids.auction, AuctionBids.num
FROM (
  SELECT auction,
         COUNT(*)     AS num,
         window_start AS starttime,
         window_end   AS endtime
  FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
  GROUP BY auction, window_start, window_end
) AS AuctionBids
JOIN (
  SELECT MAX(CountBids.num) AS maxn,
         CountBids.starttime,
         CountBids.endtime
  FROM (
    SELECT COUNT(*)     AS num,
           window_start AS starttime,
           window_end   AS endtime
    FROM TABLE(HOP(TABLE bid, DESCRIPTOR(dateTime), INTERVAL '2' SECOND, INTERVAL '10' SECOND))
    GROUP BY auction, window_start, window_end
  ) AS CountBids
  GROUP BY CountBids.starttime, CountBids.endtime
) AS MaxBids
ON AuctionBids.starttime = MaxBids.starttime
   AND AuctionBids.endtime = MaxBids.endtime
   AND AuctionBids.num >= MaxBids.maxn;
