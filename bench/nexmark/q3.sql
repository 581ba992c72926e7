-- q3 — local item suggestion: who sells in category 10 from Oregon, Idaho or California,
-- and which auctions.
--
-- An unbounded inner join of auctions with people on the seller's id, both sides filtered
-- first. Every person and every category-10 auction stays in the join's state: it measures
-- keyed state growth and a join that emits inserts only.

CREATE TABLE nexmark_q3 (
  name  VARCHAR,
  city  VARCHAR,
  state VARCHAR,
  id    BIGINT
) WITH ('connector' = 'blackhole');

INSERT INTO nexmark_q3
SELECT P.name, P.city, P.state, A.id
FROM auction AS A
JOIN person AS P ON A.seller = P.id
WHERE A.category = 10
  AND (P.state = 'OR' OR P.state = 'ID' OR P.state = 'CA');
