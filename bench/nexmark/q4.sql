-- q4 — average price for a category: the mean of the winning bids of each category.
--
-- A winning bid is an auction's highest bid made while it was open. The inner query joins
-- bids to their auction (keyed by auction id, the time bounds checked on each match) and
-- keeps each auction's maximum; the outer one averages those maxima per category. Both
-- aggregations update as bids arrive, so the outer one consumes retractions: it measures a
-- join feeding two stacked updating aggregations.

CREATE TABLE nexmark_q4 (
  id    BIGINT,
  final BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q4
SELECT Q.category, AVG(Q.final)
FROM (
  SELECT MAX(B.price) AS final, A.category
  FROM auction AS A, bid AS B
  WHERE A.id = B.auction
    AND B.dateTime BETWEEN A.dateTime AND A.expires
  GROUP BY A.id, A.category
) AS Q
GROUP BY Q.category;
